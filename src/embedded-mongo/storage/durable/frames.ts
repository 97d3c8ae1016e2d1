/**
 * Framing shared by the journal and the checkpoint: `[u32 payload length][u32 crc32][payload]`, the CRC covering
 * the length and the payload. A payload is a sequence of BSON documents, one per change record, so a commit of any
 * size (a transaction of many 16 MB documents) is one frame and is replayed all or nothing.
 */
import { crc32 } from 'node:zlib';
import { Timestamp, calculateObjectSize, serialize, serializeWithBufferAndIndex } from 'bson';
import { decodeDocument } from '../../bson/decode';
import type { Document } from '../../types';
import type { ChangeRecord } from '../persistence';

export const FRAME_HEADER_BYTES = 8;
/** Frames larger than this are taken as damage (a flipped length byte), never as a real commit. */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

export function encodeFrame(records: ChangeRecord[]): Buffer {
  return frameOfParts(records.map(serializeRecord));
}

/** Records bigger than bson's own serialisation buffer (a 16 MB document with its pre-image, say) get a buffer of their size. */
const BSON_BUFFER_BYTES = 16 * 1024 * 1024;

export function serializeRecord(record: ChangeRecord): Buffer {
  const size = record.op === 'replace' && record.preImage ? calculateObjectSize(record, { ignoreUndefined: false }) : 0;
  if (size > BSON_BUFFER_BYTES) {
    const buffer = Buffer.allocUnsafe(size);
    serializeWithBufferAndIndex(record, buffer, { ignoreUndefined: false });
    return buffer;
  }
  const bytes = serialize(record, { ignoreUndefined: false });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One frame whose payload is the given already-serialized records. */
export function frameOfParts(parts: Buffer[]): Buffer {
  const payloadLength = parts.reduce((sum, part) => sum + part.length, 0);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength);
  frame.writeUInt32LE(payloadLength, 0);
  let offset = FRAME_HEADER_BYTES;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.length;
  }
  frame.writeUInt32LE(frameChecksum(frame.subarray(0, 4), frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

function frameChecksum(lengthBytes: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(lengthBytes));
}

export type FrameScan =
  | { kind: 'frame'; records: ChangeRecord[]; end: number }
  | { kind: 'end' }
  | { kind: 'damaged'; reason: string };

/** A frame whose checksum holds, its records not decoded yet. */
export type PayloadScan = { kind: 'frame'; payload: Buffer; end: number } | { kind: 'end' } | { kind: 'damaged'; reason: string };

export const UNDECODABLE = 'undecodable records behind a valid checksum';

/** The payload of the frame at `offset` of `bytes` once its length and checksum hold. */
export function checkFrame(bytes: Buffer, offset: number): PayloadScan {
  if (offset === bytes.length) return { kind: 'end' };
  if (bytes.length - offset < FRAME_HEADER_BYTES) return { kind: 'damaged', reason: 'torn frame header' };
  const length = bytes.readUInt32LE(offset);
  if (length > MAX_FRAME_BYTES) return { kind: 'damaged', reason: `implausible frame length ${length}` };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > bytes.length) return { kind: 'damaged', reason: 'torn frame (ends past the end of the file)' };
  const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
  if (frameChecksum(bytes.subarray(offset, offset + 4), payload) !== bytes.readUInt32LE(offset + 4)) {
    return { kind: 'damaged', reason: 'checksum mismatch' };
  }
  return { kind: 'frame', payload, end };
}

/**
 * Decodes a payload's records, handing them to `apply` in batches of up to `batchSize` (a checkpoint frame holds
 * thousands: applied in small batches, the records die young instead of being copied by the GC); false when they
 * do not decode (batches before the damage have been handed over).
 */
export function decodeRecords(payload: Buffer, batchSize: number, apply: (records: ChangeRecord[]) => void): boolean {
  let records: ChangeRecord[] = [];
  const names = new NamespaceCache();
  let offset = 0;
  while (offset < payload.length) {
    if (payload.length - offset < 5) return false;
    const size = payload.readInt32LE(offset);
    if (size < 5 || offset + size > payload.length) return false;
    const record = decodeRecord(payload, offset, size, names);
    if (!record) return false;
    records.push(record);
    offset += size;
    // Outside any try: an error of `apply` (the engine refusing a record) is not damage to the file.
    if (records.length >= batchSize) {
      apply(records);
      records = [];
    }
  }
  if (records.length > 0) apply(records);
  return true;
}

function decodeRecord(payload: Buffer, offset: number, size: number, names: NamespaceCache): ChangeRecord | undefined {
  try {
    return (
      decodeInsert(payload, offset, size, names) ??
      decodeBareMarker(payload, offset, size) ??
      (decodeDocument(payload.subarray(offset, offset + size)) as unknown as ChangeRecord)
    );
  } catch {
    return undefined;
  }
}

