// SPDX-License-Identifier: Apache-2.0
//
// Table-driven decoding of ring-buffer records (and syscall rows) into column buffers. The tables
// come from columns.gen.h; nothing here names a field.
#include <string.h>

#include <iterator>

#include "columns.h"
#include "columns.gen.h"

const char *type_name(cx_type t) {
  static const char *const names[] = {
      [CXT_U8] = "u8",     [CXT_U16] = "u16",   [CXT_U32] = "u32",         [CXT_I32] = "i32",
      [CXT_U64] = "u64",   [CXT_I64] = "i64",   [CXT_TS] = "timestamp",    [CXT_BOOL] = "bool",
      [CXT_ADDR] = "addr", [CXT_DICT] = "dict", [CXT_UTF8] = "utf8",       [CXT_UTF8_LIST] = "utf8_list",
  };
  static_assert(sizeof(names) / sizeof(names[0]) == CXT_UTF8_LIST + 1, "a name per cx_type");
  return names[t];
}

static size_t width(cx_type t) {
  switch (t) {
    case CXT_U8: case CXT_BOOL: return 1;
    case CXT_U16: return 2;
    case CXT_U32: case CXT_I32: return 4;
    case CXT_U64: case CXT_I64: case CXT_TS: return 8;
    case CXT_ADDR: return 16;
    default: return 0;  // strings
  }
}

const std::vector<const cx_kind_cols *> &all_kind_cols() {
  static const std::vector<const cx_kind_cols *> all = [] {
    std::vector<const cx_kind_cols *> v;
    for (auto &k : CX_KIND_COLS) v.push_back(&k);
    return v;
  }();
  return all;
}

const std::vector<cx_abi_member> &abi_members() {
  static const std::vector<cx_abi_member> all(std::begin(CX_ABI), std::end(CX_ABI));
  return all;
}

const cx_kind_cols *kind_cols(int kind) {
  for (auto *k : all_kind_cols())
    if (k->kind == kind) return k;
  return nullptr;
}

static uint64_t read_len(const uint8_t *d, const cx_col &c) {
  switch (c.len_size) {
    case 1: return d[c.len_off];
    case 2: { uint16_t v; memcpy(&v, d + c.len_off, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, d + c.len_off, 4); return v; }
    default: { uint64_t v; memcpy(&v, d + c.len_off, 8); return v; }
  }
}

static void push_string(Column &c, const uint8_t *s, size_t n) {
  c.data.insert(c.data.end(), s, s + n);
  c.offsets.push_back(int32_t(c.data.size()));
}

// NUL-separated strings (the raw argv area); a trailing partial string is kept.
static void push_list(Column &c, const uint8_t *s, size_t n) {
  size_t start = 0;
  for (size_t k = 0; k < n; k++) {
    if (s[k] == 0) {
      push_string(c, s + start, k - start);
      start = k + 1;
    }
  }
  if (start < n) push_string(c, s + start, n - start);
  c.listOffsets.push_back(int32_t(c.offsets.size() - 1));
}

bool decode_row(Batch &b, const uint8_t *d, size_t size, int64_t ts_offset) {
  const cx_kind_cols &k = *b.def;
  if (size < k.min_size) return false;
  for (size_t i = 0; i < k.n; i++)
    if (width(k.cols[i].type) && k.cols[i].off + width(k.cols[i].type) > size) return false;
  // packed string areas: each one's length, all of them bounded together by the record's size
  size_t seg_start[8] = {}, seg_len[8] = {};
  if (k.segments) {
    size_t base = 0, total = 0;
    for (size_t i = 0; i < k.n; i++) {
      const cx_col &c = k.cols[i];
      if (c.segment <= 0 || c.segment >= 8) continue;
      base = c.off;
      seg_len[c.segment] = read_len(d, c);
      total += seg_len[c.segment];
    }
    if (base + total > size || total > size)
      for (auto &l : seg_len) l = 0;
    size_t at = base;
    for (int s = 1; s <= k.segments && s < 8; s++) {
      seg_start[s] = at;
      at += seg_len[s];
    }
  }
  for (size_t i = 0; i < k.n; i++) {
    const cx_col &c = k.cols[i];
    Column &col = b.cols[i];
    const uint8_t *p = d + c.off;
    switch (c.type) {
      case CXT_TS: {
        int64_t v;
        memcpy(&v, p, 8);
        v += ts_offset;
        const uint8_t *q = reinterpret_cast<const uint8_t *>(&v);
        col.data.insert(col.data.end(), q, q + 8);
        break;
      }
      case CXT_BOOL:
        col.data.push_back(*p ? 1 : 0);
        break;
      case CXT_DICT: case CXT_UTF8: case CXT_UTF8_LIST: {
        const uint8_t *s;
        size_t n;
        if (c.segment > 0) {
          s = d + seg_start[c.segment];
          n = seg_len[c.segment];
        } else if (c.len_size) {
          s = p;
          n = read_len(d, c);
          if (n > c.cap || c.off + n > size) n = 0;
        } else {
          s = p;
          n = strnlen(reinterpret_cast<const char *>(p), c.off + c.cap > size ? size - c.off : c.cap);
        }
        if (c.type == CXT_UTF8_LIST) push_list(col, s, n);
        else push_string(col, s, n);
        break;
      }
      default:
        col.data.insert(col.data.end(), p, p + width(c.type));
    }
  }
  b.length++;
  return true;
}
