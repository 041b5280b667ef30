// SPDX-License-Identifier: Apache-2.0
//
// The Recorder JS class: one loaded and attached BPF skeleton, the ring-buffer consumer thread
// and the decoded batches. Lifecycle and events in recorder.cc, syscall aggregates (epoch flip,
// flush, read) in syscalls.cc, batches to JS in js.cc. Options arrive validated and defaulted by
// src/record/native.ts.
#pragma once
#include <napi.h>

#include <time.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "columns.h"

struct contxray;
struct bpf_link;
struct ring_buffer;

class Recorder : public Napi::ObjectWrap<Recorder> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Recorder(const Napi::CallbackInfo &info);
  ~Recorder();
  void Destroy();
  static Recorder *live;  // for the env cleanup hook (one recorder per process)

 private:
  // recorder.cc
  void Consume();
  Batch &BatchOf(uint8_t kind);
  static int OnEvent(void *ctx, void *data, size_t size);
  void Decode(const uint8_t *d, size_t size);
  void Check(Napi::Env env);
  Napi::Value Drain(const Napi::CallbackInfo &info);
  Napi::Value SetVerdict(const Napi::CallbackInfo &info);
  Napi::Value Counters(const Napi::CallbackInfo &info);
  Napi::Value ProgramStats(const Napi::CallbackInfo &info);
  Napi::Value RingBuffer(const Napi::CallbackInfo &info);
  uint64_t RingUsed() const;
  Napi::Value Close(const Napi::CallbackInfo &info);
  // syscalls.cc
  Napi::Value ReadSyscalls(const Napi::CallbackInfo &info);
  std::vector<int> OnlineCpus();
  void PokeCpus();

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
  size_t pending_bytes_ = 0, max_pending_bytes_ = 0;
  int64_t offset_ = 0, window_start_ = 0;
  int ncpus_ = 1;
  uint64_t unknown_ = 0, syscalls_total_ = 0;
  // Ring-buffer use, read from the map's own positions (libbpf 1.1 has no ring__avail_data_size):
  // read-only views of the consumer and producer pages, mapped as the kernel ABI lays them out.
  void *rb_cons_page_ = nullptr, *rb_prod_page_ = nullptr;
  size_t page_ = 0;
  uint64_t rb_size_ = 0, rb_peak_ = 0;  // peak: highest use the consumer saw since RingBuffer()
};

// js.cc: a batch as {kind, length, columns: {name: typed array | {offsets, data[, listOffsets]}}}
Napi::Object BatchToJs(Napi::Env env, Batch &b);

// clock.cc-like helpers (recorder.cc)
int64_t clock_ns(clockid_t id);
