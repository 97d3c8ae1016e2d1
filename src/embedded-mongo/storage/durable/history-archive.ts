/**
 * The durable change history: journal files are kept after the checkpoint that made them unnecessary for
 * recovery, as long as they fit the history's bounds (total bytes, age of their last commit), and change streams
 * read older commits back from them. Each commit in a journal opens with its marker (cluster time, wall time,
 * session), so a file read from its start yields the commits in order. A small file (`change-history`) keeps
 * the time up to which commits may have been dropped: a resume point older than that is refused (286).
 *
 * Bounds apply per journal file: the journal being written and the ones still needed for recovery are always kept.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MongoServerError } from '../../errors';
import type { CommitEntry, HistoryArchive } from '../change-history';
import { timestampKey } from '../cluster-clock';
import type { StorageLogger } from '../engine';
import type { ChangeRecord, CommitMarker } from '../persistence';
import { HEADER_BYTES, isNotFound, journalFileName, writeFileDurably } from './format';
import { FrameReader } from './frame-reader';

export const HISTORY_FILE = 'change-history';
const HISTORY_TAG = 'embedded-mongo change history';
/** Journal bytes read at a time when reading history back. */
const READ_WINDOW_BYTES = 1024 * 1024;
/** A read position is remembered about this often along a journal, so the next read need not start at its top. */
const MARK_EVERY_BYTES = 256 * 1024;

export interface HistoryLimits {
  /** Journal bytes kept for the history (0: none beyond what recovery needs). */
  maxBytes: number;
  /** Journals whose last commit is older than this are dropped. */
  maxAgeMs: number;
}

interface Segment {
  seq: number;
  file: string;
  /** Cluster time of its first commit; null when it holds none (read lazily). */
  firstTs?: bigint | null;
  /** Offsets where a frame starts, with the time of the frame's first commit (ascending). */
  marks: Array<{ offset: number; ts: bigint }>;
}

/** The journal being written: its sequence number and how far it is durable. */
export interface CurrentJournal {
  readonly seq: number;
  readonly durableEnd: number;
}

export class JournalHistory implements HistoryArchive {
  private segments: Segment[] = [];
  /** Journals below this sequence number are no longer needed for recovery. */
  private recoveryFloor = 0;
  private lost = 0n;
  private trimming: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly limits: HistoryLimits,
    private readonly current: () => CurrentJournal | undefined,
    private readonly latestClusterTime: () => bigint,
    private readonly logger: StorageLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes in the journals found at start-up (`seqs`, ascending; those below `recoveryFloor` are only history) and
   * the recorded loss point; a directory without one starts its history now (`fresh`: nothing was ever committed).
   */
  async open(seqs: number[], recoveryFloor: number, fresh: boolean): Promise<void> {
    this.segments = seqs.map((seq) => this.segment(seq));
    this.recoveryFloor = recoveryFloor;
    const recorded = await this.readLossPoint();
    if (recorded === undefined) {
      const latest = this.latestClusterTime();
      await this.recordLoss(fresh ? latest - 1n : latest);
    } else this.lost = recorded;
    await this.trim();
  }

  lostUpTo(): bigint {
    return this.lost;
  }

  /** A new journal file is being written (it is read as it grows). */
  journalStarted(seq: number): void {
    // A journal found empty while it was being written may have had commits since.
    for (const segment of this.segments) if (segment.firstTs === null) segment.firstTs = undefined;
    if (!this.segments.some((s) => s.seq === seq)) this.segments.push(this.segment(seq));
  }

  /** A checkpoint holds everything before journal `seq`: the files before it are history only. */
  async checkpointed(seq: number): Promise<void> {
    this.recoveryFloor = seq;
    await this.trim();
  }

  /** Drops the oldest journals beyond the bounds (never one recovery still needs, never the current one). */
  trim(): Promise<void> {
    this.trimming ??= this.dropBeyondBounds().finally(() => {
      this.trimming = undefined;
    });
    return this.trimming;
  }

  async read(after: bigint, until: bigint, maxBytes: number): Promise<CommitEntry[]> {
    const entries: CommitEntry[] = [];
    const budget = { bytes: maxBytes };
    for (let i = await this.segmentFor(after); i < this.segments.length && budget.bytes > 0; i++) {
      const done = await this.readSegment(this.segments[i], after, until, entries, budget);
      if (done) break;
    }
    return entries;
  }

  // ----------------------------------------------------------------------------------------------------------

  private segment(seq: number): Segment {
    return { seq, file: path.join(this.dir, journalFileName(seq)), marks: [] };
  }

