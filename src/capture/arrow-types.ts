/**
 * Arrow types for the logical column types of schema.ts, and the Arrow schema of a capture.
 */
import {
  Bool,
  Dictionary,
  Field,
  FixedSizeBinary,
  Int32,
  Int64,
  List,
  Schema,
  TimestampNanosecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  type DataType,
} from 'apache-arrow';
import { COLUMNS, type ColumnType } from './schema.js';

export function arrowType(type: ColumnType, dictionaryId: number): DataType {
  switch (type) {
    case 'u8':
      return new Uint8();
    case 'u16':
      return new Uint16();
    case 'u32':
      return new Uint32();
    case 'u64':
      return new Uint64();
    case 'i32':
      return new Int32();
    case 'i64':
      return new Int64();
    case 'bool':
      return new Bool();
    case 'timestamp':
      return new TimestampNanosecond('UTC');
    case 'dict':
      return new Dictionary(new Utf8(), new Int32(), dictionaryId, false);
    case 'utf8':
      return new Utf8();
    case 'utf8_list':
      return new List(new Field('item', new Utf8(), true));
    case 'addr':
      return new FixedSizeBinary(16);
  }
}

/** The capture schema: every column nullable (a batch fills only its kind's columns). */
export function captureSchema(metadata: Map<string, string>): Schema {
  let dictionaryId = 0;
  const fields = COLUMNS.map((c) => new Field(c.name, arrowType(c.type, c.type === 'dict' ? dictionaryId++ : -1), true));
  return new Schema(fields, metadata);
}
