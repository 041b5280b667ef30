// SPDX-License-Identifier: Apache-2.0
#include "errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cstdarg>

void fail(Napi::Env env, const char *code, const std::string &detail, const std::string &program, const std::string &log) {
  Napi::Error e = Napi::Error::New(env, detail);
  e.Set("code", Napi::String::New(env, code));
  e.Set("program", Napi::String::New(env, program));
  e.Set("detail", Napi::String::New(env, detail));
  e.Set("log", Napi::String::New(env, log));
  throw e;
}

namespace {

// Only set while a LoadLog is alive (loads run on the JS thread, one at a time).
thread_local std::string *first_complaint = nullptr;

// The kernel's log is rolling: a big log keeps its end, where the error is.
constexpr size_t LOG_BYTES = 64 * 1024;

int print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (getenv("CONTXRAY_LIBBPF_DEBUG")) {
    va_list cp;
    va_copy(cp, ap);
    vfprintf(stderr, fmt, cp);
    va_end(cp);
  }
  if (level == LIBBPF_DEBUG || !first_complaint || !first_complaint->empty()) return 0;
  char buf[512];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  std::string text(buf);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.rfind("libbpf: ", 0) == 0) text = text.substr(8);
  // the first failure says what went wrong; "failed to load object/skeleton" only follow it
  if (text.find('\n') == std::string::npos &&
      (text.find("failed") != std::string::npos || text.find("Error") != std::string::npos))
    *first_complaint = text;
  return 0;
}

std::string complaint;

}  // namespace

LoadLog::LoadLog(bpf_object *obj) : obj_(obj) {
  bpf_program *p;
  bpf_object__for_each_program(p, obj) {
    if (!bpf_program__autoload(p)) continue;
    std::unique_ptr<char[]> buf(new char[LOG_BYTES]);
    buf[0] = 0;
    bpf_program__set_log_buf(p, buf.get(), LOG_BYTES);
    bufs_.emplace_back(p, std::move(buf));
  }
  complaint.clear();
  first_complaint = &complaint;
  libbpf_set_print(print);
}

LoadLog::~LoadLog() {
  first_complaint = nullptr;
  for (auto &b : bufs_) bpf_program__set_log_buf(b.first, nullptr, 0);
}

void LoadLog::explain(std::string *program, std::string *log) const {
  for (auto &b : bufs_) {
    std::string text(b.second.get(), strnlen(b.second.get(), LOG_BYTES));
    if (text.empty()) continue;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    size_t nl = text.rfind('\n');
    if (nl != std::string::npos && text.compare(nl + 1, 10, "processed ") == 0) {  // skip the stats line
      text.resize(nl);
      nl = text.rfind('\n');
    }
    *program = bpf_program__name(b.first);
    *log = nl == std::string::npos ? text : text.substr(nl + 1);
    return;
  }
  *log = complaint;
}
