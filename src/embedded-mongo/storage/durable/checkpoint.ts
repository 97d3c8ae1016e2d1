/**
 * A checkpoint is the whole state as change records (see `EmbeddedStorage.checkpointRecords`): collections with
 * their options, documents, then indexes with their options (TTL included). It is written to a temp file in
 * frames, fsync'd, renamed over the previous one and the directory fsync'd, so a crash leaves either the old or the
 * new checkpoint, never half of one. The header names the first journal the checkpoint does not contain.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChangeRecord } from '../persistence';
import { CHECKPOINT_FILE, CHECKPOINT_TEMP_FILE, DataDirectoryError, HEADER_BYTES, decodeHeader, encodeHeader, isNotFound, syncDirectory } from './format';
import { FrameReader } from './frame-reader';
import { UNDECODABLE, decodeRecords, frameOfParts, serializeRecord } from './frames';

const TRAILER = Buffer.from('EMDB-END', 'ascii');
/** Records per frame are gathered up to about this many bytes, so writing yields to the event loop regularly. */
const FRAME_TARGET_BYTES = 4 * 1024 * 1024;
/** Records of a checkpoint frame are decoded and applied this many at a time (see `decodeRecords`). */
const APPLY_BATCH_RECORDS = 1000;

export async function writeCheckpoint(dir: string, records: ChangeRecord[], nextJournalSeq: number): Promise<{ bytes: number }> {
  const temp = path.join(dir, CHECKPOINT_TEMP_FILE);
  const handle = await fs.open(temp, 'w');
  let bytes = 0;
  try {
    const write = async (buffer: Buffer): Promise<void> => {
      await handle.write(buffer, 0, buffer.length, bytes);
      bytes += buffer.length;
    };
    await write(encodeHeader('checkpoint', nextJournalSeq));
    for (const frame of framesOf(records)) await write(frame);
    await write(TRAILER);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path.join(dir, CHECKPOINT_FILE));
  await syncDirectory(dir);
  return { bytes };
}

function* framesOf(records: ChangeRecord[]): Generator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for (const record of records) {
    const part = serializeRecord(record);
    parts.push(part);
    size += part.length;
    if (size >= FRAME_TARGET_BYTES) {
      yield frameOfParts(parts);
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield frameOfParts(parts);
}

/**
 * Reads the checkpoint, handing its records to `apply` in batches (the file is never held whole in memory);
 * returns the first journal after it, or undefined when there is no checkpoint yet.
 */
export async function readCheckpoint(dir: string, apply: (records: ChangeRecord[]) => void): Promise<{ nextJournalSeq: number; bytes: number; records: number } | undefined> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let handle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    const { seq } = decodeHeader(header, 'checkpoint', file);
    const bodyEnd = size - TRAILER.length;
    const trailer = Buffer.alloc(TRAILER.length);
    if (bodyEnd >= HEADER_BYTES) await handle.read(trailer, 0, TRAILER.length, bodyEnd);
    if (bodyEnd < HEADER_BYTES || !trailer.equals(TRAILER)) throw damagedCheckpoint(file, 'it has no end marker');
    const reader = new FrameReader(handle, bodyEnd);
    let records = 0;
    let offset = HEADER_BYTES;
    for (;;) {
      const scan = await reader.payloadAt(offset);
      if (scan.kind === 'end') break;
      if (scan.kind === 'damaged') throw damagedCheckpoint(file, `${scan.reason} at byte ${offset}`);
      const decoded = decodeRecords(scan.payload, APPLY_BATCH_RECORDS, (batch) => {
        apply(batch);
        records += batch.length;
      });
      if (!decoded) throw damagedCheckpoint(file, `${UNDECODABLE} at byte ${offset}`);
      offset = scan.end;
    }
    return { nextJournalSeq: seq, bytes: size, records };
  } finally {
    await handle.close();
  }
}

function damagedCheckpoint(file: string, why: string): DataDirectoryError {
  return new DataDirectoryError(`checkpoint ${file} is damaged (${why}); refusing to start rather than lose data silently. Restore the data directory from a backup.`);
}
