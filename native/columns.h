// SPDX-License-Identifier: Apache-2.0
//
// Column buffers of the native decoder and the tables that drive it. The tables (which column,
// which type, where in the C record) are generated into columns.gen.h by
// scripts/gen-native-columns.mjs from src/capture/schema.ts and bpf/contxray.h.
#pragma once
#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

extern "C" {
#include "contxray.h"
}

enum cx_type { CXT_U8, CXT_U16, CXT_U32, CXT_I32, CXT_U64, CXT_I64, CXT_TS, CXT_BOOL, CXT_ADDR, CXT_DICT, CXT_UTF8, CXT_UTF8_LIST };

// One column of a kind: its value is at `off` in the record. Strings: a char array of `cap`
// bytes, NUL-terminated within it, or exactly the length stored at `len_off` (`len_size` bytes)
// when len_size > 0; segment > 0: the segment-th string area packed from `off` (cx_exec.data).
struct cx_col {
  const char *name;
  cx_type type;
  size_t off, cap, len_off, len_size;
  int segment;
};

struct cx_kind_cols {
  int kind;  // enum cx_kind; 0 = syscall (struct cx_sc_row, built by user space)
  const char *name;
  const cx_col *cols;
  size_t n;
  size_t min_size;  // shorter records are malformed
  int segments;     // packed string areas
};

// A member the decoder reads (member "" = the struct's size), as this compiler lays it out.
struct cx_abi_member {
  const char *strct, *member;
  size_t offset, size;
};

const char *type_name(cx_type t);

// Decoding table of a ring-buffer kind (CX_EXEC…), or of syscall rows (0); null if unknown.
const cx_kind_cols *kind_cols(int kind);
const std::vector<const cx_kind_cols *> &all_kind_cols();
const std::vector<cx_abi_member> &abi_members();

struct Column {
  cx_type type;
  std::vector<uint8_t> data;            // fixed-width values, or string bytes
  std::vector<int32_t> offsets{0};      // strings: n+1 offsets into data
  std::vector<int32_t> listOffsets{0};  // utf8_list: n+1 offsets into the strings
};

// A batch of one kind: one Column per cx_col, in order.
struct Batch {
  const cx_kind_cols *def;
  std::vector<Column> cols;
  uint32_t length = 0;
  explicit Batch(const cx_kind_cols *d) : def(d) {
    for (size_t i = 0; i < d->n; i++) cols.push_back(Column{d->cols[i].type});
  }
};

// Appends the row decoded from a record of `size` bytes (boot-time ns + ts_offset = wall clock).
// False (nothing appended) when the record is shorter than its kind's fixed part.
bool decode_row(Batch &b, const uint8_t *d, size_t size, int64_t ts_offset);
