/**
 * BSON bytes into the server's value representation (see `../types.ts`), the one decoder for wire messages, journal
 * records, checkpoints and spilled documents.
 *
 * bson's deserializer does the decoding and the validation. Two of its conveniences lose information the server
 * must keep, so one pass over the (already validated) bytes puts it back:
 * - every double becomes a JS number, so `42.0` would read as an int32: such doubles become `Double` (`./double.ts`);
 * - a document holding `$ref` and `$id` becomes a `DBRef` instance (which also splits a dotted `$ref`): it becomes
 *   the plain document it was, fields in their stored order, so paths such as `members.$id` reach into it.
 */
import { deserialize, Double, type DBRef } from 'bson';
import type { Document } from '../types';
import { readsAsInt32 } from './double';
import { defineField } from './fields';

const DESERIALIZE_OPTIONS = { useBigInt64: true, promoteValues: true, promoteBuffers: false, bsonRegExp: true } as const;

const T_DOUBLE = 0x01;
const T_STRING = 0x02;
const T_DOCUMENT = 0x03;
const T_ARRAY = 0x04;
const T_BINARY = 0x05;
const T_OBJECT_ID = 0x07;
const T_BOOLEAN = 0x08;
const T_DATE = 0x09;
const T_NULL = 0x0a;
const T_REGEX = 0x0b;
const T_DB_POINTER = 0x0c;
const T_CODE = 0x0d;
const T_SYMBOL = 0x0e;
const T_CODE_WITH_SCOPE = 0x0f;
const T_INT32 = 0x10;
const T_TIMESTAMP = 0x11;
const T_INT64 = 0x12;
const T_DECIMAL128 = 0x13;

type Container = Record<string, unknown> | unknown[];

/** Decodes one BSON document (throws bson's error for malformed bytes). */
export function decodeDocument(bytes: Uint8Array): Document {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return restoreDocument(buffer, 0, deserialize(buffer, DESERIALIZE_OPTIONS)) as Document;
}

/** The document decoded from the bytes at `start`, its doubles and DBRefs restored (a new object for a DBRef). */
function restoreDocument(bytes: Buffer, start: number, decoded: unknown): Container {
  const target = isDbRef(decoded) ? plainDocumentOf(bytes, start, decoded) : (decoded as Container);
  restoreElements(bytes, start, target);
  return target;
}

function isDbRef(value: unknown): value is DBRef {
  return typeof value === 'object' && value !== null && (value as { _bsontype?: unknown })._bsontype === 'DBRef';
}

/** Walks the elements of the document or array at `start` alongside `target`, what bson made of them. */
function restoreElements(bytes: Buffer, start: number, target: Container): void {
  const end = start + bytes.readInt32LE(start) - 1;
  const isArray = Array.isArray(target);
  // bson numbers array elements by position, whatever their keys say.
  let position = 0;
  let p = start + 4;
  while (p < end) {
    const type = bytes[p];
    const nameStart = p + 1;
    const nameEnd = cStringEnd(bytes, nameStart);
    p = nameEnd + 1;
    if (type === T_DOUBLE) {
      const value = bytes.readDoubleLE(p);
      if (readsAsInt32(value)) setElement(target, isArray ? position : bytes.toString('utf8', nameStart, nameEnd), new Double(value));
    } else if (type === T_DOCUMENT || type === T_ARRAY) {
      const key = isArray ? position : bytes.toString('utf8', nameStart, nameEnd);
      const child = getElement(target, key);
      const restored = type === T_DOCUMENT ? restoreDocument(bytes, p, child) : (restoreElements(bytes, p, child as unknown[]), child);
      if (restored !== child) setElement(target, key, restored);
    }
    p = valueEnd(bytes, type, p);
    position++;
  }
}

/** The index of the zero byte ending the C string at `p` (a loop: field names are short). */
function cStringEnd(bytes: Buffer, p: number): number {
  let i = p;
  while (bytes[i] !== 0) i++;
  return i;
}

function getElement(target: Container, key: string | number): unknown {
  return Array.isArray(target) ? target[key as number] : target[key as string];
}

function setElement(target: Container, key: string | number, value: unknown): void {
  if (Array.isArray(target)) target[key as number] = value;
  else defineField(target, key as string, value);
}

/** Where the value of an element of `type` starting at `p` ends. */
function valueEnd(bytes: Buffer, type: number, p: number): number {
  switch (type) {
    case T_STRING:
    case T_CODE:
    case T_SYMBOL:
      return p + 4 + bytes.readInt32LE(p);
    case T_DOCUMENT:
    case T_ARRAY:
    case T_CODE_WITH_SCOPE:
      return p + bytes.readInt32LE(p);
    case T_BINARY:
      return p + 5 + bytes.readInt32LE(p);
    case T_DB_POINTER:
      return p + 4 + bytes.readInt32LE(p) + 12;
    case T_REGEX:
      return cStringEnd(bytes, cStringEnd(bytes, p) + 1) + 1;
    case T_OBJECT_ID:
      return p + 12;
    case T_BOOLEAN:
      return p + 1;
    case T_DOUBLE:
    case T_DATE:
    case T_TIMESTAMP:
    case T_INT64:
      return p + 8;
    case T_INT32:
      return p + 4;
    case T_DECIMAL128:
      return p + 16;
    default:
      // undefined, null, minKey, maxKey: no value bytes (bson refused any other type already).
      return p;
  }
}

/**
 * The plain document a DBRef was decoded from, fields in stored order. `$ref` and `$db` are read from the bytes:
 * the DBRef may have split a dotted `$ref` into both.
 */
function plainDocumentOf(bytes: Buffer, start: number, ref: DBRef): Document {
  const doc: Document = {};
  const end = start + bytes.readInt32LE(start) - 1;
  let p = start + 4;
  while (p < end) {
    const type = bytes[p];
    const nameEnd = cStringEnd(bytes, p + 1);
    const name = bytes.toString('utf8', p + 1, nameEnd);
    p = nameEnd + 1;
    let value: unknown;
    if (name === '$ref' || name === '$db') value = type === T_STRING ? stringAt(bytes, p) : type === T_NULL ? null : undefined;
    else value = name === '$id' ? ref.oid : ref.fields[name];
    defineField(doc, name, value);
    p = valueEnd(bytes, type, p);
  }
  return doc;
}

/** The string value whose length prefix starts at `p`. */
function stringAt(bytes: Buffer, p: number): string {
  return bytes.toString('utf8', p + 4, p + 3 + bytes.readInt32LE(p));
}
