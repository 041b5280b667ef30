// SPDX-License-Identifier: Apache-2.0
//
// contxray's native addon: loads the BPF skeleton, attaches it, consumes the ring buffer on a
// native thread and decodes events into column buffers that JS takes as whole batches (typed
// arrays). Files: recorder.cc (lifecycle, events, counters), syscalls.cc (aggregates),
// decode.cc + the generated columns.gen.h (records to columns), js.cc (columns to JS),
// errors.cc (failures as {code, program, detail, log}). See docs/bpf.md.
#include <napi.h>

#include "columns.h"
#include "recorder.h"

namespace {

// Column names and types per kind, from the generated tables (checked against the schema).
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
  if (Recorder::live) Recorder::live->Destroy();
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
