// SPDX-License-Identifier: Apache-2.0
//
// contxray's native addon: loads the BPF skeleton, attaches it, consumes the ring buffer on a
// native thread and decodes events into column buffers that JS takes as whole batches (typed
// arrays). Columns come from the generated tables of columns.gen.h (src/capture/schema.ts and
// bpf/contxray.h); decoding is native/decode.cc.
#include <napi.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "columns.h"
#include "contxray.skel.h"

namespace {

// ------------------------------------------------------------------ recorder

const char *COUNTER_NAMES[CXC_NR] = {
    "drops.exec",        "drops.fork",         "drops.exit",          "drops.open",
    "drops.connect",     "drops.accept",       "drops.close",         "drops.new_cgroup",
    "drops.syscall_map_full", "truncated.argv", "truncated.path",     "errors.argv_read",
    "opens.skipped_rootfs", "drops.sock_map_full", "drops.inflight_map_full", "syscall.sigreturn_exit_skipped",
};

const char *KIND_OF[] = {nullptr, "new_cgroup", "exec", "fork", "exit", "open", "connect", "accept", "close"};

// libbpf's warnings, kept to build a one-line error: the failing program and the verifier's
// last words (the full log is printed with CONTXRAY_LIBBPF_DEBUG=1).
std::string libbpf_prog_fail, libbpf_verifier_last, libbpf_last;
int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (getenv("CONTXRAY_LIBBPF_DEBUG")) {
    va_list cp;
    va_copy(cp, ap);
    vfprintf(stderr, fmt, cp);
    va_end(cp);
  }
  if (level == LIBBPF_DEBUG) return 0;
  std::vector<char> buf(1 << 20);
  int n = vsnprintf(buf.data(), buf.size(), fmt, ap);
  std::string text(buf.data());
  size_t end = text.find("-- END PROG LOAD LOG --");
  if (end != std::string::npos) {  // verifier log: keep its last non-empty line
    std::string log = text.substr(0, end);
    while (!log.empty() && log.back() == '\n') log.pop_back();
    size_t nl = log.rfind('\n');
    if (nl != std::string::npos && log.compare(nl + 1, 10, "processed ") == 0) {  // skip the stats line
      log.resize(nl);
      nl = log.rfind('\n');
    }
    libbpf_verifier_last = nl == std::string::npos ? log : log.substr(nl + 1);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.find("failed to load") != std::string::npos && text.find("prog '") != std::string::npos &&
      libbpf_prog_fail.empty())
    libbpf_prog_fail = text.substr(text.find("prog '"));
  if (text.rfind("libbpf: ", 0) == 0) text = text.substr(8);
  // the first failure says what went wrong; "failed to load object/skeleton" only follow it
  if (libbpf_last.empty() && text.find('\n') == std::string::npos &&
      (text.find("failed") != std::string::npos || text.find("Error") != std::string::npos))
    libbpf_last = text;
  return n;
}

int64_t clock_ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// wall = boottime + offset; measured as the tightest of a few samples
int64_t boot_to_wall_offset() {
  int64_t best = 0, best_gap = INT64_MAX;
  for (int i = 0; i < 5; i++) {
    int64_t a = clock_ns(CLOCK_BOOTTIME), r = clock_ns(CLOCK_REALTIME), b = clock_ns(CLOCK_BOOTTIME);
    if (b - a < best_gap) {
      best_gap = b - a;
      best = r - (a + (b - a) / 2);
    }
  }
  return best;
}

class Recorder;
Recorder *live = nullptr;  // for the env cleanup hook (one recorder per process)