const INSERT = Buffer.from('insert\0', 'utf8');
const COMMIT = Buffer.from('commit\0', 'utf8');
const BSON_TIMESTAMP = 0x11;
const BSON_DATE = 0x09;

/**
 * A commit marker with only its time and wall time (`{op: 'commit', ts, wallTime}`, what most commits of a batch
 * write), read without the BSON decoder; undefined for any other record.
 */
function decodeBareMarker(bytes: Buffer, start: number, size: number): ChangeRecord | undefined {
  const end = start + size;
  let p = afterOp(bytes, start, end, COMMIT);
  if (p < 0 || !elementNamed(bytes, p, BSON_TIMESTAMP, 'ts', end) || p + 12 > end) return undefined;
  const increment = bytes.readUInt32LE(p + 4);
  const seconds = bytes.readUInt32LE(p + 8);
  p += 12;
  if (!elementNamed(bytes, p, BSON_DATE, 'wallTime', end) || p + 18 > end) return undefined;
  const wallTime = new Date(Number(bytes.readBigInt64LE(p + 10)));
  p += 18;
  // Exactly these three fields, then the record's terminating zero.
  if (p !== end - 1 || bytes[p] !== 0) return undefined;
  return { op: 'commit', ts: new Timestamp({ t: seconds, i: increment }), wallTime };
}

/**
 * An insert record (`{op: 'insert', ns, doc}` as `serializeRecord` writes it, nearly every record replayed) decoded
 * from its bytes: only the document goes through the BSON decoder, the namespace string is shared by the records
 * of a frame, and the document's BSON size comes along so replay need not compute it. Undefined for any other
 * record (decoded the general way).
 */
function decodeInsert(bytes: Buffer, start: number, size: number, names: NamespaceCache): ChangeRecord | undefined {
  const end = start + size;
  let p = afterOp(bytes, start, end, INSERT);
  if (p < 0 || !elementNamed(bytes, p, 0x02, 'ns', end)) return undefined;
  const nsEnd = stringElementEnd(bytes, p + 4, end);
  if (nsEnd < 0) return undefined;
  const nsStart = p + 8;
  p = nsEnd;
  if (!elementNamed(bytes, p, 0x03, 'doc', end) || p + 9 > end) return undefined;
  const docStart = p + 5;
  const docSize = bytes.readInt32LE(docStart);
  // Exactly the three fields: the document, then the record's terminating zero.
  if (docSize < 5 || docStart + docSize !== end - 1 || bytes[end - 1] !== 0) return undefined;
  const ns = names.get(bytes, nsStart, nsEnd - 1);
  const doc = decodeDocument(bytes.subarray(docStart, docStart + docSize));
  return { op: 'insert', ns, doc, size: docSize };
}

/** Where the record at `start` continues after its first field, `op: <op>` (`op` with its terminating zero); -1 otherwise. */
function afterOp(bytes: Buffer, start: number, end: number, op: Buffer): number {
  const p = start + 4;
  if (!elementNamed(bytes, p, 0x02, 'op', end)) return -1;
  const opEnd = stringElementEnd(bytes, p + 4, end);
  return opEnd >= 0 && sameBytes(bytes, p + 8, opEnd, op) ? opEnd : -1;
}

/** The last namespace decoded, so consecutive records of one collection share one string. */
class NamespaceCache {
  private bytes = Buffer.alloc(0);
  private name = '';

  get(source: Buffer, start: number, end: number): string {
    if (sameBytes(source, start, end, this.bytes)) return this.name;
    this.bytes = Buffer.from(source.subarray(start, end));
    this.name = this.bytes.toString('utf8');
    return this.name;
  }
}

/** Whether `bytes[start, end)` equals `expected` (a loop: cheaper than Buffer.compare for a few bytes). */
function sameBytes(bytes: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[start + i] !== expected[i]) return false;
  return true;
}

/** Whether an element of `type` called `name` (ASCII) starts at `p`. */
function elementNamed(bytes: Buffer, p: number, type: number, name: string, end: number): boolean {
  if (p + name.length + 2 > end || bytes[p] !== type || bytes[p + name.length + 1] !== 0) return false;
  for (let i = 0; i < name.length; i++) if (bytes[p + 1 + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** The end of a BSON string value starting at `p` (its int32 length, then the bytes), or -1 past `end`. */
function stringElementEnd(bytes: Buffer, p: number, end: number): number {
  if (p + 4 > end) return -1;
  const length = bytes.readInt32LE(p);
  return length < 1 || p + 4 + length > end ? -1 : p + 4 + length;
}
