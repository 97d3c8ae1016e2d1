/**
 * Resume tokens: the `_id` of every change event and each batch's `postBatchResumeToken`, `{_data: <hex>}` as
 * mongod sends them. The hex starts as mongod's does (0x82, then the cluster time as 8 big-endian bytes), so tools
 * that read the time out of a token keep working; the rest is this server's own: a version tag, the token kind
 * (an event, or a high-water mark between events), the event's slot in its commit, and whether it is the
 * invalidate that follows the event. Tokens compare in stream order by their position (time, slot).
 */
import { mongoError } from '../errors';
import type { Document } from '../types';
import { isPlainDocument } from '../query/paths';

/** A place in the change history: after the event in `slot` of the commit at cluster time `ts`. */
export interface StreamPosition {
  ts: bigint;
  slot: number;
}

export interface ResumeTokenData extends StreamPosition {
  kind: 'event' | 'highWaterMark';
}

/** The slot after every event of a commit: a high-water mark there means "the whole commit was seen". */
export const AFTER_COMMIT = 0xffffffff;

/** Record `index` of a commit reports its event in slot 2·index and, when it invalidates, the invalidate in 2·index+1. */
export function eventSlot(recordIndex: number): number {
  return recordIndex * 2;
}

export function invalidateSlot(recordIndex: number): number {
  return recordIndex * 2 + 1;
}

export function isInvalidateSlot(slot: number): boolean {
  return slot !== AFTER_COMMIT && slot % 2 === 1;
}

export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.slot === b.slot ? 0 : a.slot < b.slot ? -1 : 1;
}

const VERSION_TAG = 'E1';
const EVENT_KIND = '80';
const HIGH_WATER_MARK_KIND = '00';
const TOKEN_PATTERN = /^82([0-9A-F]{16})E1(00|80)([0-9A-F]{8})$/;

export function encodeToken(token: ResumeTokenData): Document {
  const ts = token.ts.toString(16).toUpperCase().padStart(16, '0');
  const slot = token.slot.toString(16).toUpperCase().padStart(8, '0');
  return { _data: `82${ts}${VERSION_TAG}${token.kind === 'event' ? EVENT_KIND : HIGH_WATER_MARK_KIND}${slot}` };
}

/** Reads a token a client sent as `field` ('resumeAfter', 'startAfter'); refuses anything this server did not issue. */
export function decodeToken(value: unknown, field: string): ResumeTokenData {
  if (!isPlainDocument(value)) {
    throw mongoError('TypeMismatch', `BSON field '$changeStream.${field}' is the wrong type, expected type 'object'`);
  }
  const data = value._data;
  if (typeof data !== 'string') throw mongoError('FailedToParse', `Bad resume token: _data of missing or of wrong type. Expected string, got ${JSON.stringify(value)}`);
  const match = TOKEN_PATTERN.exec(data.toUpperCase());
  if (!match || Object.keys(value).length !== 1) {
    throw mongoError('InvalidResumeToken', `the resume token ${JSON.stringify(value)} was not issued by this server (an embedded MongoDB server reads only its own tokens)`);
  }
  return { ts: BigInt(`0x${match[1]}`), kind: match[2] === EVENT_KIND ? 'event' : 'highWaterMark', slot: Number.parseInt(match[3], 16) };
}