class Recorder : public Napi::ObjectWrap<Recorder> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Recorder",
                       {
                           InstanceMethod("drain", &Recorder::Drain),
                           InstanceMethod("readSyscalls", &Recorder::ReadSyscalls),
                           InstanceMethod("setCgroupVerdict", &Recorder::SetVerdict),
                           InstanceMethod("counters", &Recorder::Counters),
                           InstanceMethod("close", &Recorder::Close),
                           InstanceMethod("programStats", &Recorder::ProgramStats),
                       });
  }

  Recorder(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Recorder>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    std::string opens = o.Get("opens").As<Napi::String>().Utf8Value();
    uint64_t rb_bytes = o.Get("ringBufferBytes").IsNumber() ? o.Get("ringBufferBytes").As<Napi::Number>().Int64Value()
                                                             : (16u << 20);
    if (o.Get("maxPendingBytes").IsNumber()) max_pending_bytes_ = o.Get("maxPendingBytes").As<Napi::Number>().Int64Value();
    // ring buffer: a power of two, at least one page
    uint64_t rb = 4096;
    while (rb < rb_bytes) rb <<= 1;

    libbpf_set_print(libbpf_print);
    libbpf_prog_fail.clear();
    libbpf_verifier_last.clear();
    libbpf_last.clear();
    offset_ = boot_to_wall_offset();
    window_start_ = clock_ns(CLOCK_REALTIME);

    skel_ = contxray__open();
    if (!skel_) Fail(env, "open", "opening the BPF object failed: " + std::string(strerror(errno)));
    skel_->rodata->self_tgid = getpid();
    skel_->rodata->opens_mode = opens == "all" ? CX_OPENS_ALL : opens == "none" ? CX_OPENS_NONE : CX_OPENS_HOST;
    skel_->rodata->rb_wakeup_bytes = rb / 4;
    if (o.Get("maxArgvBytes").IsNumber()) {
      int64_t m = o.Get("maxArgvBytes").As<Napi::Number>().Int64Value();
      skel_->rodata->max_argv = uint32_t(m < 1 ? 1 : m > CX_MAX_ARGV ? CX_MAX_ARGV : m);
    }
    bpf_map__set_max_entries(skel_->maps.events, rb);
    // floorOnly (benchmarks): just an empty program on sys_enter, the cheapest possible tracer
    bool floor_only = o.Get("floorOnly").IsBoolean() && o.Get("floorOnly").As<Napi::Boolean>().Value();
    {
      bpf_program *p;
      bpf_object__for_each_program(p, skel_->obj) {
        bool is_floor = strcmp(bpf_program__name(p), "floor_sys_enter") == 0;
        if (floor_only != is_floor) bpf_program__set_autoload(p, false);
        // CONTXRAY_ONLY=prog,prog: attach only these (overhead investigations)
        const char *only = getenv("CONTXRAY_ONLY");
        if (only && !strstr(only, bpf_program__name(p))) bpf_program__set_autoload(p, false);
      }
    }
    int err = contxray__load(skel_);
    if (err) {
      std::string msg = "loading the BPF programs was refused: " + std::string(strerror(-err));
      if (!libbpf_prog_fail.empty()) msg += " (" + libbpf_prog_fail;
      if (!libbpf_verifier_last.empty()) msg += ": " + libbpf_verifier_last;
      if (!libbpf_prog_fail.empty()) msg += ")";
      else if (!libbpf_last.empty()) msg += " (" + libbpf_last + ")";
      Destroy();
      Fail(env, "load", msg);
    }
    bpf_program *p;
    bpf_object__for_each_program(p, skel_->obj) {
      if (!bpf_program__autoload(p)) continue;
      bpf_link *l = bpf_program__attach(p);
      if (!l) {
        int e = errno;
        std::string msg = "attaching " + std::string(bpf_program__section_name(p)) + " failed: " + strerror(e);
        if (e == ENOENT) msg = "tracepoint " + std::string(bpf_program__section_name(p)) + " is missing on this kernel";
        Destroy();
        Fail(env, e == ENOENT ? "tracepoint" : "attach", msg);
      }
      links_.push_back(l);
    }
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), OnEvent, this, nullptr);
    if (!rb_) {
      Destroy();
      Fail(env, "ringbuf", "creating the ring buffer consumer failed: " + std::string(strerror(errno)));
    }
    ncpus_ = libbpf_num_possible_cpus();
    running_ = true;
    thread_ = std::thread([this] { Consume(); });
    live = this;
  }

  ~Recorder() { Destroy(); }

  void Destroy() {
    if (running_) {
      running_ = false;
      thread_.join();
    }
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    for (auto *l : links_) bpf_link__destroy(l);
    links_.clear();
    if (skel_) contxray__destroy(skel_);
    skel_ = nullptr;
    if (live == this) live = nullptr;
  }

 private:
  [[noreturn]] static void Fail(Napi::Env env, const char *code, const std::string &msg) {
    Napi::Error e = Napi::Error::New(env, msg);
    e.Set("code", Napi::String::New(env, code));
    throw e;
  }

  void Consume() {
    // No wakeup per event (BPF_RB_NO_WAKEUP): wait on a short timer; BPF forces a wakeup only
    // when a quarter of the buffer is pending. Wait without the lock (ring_buffer__poll would
    // decode outside it), then decode everything under the lock.
    int efd = ring_buffer__epoll_fd(rb_);
    struct epoll_event ev;
    while (running_) {
      epoll_wait(efd, &ev, 1, 10);
      std::lock_guard<std::mutex> g(mu_);
      ring_buffer__consume(rb_);
    }
  }

  // The batch of a kind, cached by kind number (reset when drain() takes the batches).
  Batch &BatchOf(uint8_t kind) {
    if (!batch_of_[kind]) {
      auto it = batches_.find(KIND_OF[kind]);
      if (it == batches_.end()) it = batches_.emplace(KIND_OF[kind], Batch(kind_cols(kind))).first;
      batch_of_[kind] = &it->second;
    }
    return *batch_of_[kind];
  }

  // Called by libbpf on the consumer thread, with mu_ held.
  static int OnEvent(void *ctx, void *data, size_t size) {
    static_cast<Recorder *>(ctx)->Decode(static_cast<const uint8_t *>(data), size);
    return 0;
  }

  void Decode(const uint8_t *d, size_t size) {
    if (size < 1) return;
    uint8_t kind = d[0];
    if (kind == CX_NEW_CGROUP && size >= sizeof(cx_new_cgroup)) {
      new_cgroups_.push_back(reinterpret_cast<const cx_new_cgroup *>(d)->cgroup_id);
      return;
    }
    if (kind < CX_EXEC || kind > CX_CLOSE || size < sizeof(cx_hdr)) {
      native_["errors.bad_record"]++;
      return;
    }
    if (size < kind_cols(kind)->min_size) {
      native_["errors.bad_record"]++;
      return;
    }
    events_n_[kind]++;
    if (pending_bytes_ > max_pending_bytes_) {  // JS is not draining: count, don't grow
      drops_native_n_[kind]++;
      return;
    }
    Batch &b = BatchOf(kind);
    if (!decode_row(b, d, size, offset_)) native_["errors.bad_record"]++;
    // decoded size, near enough for the maxPendingBytes cap (no walk over the columns per event)
    pending_bytes_ += size + 8 * b.cols.size();
  }

  // Online CPUs, from /sys/devices/system/cpu/online ("0-3,5"); all possible ones if unreadable.
  std::vector<int> OnlineCpus() {
    std::vector<int> out;
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (f) {
      int a, b;
      char sep;
      while (fscanf(f, "%d", &a) == 1) {
        b = a;
        if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
          if (fscanf(f, "%d", &b) != 1) break;
          if (fscanf(f, "%c", &sep) != 1) sep = '\n';
        }
        for (int c = a; c <= b; c++) out.push_back(c);
        if (sep != ',') break;
      }
      fclose(f);
    }
    if (out.empty())
      for (int c = 0; c < ncpus_; c++) out.push_back(c);
    return out;
  }

  // One syscall on each online CPU, from a short-lived thread pinned to each in turn. A CPU this
  // process may not run on (a cpuset) keeps its slot's counts until another task takes the slot:
  // counted in errors.cpu_flush. An offline CPU keeps them until it is back.
  void PokeCpus() {
    std::vector<int> cpus = OnlineCpus();
    std::thread poker([this, &cpus] {
      for (int c : cpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(c, &set);
        if (sched_setaffinity(0, sizeof(set), &set) == 0) {
          syscall(SYS_getppid);
        } else {
          std::lock_guard<std::mutex> g(mu_);
          native_["errors.cpu_flush"]++;
        }
      }
    });
    poker.join();
  }

  void Check(Napi::Env env) {
    if (!skel_) Fail(env, "closed", "the recorder is closed");
  }

  static Napi::Value ToJs(Napi::Env env, Column &c, uint32_t n) {
    auto copy = [&](const void *p, size_t bytes) {
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes);
      if (bytes) memcpy(ab.Data(), p, bytes);
      return ab;
    };
    switch (c.type) {
      case CXT_U8: case CXT_BOOL: case CXT_ADDR:
        return Napi::Uint8Array::New(env, c.data.size(), copy(c.data.data(), c.data.size()), 0);
      case CXT_U16: return Napi::Uint16Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case CXT_U32: return Napi::Uint32Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case CXT_I32: return Napi::Int32Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case CXT_U64:
        return Napi::TypedArrayOf<uint64_t>::New(env, n, copy(c.data.data(), c.data.size()), 0, napi_biguint64_array);
      case CXT_I64: case CXT_TS:
        return Napi::TypedArrayOf<int64_t>::New(env, n, copy(c.data.data(), c.data.size()), 0, napi_bigint64_array);
      case CXT_DICT: case CXT_UTF8: case CXT_UTF8_LIST: {
        Napi::Object o = Napi::Object::New(env);
        if (c.type == CXT_UTF8_LIST)
          o.Set("listOffsets", Napi::Int32Array::New(env, c.listOffsets.size(),
                                                      copy(c.listOffsets.data(), 4 * c.listOffsets.size()), 0));
        o.Set("offsets", Napi::Int32Array::New(env, c.offsets.size(), copy(c.offsets.data(), 4 * c.offsets.size()), 0));
        o.Set("data", Napi::Uint8Array::New(env, c.data.size(), copy(c.data.data(), c.data.size()), 0));
        return o;
      }
    }
    return env.Undefined();
  }

  static Napi::Object BatchToJs(Napi::Env env, Batch &b) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", b.def->name);
    o.Set("length", Napi::Number::New(env, b.length));
    Napi::Object cols = Napi::Object::New(env);
    for (size_t i = 0; i < b.cols.size(); i++) cols.Set(b.def->cols[i].name, ToJs(env, b.cols[i], b.length));
    o.Set("columns", cols);
    return o;
  }

  Napi::Value Drain(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    std::map<std::string, Batch> taken;
    std::vector<uint64_t> cgs;
    {
      std::lock_guard<std::mutex> g(mu_);
      taken.swap(batches_);
      for (auto &p : batch_of_) p = nullptr;
      cgs.swap(new_cgroups_);
      pending_bytes_ = 0;
    }
    Napi::Array arr = Napi::Array::New(env);
    uint32_t i = 0;
    for (auto &kv : taken)
      if (kv.second.length) arr.Set(i++, BatchToJs(env, kv.second));
    Napi::Object out = Napi::Object::New(env);
    out.Set("batches", arr);
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, 8 * cgs.size());
    if (!cgs.empty()) memcpy(ab.Data(), cgs.data(), 8 * cgs.size());
    out.Set("newCgroups", Napi::TypedArrayOf<uint64_t>::New(env, cgs.size(), ab, 0, napi_biguint64_array));
    return out;
  }

  // Flip the epoch, wait for an RCU grace period (no program still writes the old half), flush
  // the per-task pending counts into the old half, then read, sum over CPUs and delete it.
  // Counts made meanwhile go to the new half.
  Napi::Value ReadSyscalls(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    int64_t now = clock_ns(CLOCK_REALTIME);
    uint8_t old = skel_->bss->epoch & 1;
    __atomic_store_n(&skel_->bss->epoch, uint8_t(old ^ 1), __ATOMIC_SEQ_CST);
    uint32_t zero = 0;
    int inner = bpf_map__fd(skel_->maps.rcu_inner);
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.rcu_sync), &zero, &inner, BPF_ANY))
      usleep(20000);  // fallback: programs run for microseconds
    // Counts still held in the per-CPU hot slots (a task's calls are kept there while it owns
    // the CPU's slot) go to the old half when the slot next sees the new epoch: make a syscall
    // on every CPU so that each slot does it now. The programs run inside the syscall, so they
    // are done when it returns.
    PokeCpus();
    int fd = bpf_map__fd(skel_->maps.syscalls);
    std::vector<cx_sc_key> keys;
    cx_sc_key k, next;
    bool first = true;
    while (bpf_map_get_next_key(fd, first ? nullptr : &k, &next) == 0) {
      first = false;
      k = next;
      if (k.epoch == old) keys.push_back(k);
    }
    Batch b(kind_cols(0));
    size_t vsz = (sizeof(cx_sc_val) + 7) & ~size_t(7);
    std::vector<uint8_t> vals(vsz * ncpus_);
    for (auto &key : keys) {
      if (bpf_map_lookup_elem(fd, &key, vals.data())) continue;
      bpf_map_delete_elem(fd, &key);
      cx_sc_row row{};
      row.ts = uint64_t(window_start_ - offset_);
      row.k = key;
      for (int c = 0; c < ncpus_; c++) {
        auto *v = reinterpret_cast<const cx_sc_val *>(vals.data() + c * vsz);
        row.v.count += v->count;
        row.v.errors += v->errors;
        row.v.denied += v->denied;
        if (!row.v.comm[0] && v->comm[0]) memcpy(row.v.comm, v->comm, CX_COMM_LEN);
      }
      if (key.syscall_nr < 0 || key.syscall_nr >= 1024) unknown_ += row.v.count + row.v.denied;
      syscalls_total_ += row.v.count;
      decode_row(b, reinterpret_cast<const uint8_t *>(&row), sizeof(row), offset_);
    }
    window_start_ = now;
    return BatchToJs(env, b);
  }

  Napi::Value SetVerdict(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    bool lossless;
    uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    std::string v = info[1].As<Napi::String>().Utf8Value();
    uint8_t val = v == "record" ? CX_RECORD : v == "ignore" ? CX_IGNORE : 255;
    if (val == 255) Fail(env, "usage", "verdict must be 'record' or 'ignore'");
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.cgroup_verdict), &id, &val, BPF_ANY))
      Fail(env, "map", "setting the cgroup verdict failed: " + std::string(strerror(errno)));
    __atomic_add_fetch(&skel_->bss->verdict_gen, 1, __ATOMIC_SEQ_CST);  // tasks re-read their verdict
    return env.Undefined();
  }

  Napi::Value Counters(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    Napi::Object o = Napi::Object::New(env);
    std::vector<uint64_t> per(ncpus_);
    int fd = bpf_map__fd(skel_->maps.counters);
    for (uint32_t i = 0; i < CXC_NR; i++) {
      uint64_t sum = 0;
      if (bpf_map_lookup_elem(fd, &i, per.data()) == 0)
        for (int c = 0; c < ncpus_; c++) sum += per[c];
      o.Set(COUNTER_NAMES[i], Napi::BigInt::New(env, sum));
    }
    uint64_t misses = 0;
    bpf_program *p;
    bpf_object__for_each_program(p, skel_->obj) {
      if (!bpf_program__autoload(p)) continue;
      bpf_prog_info pi{};
      uint32_t len = sizeof(pi);
      if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &pi, &len) == 0) misses += pi.recursion_misses;
    }
    o.Set("drops.bpf_recursion", Napi::BigInt::New(env, misses));
    o.Set("syscall.unknown", Napi::BigInt::New(env, unknown_));
    o.Set("events.syscall", Napi::BigInt::New(env, syscalls_total_));
    std::lock_guard<std::mutex> g(mu_);
    for (int k = CX_EXEC; k <= CX_CLOSE; k++) {
      o.Set(std::string("events.") + KIND_OF[k], Napi::BigInt::New(env, events_n_[k]));
      o.Set(std::string("drops.native.") + KIND_OF[k], Napi::BigInt::New(env, drops_native_n_[k]));
    }
    for (auto &kv : native_)
      if (!o.Has(kv.first)) o.Set(kv.first, Napi::BigInt::New(env, kv.second));
    return o;
  }

  // Per-program run count and time (kernel.bpf_stats_enabled=1 makes the kernel measure them).
  Napi::Value ProgramStats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    Napi::Object o = Napi::Object::New(env);
    bpf_program *p;
    bpf_object__for_each_program(p, skel_->obj) {
      if (!bpf_program__autoload(p)) continue;
      bpf_prog_info pi{};
      uint32_t len = sizeof(pi);
      if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &pi, &len)) continue;
      Napi::Object e = Napi::Object::New(env);
      e.Set("runCount", Napi::BigInt::New(env, uint64_t(pi.run_cnt)));
      e.Set("runTimeNs", Napi::BigInt::New(env, uint64_t(pi.run_time_ns)));
      e.Set("recursionMisses", Napi::BigInt::New(env, uint64_t(pi.recursion_misses)));
      o.Set(bpf_program__name(p), e);
    }
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Destroy();
    return info.Env().Undefined();
  }

  contxray *skel_ = nullptr;
  std::vector<bpf_link *> links_;
  ring_buffer *rb_ = nullptr;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  std::map<std::string, Batch> batches_;
  std::vector<uint64_t> new_cgroups_;
  Batch *batch_of_[CX_CLOSE + 1] = {};
  uint64_t events_n_[CX_CLOSE + 1] = {}, drops_native_n_[CX_CLOSE + 1] = {};
  std::map<std::string, uint64_t> native_;
  size_t pending_bytes_ = 0, max_pending_bytes_ = size_t(512) << 20;
  int64_t offset_ = 0, window_start_ = 0;
  int ncpus_ = 1;
  uint64_t unknown_ = 0, syscalls_total_ = 0;
};

