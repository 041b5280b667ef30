// SPDX-License-Identifier: Apache-2.0
//
// Syscall aggregates: read-and-reset of the per-CPU hash `syscalls` (epoch flip, RCU wait, hot
// slots flushed by a syscall on every CPU) into a `syscall` batch. See docs/bpf.md.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "contxray.skel.h"
#include "recorder.h"

std::vector<int> Recorder::OnlineCpus() {
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
void Recorder::PokeCpus() {
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

Napi::Value Recorder::ReadSyscalls(const Napi::CallbackInfo &info) {
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
