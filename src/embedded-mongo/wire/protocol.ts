/**
 * Decoding of the request opcodes the official driver sends (OP_MSG, and legacy OP_QUERY for the first handshake)
 * and encoding of the matching replies (OP_MSG, OP_REPLY).
 */
import { serialize } from 'bson';
import { decodeDocument } from '../bson/decode';
import type { Document } from '../types';
import { defineField } from '../bson/fields';
import { crc32c } from './crc32c';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;
const FLAG_EXHAUST_ALLOWED = 1 << 16;
/** Bits 0-15 are "required": a receiver must reject a message carrying one it does not understand. */
const KNOWN_REQUIRED_FLAGS = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME;

const SERIALIZE_OPTIONS = { checkKeys: false, ignoreUndefined: false } as const;

/** Raised for any message that violates the wire format; the connection that sent it is closed. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export type Request =
  | { kind: 'msg'; header: MessageHeader; body: Document; moreToCome: boolean; exhaustAllowed: boolean }
  | { kind: 'query'; header: MessageHeader; fullCollectionName: string; body: Document };

export function readHeader(message: Buffer): MessageHeader {
  return {
    messageLength: message.readInt32LE(0),
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    opCode: message.readInt32LE(12),
  };
}

export function parseRequest(message: Buffer): Request {
  const header = readHeader(message);
  if (header.messageLength !== message.length) throw new ProtocolError('message length does not match its header');
  switch (header.opCode) {
    case OP_MSG:
      return parseOpMsg(header, message);
    case OP_QUERY:
      return parseOpQuery(header, message);
    default:
      throw new ProtocolError(`unsupported opcode ${header.opCode}`);
  }
}

function parseOpMsg(header: MessageHeader, message: Buffer): Request {
  if (message.length < 21) throw new ProtocolError('OP_MSG too short');
  const flags = message.readUInt32LE(16);
  const unknownRequired = flags & 0xffff & ~KNOWN_REQUIRED_FLAGS;
  if (unknownRequired) throw new ProtocolError(`OP_MSG has unknown required flag bits 0x${unknownRequired.toString(16)}`);
  let end = message.length;
  if (flags & FLAG_CHECKSUM_PRESENT) {
    end -= 4;
    if (end < 21) throw new ProtocolError('OP_MSG too short for its checksum');
    const expected = message.readUInt32LE(end);
    if (crc32c(message, 0, end) !== expected) throw new ProtocolError('OP_MSG checksum mismatch');
  }
  let body: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  let offset = 20;
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG has more than one body section');
      const size = documentSize(message, offset, end);
      body = deserializeAt(message, offset, size);
      offset += size;
    } else if (kind === 1) {
      const [identifier, docs, next] = parseDocumentSequence(message, offset, end);
      sequences.push([identifier, docs]);
      offset = next;
    } else {
      throw new ProtocolError(`OP_MSG has unknown section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG has no body section');
  for (const [identifier, docs] of sequences) {
    if (Object.hasOwn(body, identifier)) throw new ProtocolError(`OP_MSG document sequence '${identifier}' duplicates a body field`);
    // A sequence named __proto__ or constructor is a field like any other, never the body's prototype.
    defineField(body, identifier, docs);
  }
  return {
    kind: 'msg',
    header,
    body,
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
    exhaustAllowed: (flags & FLAG_EXHAUST_ALLOWED) !== 0,
  };
}

function parseDocumentSequence(message: Buffer, offset: number, end: number): [string, Document[], number] {
  if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
  const size = message.readInt32LE(offset);
  const sequenceEnd = offset + size;
  if (size < 5 || sequenceEnd > end) throw new ProtocolError('document sequence size out of bounds');
  const [identifier, afterName] = readCString(message, offset + 4, sequenceEnd);
  const docs: Document[] = [];
  let position = afterName;
  while (position < sequenceEnd) {
    const docSize = documentSize(message, position, sequenceEnd);
    docs.push(deserializeAt(message, position, docSize));
    position += docSize;
  }
  return [identifier, docs, sequenceEnd];
}

function parseOpQuery(header: MessageHeader, message: Buffer): Request {
  const end = message.length;
  if (end < 20 + 1 + 8 + 5) throw new ProtocolError('OP_QUERY too short');
  const [fullCollectionName, afterName] = readCString(message, 20, end);
  const queryOffset = afterName + 8;
  const size = documentSize(message, queryOffset, end);
  let body = deserializeAt(message, queryOffset, size);
  // Legacy drivers may wrap the command as {$query: {...}, $readPreference: ...}.
  if (isPlainDocument(body.$query)) body = body.$query;
  return { kind: 'query', header, fullCollectionName, body };
}

function documentSize(message: Buffer, offset: number, end: number): number {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const size = message.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError('BSON document size out of bounds');
  return size;
}

function deserializeAt(message: Buffer, offset: number, size: number): Document {
  try {
    return decodeDocument(message.subarray(offset, offset + size));
  } catch (err) {
    throw new ProtocolError(`malformed BSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function readCString(message: Buffer, offset: number, end: number): [string, number] {
  const zero = message.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new ProtocolError('unterminated C string');
  return [message.toString('utf8', offset, zero), zero + 1];
}

function isPlainDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

let nextRequestId = 1;

/** A reply message of `bodyLength` bytes after its 16-byte header, with the header written. */
function replyMessage(bodyLength: number, responseTo: number, opCode: number): Buffer {
  const message = Buffer.allocUnsafe(16 + bodyLength);
  message.writeInt32LE(16 + bodyLength, 0);
  message.writeInt32LE(nextRequestId, 4);
  nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
  message.writeInt32LE(responseTo, 8);
  message.writeInt32LE(opCode, 12);
  return message;
}

/** The document's BSON bytes (bson hands back a fresh Node Buffer: used as it is, not copied again). */
export function serializeDocument(doc: Document): Buffer {
  const bytes = serialize(doc, SERIALIZE_OPTIONS);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeOpMsgReply(responseTo: number, body: Document): Buffer {
  const payload = serializeDocument(body);
  const message = replyMessage(5 + payload.length, responseTo, OP_MSG);
  message.writeUInt32LE(0, 16); // flagBits
  message.writeUInt8(0, 20); // section kind 0: the body
  payload.copy(message, 21);
  return message;
}

export function encodeOpReply(responseTo: number, body: Document): Buffer {
  const payload = serializeDocument(body);
  const message = replyMessage(20 + payload.length, responseTo, OP_REPLY);
  message.fill(0, 16, 36); // responseFlags, cursorID (int64 0), startingFrom
  message.writeInt32LE(1, 32); // numberReturned
  payload.copy(message, 36);
  return message;
}