Napi::Value DescribeColumns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  for (const cx_kind_cols *k : all_kind_cols()) {
    Napi::Array a = Napi::Array::New(env, k->n);
    for (size_t i = 0; i < k->n; i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(uint32_t(0), k->cols[i].name);
      pair.Set(uint32_t(1), type_name(k->cols[i].type));
      a.Set(uint32_t(i), pair);
    }
    o.Set(k->name, a);
  }
  return o;
}

// Where this compiler puts every member the decoder reads (compared with the BPF object's BTF
// by test/unit/native-schema.test.ts).
Napi::Value Layout(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const auto &abi = abi_members();
  Napi::Array a = Napi::Array::New(env, abi.size());
  for (size_t i = 0; i < abi.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("struct", abi[i].strct);
    o.Set("member", abi[i].member);
    o.Set("offset", Napi::Number::New(env, double(abi[i].offset)));
    o.Set("size", Napi::Number::New(env, double(abi[i].size)));
    a.Set(uint32_t(i), o);
  }
  return a;
}

void Cleanup(void *) {
  if (live) live->Destroy();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Recorder", Recorder::Init(env));
  exports.Set("describeColumns", Napi::Function::New(env, DescribeColumns));
  exports.Set("layout", Napi::Function::New(env, Layout));
  napi_add_env_cleanup_hook(env, Cleanup, nullptr);
  return exports;
}

}  // namespace

NODE_API_MODULE(contxray, Init)