  /** The first segment that can hold a commit later than `after`. */
  private async segmentFor(after: bigint): Promise<number> {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const first = await this.firstTs(this.segments[i]);
      if (first !== null && first <= after) return i;
    }
    return 0;
  }

  /** Adds the commits of `segment` later than `after` and at most `until`; true once past `until` or the budget. */
  private async readSegment(segment: Segment, after: bigint, until: bigint, entries: CommitEntry[], budget: { bytes: number }): Promise<boolean> {
    const handle = await openIfPresent(segment.file);
    if (!handle) return false;
    try {
      const end = await this.readableEnd(segment, handle);
      const reader = new FrameReader(handle, end, READ_WINDOW_BYTES);
      let offset = startOffset(segment, after);
      let lastMark = segment.marks.at(-1)?.offset ?? 0;
      for (;;) {
        const scan = await reader.frameAt(offset);
        if (scan.kind === 'end') return false;
        if (scan.kind === 'damaged') {
          throw new MongoServerError('ChangeStreamHistoryLost', `the change history is damaged in ${segment.file} at byte ${offset} (${scan.reason}); resume from a later point`);
        }
        const commits = commitsOf(scan.records);
        if (commits.length > 0 && offset >= lastMark + MARK_EVERY_BYTES) {
          segment.marks.push({ offset, ts: commits[0].ts });
          lastMark = offset;
        }
        let taken = false;
        for (const commit of commits) {
          if (commit.ts <= after) continue;
          if (commit.ts > until) return true;
          entries.push(commit);
          taken = true;
        }
        if (taken) budget.bytes -= scan.end - offset;
        if (budget.bytes <= 0) return true;
        offset = scan.end;
      }
    } finally {
      await handle.close();
    }
  }

  /** A sealed journal is read to its end; the current one only as far as it is durable. */
  private async readableEnd(segment: Segment, handle: FileHandle): Promise<number> {
    const current = this.current();
    if (current?.seq === segment.seq) return current.durableEnd;
    return (await handle.stat()).size;
  }

  private async firstTs(segment: Segment): Promise<bigint | null> {
    if (segment.firstTs !== undefined && (segment.firstTs !== null || this.current()?.seq !== segment.seq)) return segment.firstTs;
    // The journal being written may still get its first commit: only a found time is final for it.
    const handle = await openIfPresent(segment.file);
    let first: bigint | null = null;
    if (handle) {
      try {
        const reader = new FrameReader(handle, await this.readableEnd(segment, handle), READ_WINDOW_BYTES);
        for (let offset = HEADER_BYTES; first === null; ) {
          const scan = await reader.frameAt(offset);
          if (scan.kind !== 'frame') break;
          first = commitsOf(scan.records)[0]?.ts ?? null;
          offset = scan.end;
        }
      } finally {
        await handle.close();
      }
    }
    segment.firstTs = first;
    return first;
  }

  private async dropBeyondBounds(): Promise<void> {
    const now = this.now();
    const stats = await Promise.all(this.segments.map((s) => journalStat(s.file)));
    let total = stats.reduce((sum, stat) => sum + stat.size, 0);
    const currentSeq = this.current()?.seq;
    let dropped = 0;
    while (dropped < this.segments.length) {
      const oldest = this.segments[dropped];
      if (oldest.seq >= this.recoveryFloor || oldest.seq === currentSeq) break;
      const tooOld = stats[dropped].modifiedAt < now - this.limits.maxAgeMs;
      if (total <= this.limits.maxBytes && !tooOld) break;
      total -= stats[dropped].size;
      dropped++;
    }
    if (dropped === 0) return;
    const removed = this.segments.slice(0, dropped);
    this.segments = this.segments.slice(dropped);
    // Everything before the first kept commit may be gone now.
    let lost = this.latestClusterTime();
    for (const segment of this.segments) {
      const first = await this.firstTs(segment);
      if (first !== null) {
        lost = first - 1n;
        break;
      }
    }
    await this.recordLoss(lost > this.lost ? lost : this.lost);
    for (const segment of removed) await fs.rm(segment.file, { force: true });
    this.logger.info({ dir: this.dir, journals: removed.map((s) => s.seq), lostUpTo: String(this.lost) }, 'change history: dropped journals beyond its bounds');
  }

  private async readLossPoint(): Promise<bigint | undefined> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.dir, HISTORY_FILE), 'utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const match = new RegExp(`^${HISTORY_TAG}\\nlost up to (\\d+)\\n$`).exec(text);
    if (!match) {
      this.logger.warn({ dir: this.dir }, `unreadable ${HISTORY_FILE} file: the change history starts now`);
      return this.latestClusterTime();
    }
    return BigInt(match[1]);
  }

  /** Written before the journals go, so a crash in between never claims history that is not there. */
  private async recordLoss(lost: bigint): Promise<void> {
    await writeFileDurably(this.dir, HISTORY_FILE, Buffer.from(`${HISTORY_TAG}\nlost up to ${lost}\n`));
    this.lost = lost;
  }
}

/** Where to start reading `segment` for commits after `after`: the last remembered frame at or before it. */
function startOffset(segment: Segment, after: bigint): number {
  let offset = HEADER_BYTES;
  for (const mark of segment.marks) {
    if (mark.ts > after) break;
    offset = mark.offset;
  }
  return offset;
}

/**
 * The commits of a journal frame: each marker opens one and takes the records up to the next; a marker without
 * UUIDs has those of the commit before it.
 */
export function commitsOf(records: ChangeRecord[]): CommitEntry[] {
  const commits: CommitEntry[] = [];
  let current: { marker: CommitMarker; records: ChangeRecord[] } | undefined;
  let uuids = new Map<string, unknown>();
  const finish = (): void => {
    if (!current) return;
    if (current.marker.uuids) uuids = new Map(current.marker.uuids.map(({ ns, uuid }) => [ns, uuid] as const));
    commits.push(entryOf(current.marker, current.records, uuids));
  };
  for (const record of records) {
    if (record.op === 'commit') {
      finish();
      current = { marker: record, records: [] };
    } else if (current) current.records.push(record);
  }
  finish();
  return commits;
}

function entryOf(marker: CommitMarker, records: ChangeRecord[], uuids: ReadonlyMap<string, unknown>): CommitEntry {
  return { ts: timestampKey(marker.ts), wallTime: marker.wallTime, lsid: marker.lsid, txnNumber: marker.txnNumber, uuids, records };
}

async function openIfPresent(file: string): Promise<FileHandle | undefined> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Size and last modification of a journal (a missing one: empty and ancient). */
async function journalStat(file: string): Promise<{ size: number; modifiedAt: number }> {
  try {
    const stat = await fs.stat(file);
    return { size: stat.size, modifiedAt: stat.mtimeMs };
  } catch (err) {
    if (isNotFound(err)) return { size: 0, modifiedAt: 0 };
    throw err;
  }
}
