// SPDX-License-Identifier: Apache-2.0
//
// contxray's native addon: loads the BPF skeleton, attaches it, consumes the ring buffer on a
// native thread and decodes events into column buffers that JS takes as whole batches (typed
// arrays). Column names/types follow src/capture/schema.ts; test/unit/native-schema.test.ts
// checks them against describeColumns().
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

extern "C" {
#include "contxray.h"
}
#include "contxray.skel.h"

namespace {

// ------------------------------------------------------------------ columns

enum class T { u8, u16, u32, i32, u64, i64, ts, boolean, addr, dict, utf8, utf8_list };

const char *type_name(T t) {
  switch (t) {
    case T::u8: return "u8";
    case T::u16: return "u16";
    case T::u32: return "u32";
    case T::i32: return "i32";
    case T::u64: return "u64";
    case T::i64: return "i64";
    case T::ts: return "timestamp";
    case T::boolean: return "bool";
    case T::addr: return "addr";
    case T::dict: return "dict";
    case T::utf8: return "utf8";
    case T::utf8_list: return "utf8_list";
  }
  return "?";
}

size_t width(T t) {
  switch (t) {
    case T::u8: case T::boolean: return 1;
    case T::u16: return 2;
    case T::u32: case T::i32: return 4;
    case T::u64: case T::i64: case T::ts: return 8;
    case T::addr: return 16;
    default: return 0;  // variable
  }
}

struct ColDef {
  const char *name;
  T type;
};

// Per kind, in the order of COLUMNS in src/capture/schema.ts (without `kind`).
#define PROC_COLS {"ts", T::ts}, {"cgroup_id", T::u64}, {"pid", T::u32}, {"tid", T::u32}, {"comm", T::dict}
#define NET_COLS                                                                                  \
  {"protocol", T::u8}, {"family", T::u16}, {"laddr", T::addr}, {"lport", T::u16}, {"raddr", T::addr}, \
      {"rport", T::u16}, {"sock_cookie", T::u64}
const std::map<std::string, std::vector<ColDef>> KIND_COLS = {
    {"syscall",
     {PROC_COLS, {"syscall_nr", T::i32}, {"compat", T::boolean}, {"filtered", T::boolean}, {"count", T::u64},
      {"errors", T::u64}, {"denied", T::u64}, {"denied_errno", T::i32}}},
    {"exec",
     {PROC_COLS, {"ppid", T::u32}, {"uid", T::u32}, {"filename", T::dict}, {"argv", T::utf8_list},
      {"truncated", T::boolean}}},
    {"fork", {PROC_COLS, {"ppid", T::u32}}},
    {"exit", {PROC_COLS, {"exit_code", T::i32}}},
    {"open",
     {PROC_COLS, {"syscall_nr", T::i32}, {"uid", T::u32}, {"path", T::dict}, {"open_flags", T::u32},
      {"fs_type", T::dict}, {"fs_magic", T::u64}, {"ret", T::i64}, {"truncated", T::boolean}}},
    {"connect", {PROC_COLS, {"uid", T::u32}, {"ret", T::i64}, NET_COLS}},
    {"accept", {PROC_COLS, {"uid", T::u32}, {"ret", T::i64}, NET_COLS}},
    {"close",
     {PROC_COLS, NET_COLS, {"duration_ns", T::u64}, {"bytes_sent", T::u64}, {"bytes_received", T::u64}}},
};

struct Column {
  T type;
  std::vector<uint8_t> data;          // fixed-width values, or string bytes
  std::vector<int32_t> offsets{0};    // strings: n+1 offsets into data
  std::vector<int32_t> listOffsets{0};  // utf8_list: n+1 offsets into the strings
};

// A batch of one kind. Rows are appended with a Row writer that walks the columns in order and
// checks each value's type against the declaration (a mismatch is a bug: abort loudly).
struct Batch {
  std::string kind;
  const std::vector<ColDef> *defs;
  std::vector<Column> cols;
  uint32_t length = 0;
  explicit Batch(const std::string &k) : kind(k), defs(&KIND_COLS.at(k)) {
    for (auto &d : *defs) cols.push_back(Column{d.type});
  }
  size_t bytes() const {
    size_t n = 0;
    for (auto &c : cols) n += c.data.size() + 4 * (c.offsets.size() + c.listOffsets.size());
    return n;
  }
};

struct Row {
  Batch &b;
  size_t i = 0;
  explicit Row(Batch &batch) : b(batch) {}
  Column &next(T t) {
    if (i >= b.cols.size() || b.cols[i].type != t) {
      fprintf(stderr, "contxray: column %zu of %s is not %s\n", i, b.kind.c_str(), type_name(t));
      abort();
    }
    return b.cols[i++];
  }
  template <typename V>
  void fixed(Column &c, V v) {
    const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
    c.data.insert(c.data.end(), p, p + sizeof(v));
  }
  Row &u8(uint8_t v) { fixed(next(T::u8), v); return *this; }
  Row &u16(uint16_t v) { fixed(next(T::u16), v); return *this; }
  Row &u32(uint32_t v) { fixed(next(T::u32), v); return *this; }
  Row &i32(int32_t v) { fixed(next(T::i32), v); return *this; }
  Row &u64(uint64_t v) { fixed(next(T::u64), v); return *this; }
  Row &i64(int64_t v) { fixed(next(T::i64), v); return *this; }
  Row &ts(int64_t v) { fixed(next(T::ts), v); return *this; }
  Row &boolean(bool v) { fixed(next(T::boolean), uint8_t(v ? 1 : 0)); return *this; }
  Row &addr(const uint8_t *a) {
    Column &c = next(T::addr);
    c.data.insert(c.data.end(), a, a + 16);
    return *this;
  }
  static void str_into(Column &c, const char *s, size_t n) {
    c.data.insert(c.data.end(), s, s + n);
    c.offsets.push_back(int32_t(c.data.size()));
  }
  Row &str(T t, const char *s, size_t n) { str_into(next(t), s, n); return *this; }
  Row &dict(const char *s, size_t n) { return str(T::dict, s, n); }
  Row &cstr(const char *s, size_t max) { return dict(s, strnlen(s, max)); }
  // NUL-separated strings (the raw argv area); a trailing partial string is kept.
  Row &list(const char *s, size_t n) {
    Column &c = next(T::utf8_list);
    size_t start = 0;
    for (size_t k = 0; k < n; k++) {
      if (s[k] == 0) {
        str_into(c, s + start, k - start);
        start = k + 1;
      }
    }
    if (start < n) str_into(c, s + start, n - start);
    c.listOffsets.push_back(int32_t(c.offsets.size() - 1));
    return *this;
  }
  void done() {
    if (i != b.cols.size()) {
      fprintf(stderr, "contxray: %s row has %zu of %zu columns\n", b.kind.c_str(), i, b.cols.size());
      abort();
    }
    b.length++;
  }
};

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
      if (it == batches_.end()) it = batches_.emplace(KIND_OF[kind], Batch(KIND_OF[kind])).first;
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
    static const size_t min_size[] = {0, 0, offsetof(cx_exec, data), sizeof(cx_fork), sizeof(cx_exit),
                                      offsetof(cx_open, path), sizeof(cx_sock), sizeof(cx_sock), sizeof(cx_sock)};
    if (size < min_size[kind]) {
      native_["errors.bad_record"]++;
      return;
    }
    events_n_[kind]++;
    if (pending_bytes_ > max_pending_bytes_) {  // JS is not draining: count, don't grow
      drops_native_n_[kind]++;
      return;
    }
    const cx_hdr *h = reinterpret_cast<const cx_hdr *>(d);
    Batch &b = BatchOf(kind);
    Row r(b);
    r.ts(int64_t(h->ts) + offset_).u64(h->cgroup_id).u32(h->pid).u32(h->tid).cstr(h->comm, CX_COMM_LEN);
    switch (kind) {
      case CX_EXEC: {
        auto *e = reinterpret_cast<const cx_exec *>(d);
        size_t fl = e->filename_len, al = e->argv_len;
        if (offsetof(cx_exec, data) + fl + al > size) fl = al = 0;
        r.u32(e->ppid).u32(h->uid).dict(e->data, fl).list(e->data + fl, al).boolean(h->truncated);
        break;
      }
      case CX_FORK:
        r.u32(reinterpret_cast<const cx_fork *>(d)->ppid);
        break;
      case CX_EXIT:
        r.i32(reinterpret_cast<const cx_exit *>(d)->exit_code);
        break;
      case CX_OPEN: {
        auto *e = reinterpret_cast<const cx_open *>(d);
        size_t pl = e->path_len;
        if (offsetof(cx_open, path) + pl > size) pl = 0;
        r.i32(e->nr).u32(h->uid).dict(e->path, pl).u32(e->flags).cstr(e->fs_type, CX_FSTYPE_LEN)
            .u64(e->fs_magic).i64(e->ret).boolean(h->truncated);
        break;
      }
      case CX_CONNECT:
      case CX_ACCEPT:
      case CX_CLOSE: {
        auto *e = reinterpret_cast<const cx_sock *>(d);
        if (kind != CX_CLOSE) r.u32(h->uid).i64(e->ret);
        r.u8(e->protocol).u16(e->family).addr(e->laddr).u16(e->lport).addr(e->raddr).u16(e->rport).u64(e->cookie);
        if (kind == CX_CLOSE) r.u64(e->duration_ns).u64(e->bytes_sent).u64(e->bytes_received);
        break;
      }
    }
    r.done();
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
      case T::u8: case T::boolean: case T::addr:
        return Napi::Uint8Array::New(env, c.data.size(), copy(c.data.data(), c.data.size()), 0);
      case T::u16: return Napi::Uint16Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case T::u32: return Napi::Uint32Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case T::i32: return Napi::Int32Array::New(env, n, copy(c.data.data(), c.data.size()), 0);
      case T::u64:
        return Napi::TypedArrayOf<uint64_t>::New(env, n, copy(c.data.data(), c.data.size()), 0, napi_biguint64_array);
      case T::i64: case T::ts:
        return Napi::TypedArrayOf<int64_t>::New(env, n, copy(c.data.data(), c.data.size()), 0, napi_bigint64_array);
      case T::dict: case T::utf8: case T::utf8_list: {
        Napi::Object o = Napi::Object::New(env);
        if (c.type == T::utf8_list)
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
    o.Set("kind", b.kind);
    o.Set("length", Napi::Number::New(env, b.length));
    Napi::Object cols = Napi::Object::New(env);
    for (size_t i = 0; i < b.cols.size(); i++) cols.Set((*b.defs)[i].name, ToJs(env, b.cols[i], b.length));
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
    Batch b("syscall");
    size_t vsz = (sizeof(cx_sc_val) + 7) & ~size_t(7);
    std::vector<uint8_t> vals(vsz * ncpus_);
    for (auto &key : keys) {
      if (bpf_map_lookup_elem(fd, &key, vals.data())) continue;
      bpf_map_delete_elem(fd, &key);
      cx_sc_val sum{};
      for (int c = 0; c < ncpus_; c++) {
        auto *v = reinterpret_cast<const cx_sc_val *>(vals.data() + c * vsz);
        sum.count += v->count;
        sum.errors += v->errors;
        sum.denied += v->denied;
        if (!sum.comm[0] && v->comm[0]) memcpy(sum.comm, v->comm, CX_COMM_LEN);
      }
      if (key.nr < 0 || key.nr >= 1024) unknown_ += sum.count + sum.denied;
      syscalls_total_ += sum.count;
      Row r(b);
      r.ts(window_start_).u64(key.cgroup_id).u32(key.pid).u32(key.tid).cstr(sum.comm, CX_COMM_LEN);
      r.i32(key.nr).boolean(key.compat).boolean(key.filtered).u64(sum.count).u64(sum.errors).u64(sum.denied)
          .i32(key.denied_errno);
      r.done();
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
  for (auto &kv : KIND_COLS) {
    Napi::Array a = Napi::Array::New(env, kv.second.size());
    for (size_t i = 0; i < kv.second.size(); i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(uint32_t(0), kv.second[i].name);
      pair.Set(uint32_t(1), type_name(kv.second[i].type));
      a.Set(uint32_t(i), pair);
    }
    o.Set(kv.first, a);
  }
  return o;
}

// The decoder's view of the shared structs (compared with a gcc build of bpf/contxray.h).
Napi::Value Layout(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#define L(name, v) o.Set(name, Napi::Number::New(env, double(v)))
  L("cx_hdr", sizeof(cx_hdr));
  L("cx_hdr.ts", offsetof(cx_hdr, ts));
  L("cx_hdr.cgroup_id", offsetof(cx_hdr, cgroup_id));
  L("cx_hdr.comm", offsetof(cx_hdr, comm));
  L("cx_exec", sizeof(cx_exec));
  L("cx_exec.ppid", offsetof(cx_exec, ppid));
  L("cx_exec.argv_len", offsetof(cx_exec, argv_len));
  L("cx_exec.data", offsetof(cx_exec, data));
  L("cx_fork", sizeof(cx_fork));
  L("cx_exit", sizeof(cx_exit));
  L("cx_exit.exit_code", offsetof(cx_exit, exit_code));
  L("cx_open", sizeof(cx_open));
  L("cx_open.fs_type", offsetof(cx_open, fs_type));
  L("cx_open.path", offsetof(cx_open, path));
  L("cx_sock", sizeof(cx_sock));
  L("cx_sock.laddr", offsetof(cx_sock, laddr));
  L("cx_sock.family", offsetof(cx_sock, family));
  L("cx_sc_key", sizeof(cx_sc_key));
  L("cx_sc_key.epoch", offsetof(cx_sc_key, epoch));
  L("cx_sc_val", sizeof(cx_sc_val));
#undef L
  return o;
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
