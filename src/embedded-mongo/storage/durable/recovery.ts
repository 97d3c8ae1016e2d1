/**
 * Start-up: the checkpoint, then every journal after it in sequence order, up to the first torn or corrupt frame.
 * The damaged tail is cut off (the file truncated there, later journals removed) and what was dropped is reported,
 * so a crash mid-write never stops the server from starting and never replays half a commit.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChangeRecord } from '../persistence';
import { readCheckpoint } from './checkpoint';
import { CHECKPOINT_TEMP_FILE, HEADER_BYTES, decodeHeader, journalFileName, journalSeqOf, syncDirectory } from './format';
import { FrameReader } from './frame-reader';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './frames';

export interface DroppedTail {
  file: string;
  /** Offset of the first damaged byte in `file`. */
  offset: number;
  reason: string;
  /** Bytes cut off: the rest of `file` plus every later journal. */
  bytes: number;
  /** Commits cut off: the damaged one plus those readable after it (all lost: replay must stay a prefix). */
  commits: number;
  records: number;
  laterJournals: string[];
}

export interface RecoveredState {
  records: number;
  checkpointBytes: number;
  journalBytes: number;
  journalCommits: number;
  /** The first journal recovery needs (the ones before it are kept as change history only). */
  firstSeq: number;
  /** The journal to keep appending to and the offset of its valid end (undefined: start a new one). */
  resume: { seq: number; position: number } | { seq: number; position: undefined };
  dropped?: DroppedTail;
}

/**
 * Hands every commit to replay to `apply`, in order: the checkpoint frame by frame, then each journal commit as
 * the unit it was committed in.
 */
export async function recover(dir: string, apply: (records: ChangeRecord[]) => void): Promise<RecoveredState> {
  await fs.rm(path.join(dir, CHECKPOINT_TEMP_FILE), { force: true });
  const checkpoint = await readCheckpoint(dir, apply);
  const journals = await listJournals(dir);
  const firstSeq = checkpoint?.nextJournalSeq ?? journals[0] ?? 1;
  // Journals before the checkpoint are not replayed; they stay as change history (durable/history-archive.ts).
  const state: RecoveredState = {
    records: checkpoint?.records ?? 0,
    checkpointBytes: checkpoint?.bytes ?? 0,
    journalBytes: 0,
    journalCommits: 0,
    firstSeq,
    resume: { seq: firstSeq, position: undefined },
  };
  const pending = journals.filter((seq) => seq >= firstSeq);
  let expected = firstSeq;
  for (let i = 0; i < pending.length; i++) {
    const seq = pending[i];
    const file = path.join(dir, journalFileName(seq));
    if (seq !== expected) {
      const missing = path.join(dir, journalFileName(expected));
      state.dropped = await dropFrom(missing, 0, 'journal file missing', 0, pending.slice(i), dir);
      break;
    }
    const outcome = await replayJournal(file, seq, state, apply);
    if (outcome.damaged) {
      state.dropped = await dropFrom(file, outcome.damaged.offset, outcome.damaged.reason, outcome.damaged.bytes, pending.slice(i + 1), dir);
      state.dropped.commits += outcome.damaged.commits;
      state.dropped.records += outcome.damaged.records;
      state.resume = outcome.damaged.offset >= HEADER_BYTES ? { seq, position: outcome.damaged.offset } : { seq, position: undefined };
      break;
    }
    state.resume = { seq, position: outcome.end };
    expected = seq + 1;
  }
  return state;
}

export async function listJournals(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await fs.readdir(dir)) {
    const seq = journalSeqOf(name);
    if (seq !== undefined) seqs.push(seq);
  }
  return seqs.sort((a, b) => a - b);
}

interface JournalOutcome {
  end: number;
  damaged?: { offset: number; reason: string; bytes: number; commits: number; records: number };
}

async function replayJournal(file: string, seq: number, state: RecoveredState, apply: (records: ChangeRecord[]) => void): Promise<JournalOutcome> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < HEADER_BYTES) {
      // Created but its header never reached the disk: nothing in it was ever acknowledged.
      return { end: 0, damaged: { offset: 0, reason: 'torn file header', bytes: size, commits: 0, records: 0 } };
    }
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    const { seq: named } = decodeHeader(header, 'journal', file);
    if (named !== seq) return { end: 0, damaged: { offset: 0, reason: `header names journal ${named}`, bytes: size, commits: 0, records: 0 } };
    const reader = new FrameReader(handle, size);
    let offset = HEADER_BYTES;
    for (;;) {
      const scan = await reader.frameAt(offset);
      if (scan.kind === 'end') return { end: offset };
      if (scan.kind === 'damaged') {
        return { end: offset, damaged: { offset, reason: scan.reason, bytes: size - offset, ...(await countReadableAfter(reader, offset)) } };
      }
      apply(scan.records);
      state.records += dataRecords(scan.records);
      state.journalBytes += scan.end - offset;
      state.journalCommits++;
      offset = scan.end;
    }
  } finally {
    await handle.close();
  }
}

/** Best effort, for the report only: the damaged commit plus the commits that still read after it. */
async function countReadableAfter(reader: FrameReader, offset: number): Promise<{ commits: number; records: number }> {
  let commits = 1;
  let records = 0;
  const length = await reader.lengthAt(offset);
  if (length === undefined || length > MAX_FRAME_BYTES) return { commits, records };
  let next = offset + FRAME_HEADER_BYTES + length;
  for (;;) {
    const scan = await reader.frameAt(next);
    if (scan.kind !== 'frame') break;
    commits++;
    records += dataRecords(scan.records);
    next = scan.end;
  }
  return { commits, records };
}

/** Records that change data (commit markers only stamp the commits they open). */
function dataRecords(records: ChangeRecord[]): number {
  let count = 0;
  for (const record of records) if (record.op !== 'commit') count++;
  return count;
}

async function dropFrom(file: string, offset: number, reason: string, bytesInFile: number, later: number[], dir: string): Promise<DroppedTail> {
  const dropped: DroppedTail = { file, offset, reason, bytes: bytesInFile, commits: 0, records: 0, laterJournals: [] };
  if (offset >= HEADER_BYTES) {
    const handle = await fs.open(file, 'r+');
    try {
      await handle.truncate(offset);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } else {
    await fs.rm(file, { force: true });
  }
  for (const seq of later) {
    const laterFile = path.join(dir, journalFileName(seq));
    const stat = await fs.stat(laterFile);
    dropped.bytes += stat.size;
    dropped.laterJournals.push(laterFile);
    await fs.rm(laterFile, { force: true });
  }
  await syncDirectory(dir);
  return dropped;
}
