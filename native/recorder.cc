// SPDX-License-Identifier: Apache-2.0
//
// Recorder lifecycle (open, load, attach, close), the ring-buffer consumer thread, decoded
// batches, verdicts and counters.
#include "recorder.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"
#include "contxray.skel.h"

namespace {

const char *const COUNTER_NAMES[CXC_NR] = {
    [CXC_DROP_EXEC] = "drops.exec",
    [CXC_DROP_FORK] = "drops.fork",
    [CXC_DROP_EXIT] = "drops.exit",
    [CXC_DROP_OPEN] = "drops.open",
    [CXC_DROP_CONNECT] = "drops.connect",
    [CXC_DROP_ACCEPT] = "drops.accept",
    [CXC_DROP_CLOSE] = "drops.close",
    [CXC_DROP_NEW_CGROUP] = "drops.new_cgroup",
    [CXC_DROP_SYSCALL_MAP_FULL] = "drops.syscall_map_full",
    [CXC_TRUNC_ARGV] = "truncated.argv",
    [CXC_TRUNC_PATH] = "truncated.path",
    [CXC_ARGV_READ_ERROR] = "errors.argv_read",
    [CXC_OPENS_SKIPPED_ROOTFS] = "opens.skipped_rootfs",
    [CXC_DROP_SOCK_MAP_FULL] = "drops.sock_map_full",
    [CXC_DROP_INFLIGHT_MAP_FULL] = "drops.inflight_map_full",
    [CXC_SIGRETURN_EXIT_SKIPPED] = "syscall.sigreturn_exit_skipped",
};

const char *const KIND_OF[CX_CLOSE + 1] = {
    [0] = nullptr,
    [CX_NEW_CGROUP] = "new_cgroup",
    [CX_EXEC] = "exec",
    [CX_FORK] = "fork",
    [CX_EXIT] = "exit",
    [CX_OPEN] = "open",
    [CX_CONNECT] = "connect",
    [CX_ACCEPT] = "accept",
    [CX_CLOSE] = "close",
};

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

// Options are validated and defaulted by src/record/native.ts: a missing one is a bug there.
double number(Napi::Env env, Napi::Object o, const char *name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) fail(env, "usage", std::string("option ") + name + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace

int64_t clock_ns(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

Recorder *Recorder::live = nullptr;

Napi::Function Recorder::Init(Napi::Env env) {
  return DefineClass(env, "Recorder",
                     {
                         InstanceMethod("drain", &Recorder::Drain),
                         InstanceMethod("readSyscalls", &Recorder::ReadSyscalls),
                         InstanceMethod("setCgroupVerdict", &Recorder::SetVerdict),
                         InstanceMethod("counters", &Recorder::Counters),
                         InstanceMethod("close", &Recorder::Close),
                         InstanceMethod("programStats", &Recorder::ProgramStats),
                         InstanceMethod("ringBuffer", &Recorder::RingBuffer),
                     });
}

Recorder::Recorder(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Recorder>(info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  uint8_t opens_mode = uint8_t(number(env, o, "opensMode"));  // enum cx_opens
  uint64_t rb = uint64_t(number(env, o, "ringBufferBytes"));  // a power of two, >= a page
  max_pending_bytes_ = size_t(number(env, o, "maxPendingBytes"));
  uint32_t max_argv = uint32_t(number(env, o, "maxArgvBytes"));  // 1..CX_MAX_ARGV
  bool floor_only = o.Get("floorOnly").ToBoolean().Value();
  offset_ = boot_to_wall_offset();
  window_start_ = clock_ns(CLOCK_REALTIME);

  skel_ = contxray__open();
  if (!skel_) fail(env, "open", strerror(errno));
  skel_->rodata->self_tgid = getpid();
  skel_->rodata->opens_mode = opens_mode;
  skel_->rodata->rb_wakeup_bytes = rb / 4;
  skel_->rodata->max_argv = max_argv;
  bpf_map__set_max_entries(skel_->maps.events, rb);
  bpf_program *p;
  bpf_object__for_each_program(p, skel_->obj) {
    // floorOnly (benchmarks): just an empty program on sys_enter, the cheapest possible tracer
    bool is_floor = strcmp(bpf_program__name(p), "floor_sys_enter") == 0;
    if (floor_only != is_floor) bpf_program__set_autoload(p, false);
    // CONTXRAY_ONLY=prog,prog: attach only these (overhead investigations)
    const char *only = getenv("CONTXRAY_ONLY");
    if (only && !strstr(only, bpf_program__name(p))) bpf_program__set_autoload(p, false);
  }
  {
    LoadLog log(skel_->obj);
    int err = contxray__load(skel_);
    if (err) {
      std::string program, last;
      log.explain(&program, &last);
      Destroy();
      fail(env, "load", strerror(-err), program, last);
    }
  }
  bpf_object__for_each_program(p, skel_->obj) {
    if (!bpf_program__autoload(p)) continue;
    bpf_link *l = bpf_program__attach(p);
    if (!l) {
      int e = errno;
      std::string section = bpf_program__section_name(p);
      Destroy();
      fail(env, e == ENOENT ? "tracepoint" : "attach", strerror(e), section);
    }
    links_.push_back(l);
  }
  rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), OnEvent, this, nullptr);
  if (!rb_) {
    int e = errno;
    Destroy();
    fail(env, "ringbuf", strerror(e));
  }
  // The ring buffer map's mmap layout (kernel ABI, kernel/bpf/ringbuf.c): page 0 holds the
  // consumer position, page 1 the producer position, then the data. Read-only views of both.
  page_ = size_t(sysconf(_SC_PAGESIZE));
  rb_size_ = rb;
  int rb_fd = bpf_map__fd(skel_->maps.events);
  rb_cons_page_ = mmap(nullptr, page_, PROT_READ, MAP_SHARED, rb_fd, 0);
  rb_prod_page_ = mmap(nullptr, page_, PROT_READ, MAP_SHARED, rb_fd, off_t(page_));
  if (rb_cons_page_ == MAP_FAILED || rb_prod_page_ == MAP_FAILED) {
    int e = errno;
    Destroy();
    fail(env, "ringbuf", std::string("mmap of the ring buffer positions: ") + strerror(e));
  }
  ncpus_ = libbpf_num_possible_cpus();
  running_ = true;
  thread_ = std::thread([this] { Consume(); });
  live = this;
}

Recorder::~Recorder() { Destroy(); }

void Recorder::Destroy() {
  if (running_) {
    running_ = false;
    thread_.join();
  }
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
  if (rb_cons_page_ && rb_cons_page_ != MAP_FAILED) munmap(rb_cons_page_, page_);
  if (rb_prod_page_ && rb_prod_page_ != MAP_FAILED) munmap(rb_prod_page_, page_);
  rb_cons_page_ = rb_prod_page_ = nullptr;
  for (auto *l : links_) bpf_link__destroy(l);
  links_.clear();
  if (skel_) contxray__destroy(skel_);
  skel_ = nullptr;
  if (live == this) live = nullptr;
}

void Recorder::Consume() {
  // No wakeup per event (BPF_RB_NO_WAKEUP): wait on a short timer; BPF forces a wakeup only
  // when a quarter of the buffer is pending. Wait without the lock (ring_buffer__poll would
  // decode outside it), then decode everything under the lock.
  int efd = ring_buffer__epoll_fd(rb_);
  struct epoll_event ev;
  while (running_) {
    epoll_wait(efd, &ev, 1, 10);
    std::lock_guard<std::mutex> g(mu_);
    uint64_t used = RingUsed();  // the fullest it gets: just before we empty it
    if (used > rb_peak_) rb_peak_ = used;
    ring_buffer__consume(rb_);
  }
}

// The batch of a kind, cached by kind number (reset when drain() takes the batches).
Batch &Recorder::BatchOf(uint8_t kind) {
  if (!batch_of_[kind]) {
    auto it = batches_.find(KIND_OF[kind]);
    if (it == batches_.end()) it = batches_.emplace(KIND_OF[kind], Batch(kind_cols(kind))).first;
    batch_of_[kind] = &it->second;
  }
  return *batch_of_[kind];
}

// Called by libbpf on the consumer thread, with mu_ held.
int Recorder::OnEvent(void *ctx, void *data, size_t size) {
  static_cast<Recorder *>(ctx)->Decode(static_cast<const uint8_t *>(data), size);
  return 0;
}

void Recorder::Decode(const uint8_t *d, size_t size) {
  if (size < 1) return;
  uint8_t kind = d[0];
  if (kind == CX_NEW_CGROUP && size >= sizeof(cx_new_cgroup)) {
    new_cgroups_.push_back(reinterpret_cast<const cx_new_cgroup *>(d)->cgroup_id);
    return;
  }
  if (kind < CX_EXEC || kind > CX_CLOSE || size < kind_cols(kind)->min_size) {
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

void Recorder::Check(Napi::Env env) {
  if (!skel_) fail(env, "closed", "the recorder is closed");
}

Napi::Value Recorder::Drain(const Napi::CallbackInfo &info) {
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

Napi::Value Recorder::SetVerdict(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Check(env);
  bool lossless;
  uint64_t id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  std::string v = info[1].As<Napi::String>().Utf8Value();
  uint8_t val = v == "record" ? CX_RECORD : v == "ignore" ? CX_IGNORE : 255;
  if (val == 255) fail(env, "usage", "verdict must be 'record' or 'ignore'");
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.cgroup_verdict), &id, &val, BPF_ANY))
    fail(env, "map", strerror(errno));
  __atomic_add_fetch(&skel_->bss->verdict_gen, 1, __ATOMIC_SEQ_CST);  // tasks re-read their verdict
  return env.Undefined();
}

Napi::Value Recorder::Counters(const Napi::CallbackInfo &info) {
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

// Bytes reserved by BPF and not yet consumed (record headers and not-yet-committed records
// included). Consumer position first: the producer's, read after, is never behind it.
uint64_t Recorder::RingUsed() const {
  uint64_t cons = __atomic_load_n(static_cast<const uint64_t *>(rb_cons_page_), __ATOMIC_ACQUIRE);
  uint64_t prod = __atomic_load_n(static_cast<const uint64_t *>(rb_prod_page_), __ATOMIC_ACQUIRE);
  return prod >= cons ? prod - cons : 0;
}

// {sizeBytes, usedBytes now, peakUsedBytes since the previous call (then reset)}.
Napi::Value Recorder::RingBuffer(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Check(env);
  std::lock_guard<std::mutex> g(mu_);
  uint64_t used = RingUsed();
  uint64_t peak = rb_peak_ > used ? rb_peak_ : used;
  rb_peak_ = 0;
  Napi::Object o = Napi::Object::New(env);
  o.Set("sizeBytes", Napi::Number::New(env, double(rb_size_)));
  o.Set("usedBytes", Napi::Number::New(env, double(used)));
  o.Set("peakUsedBytes", Napi::Number::New(env, double(peak)));
  return o;
}

// Per-program run count and time (kernel.bpf_stats_enabled=1 makes the kernel measure them).
Napi::Value Recorder::ProgramStats(const Napi::CallbackInfo &info) {
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

Napi::Value Recorder::Close(const Napi::CallbackInfo &info) {
  Destroy();
  return info.Env().Undefined();
}
