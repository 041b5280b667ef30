// SPDX-License-Identifier: Apache-2.0
//
// How the addon reports failures: a JS Error carrying {code, program, detail, log}; the one-line
// message and the exit code are made in TypeScript (src/record/native.ts).
#pragma once
#include <napi.h>

#include <bpf/libbpf.h>

#include <memory>
#include <string>
#include <vector>

// code: open | load | attach | tracepoint | ringbuf | map | closed | usage; program: the BPF
// program concerned (or ""); detail: strerror of the failure; log: the verifier's last words, or
// libbpf's first complaint (or "").
[[noreturn]] void fail(Napi::Env env, const char *code, const std::string &detail, const std::string &program = "",
                       const std::string &log = "");

// Around an object's load: a verifier log buffer per program (libbpf's bpf_program__set_log_buf,
// filled only when a load fails) and libbpf's first warning line, both kept by this object
// rather than in globals. CONTXRAY_LIBBPF_DEBUG=1 prints libbpf's whole output.
class LoadLog {
 public:
  explicit LoadLog(bpf_object *obj);
  ~LoadLog();
  // After a failed load: the program whose verifier log is not empty and that log's last
  // meaningful line; otherwise libbpf's first complaint.
  void explain(std::string *program, std::string *log) const;

 private:
  bpf_object *obj_;
  std::vector<std::pair<bpf_program *, std::unique_ptr<char[]>>> bufs_;
};
