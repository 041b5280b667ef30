// SPDX-License-Identifier: Apache-2.0
//
// Decoded column buffers to JS: one copy per column into a typed array (strings: offsets + bytes).
#include <string.h>

#include "recorder.h"

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

Napi::Object BatchToJs(Napi::Env env, Batch &b) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", b.def->name);
  o.Set("length", Napi::Number::New(env, b.length));
  Napi::Object cols = Napi::Object::New(env);
  for (size_t i = 0; i < b.cols.size(); i++) cols.Set(b.def->cols[i].name, ToJs(env, b.cols[i], b.length));
  o.Set("columns", cols);
  return o;
}
