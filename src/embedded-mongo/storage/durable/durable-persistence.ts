/**
 * The on-disk `Persistence`: lock file, format check and recovery at start, the group-committing journal for every
 * commit, checkpoints (every `checkpointBytes` of journal or `checkpointIntervalMs`, and at close) that let the
 * journal start over.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StorageLogger } from '../engine';
import type { ChangeRecord, Persistence } from '../persistence';
import { writeCheckpoint } from './checkpoint';
import { DataDirectoryError, ensureFormat } from './format';
import { JournalHistory, type HistoryLimits } from './history-archive';
import { JournalWriter } from './journal';
import { acquireLock, type DirectoryLock } from './lock-file';
import { listJournals, recover, type DroppedTail } from './recovery';
import { SpillStore, type SpillOptions } from './spill-store';

export interface DurableOptions {
  /**
   * Checkpoint once the current journal holds this many bytes (default 64 MB), or as many as the last checkpoint
   * if that is larger, so rewriting a big database is paid for by as much journal (linear, not quadratic, cost).
   */
  checkpointBytes?: number;
  /**
   * Checkpoint this often (default 5 minutes; 0 = never on a timer) when the journal holds at least a quarter of
   * the last checkpoint's size (any amount for a small one).
   */
  checkpointIntervalMs?: number;
  logger?: StorageLogger;
  /** Big documents on disk instead of in memory (see spill-store.ts). */
  spill?: SpillOptions;
  /** Bounds of the change history kept in journal files (defaults: 256 MB, 24 hours; see history-archive.ts). */
  changeHistory?: Partial<HistoryLimits>;
  /** The clock the history's age bound is measured by (tests move it). */
  now?: () => number;
}

export const DEFAULT_DURABLE_HISTORY_BYTES = 256 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
const MIN_SEGMENT_BYTES = 4 * 1024;
export const DEFAULT_DURABLE_HISTORY_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * What the persistence needs from the engine: its whole state as records, taken synchronously (checkpoints), and
 * the commit path to replay into at start-up.
 */
export interface CheckpointSource {
  checkpointRecords(): ChangeRecord[];
  /** Applies a recovered commit (no undo needed: a failure aborts the start-up). */
  replayCommit(records: ChangeRecord[]): void;
  /** Completes what replay deferred (index builds); throws when the recovered state is inconsistent. */
  finishReplay(): void;
  /** The cluster time of the latest commit (after replay: the latest one recovered). */
  latestClusterTime(): bigint;
}

export interface RecoveryReport {
  checkpointBytes: number;
  journalBytes: number;
  journalCommits: number;
  records: number;
  dropped?: DroppedTail;
  ms: number;
}

const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;
const STARTUP_CHECKPOINT_JOURNAL_BYTES = 8 * 1024 * 1024;
const noLogger: StorageLogger = { info() {}, warn() {}, error() {} };

export class DurablePersistence implements Persistence {
  readonly dir: string;
  private lock: DirectoryLock | undefined;
  private journal: JournalWriter | undefined;
  private source: CheckpointSource | undefined;
  private checkpointing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private lastCheckpointBytes = 0;
  /** `journal.totalBytes` when the last checkpoint's rotation was queued: the journal bytes a checkpoint would fold in. */
  private journalledAtCheckpoint = 0;
  /** Journal files are rotated at this size so the change history can be trimmed file by file. */
  private readonly segmentBytes: number;
  private readonly logger: StorageLogger;
  /** Keeps big documents on disk; the engine must be built with its `recordFactory`. */
  readonly spill: SpillStore;
  /** The older part of the change history: journals kept after checkpoints. */
  readonly history: JournalHistory;
  /** Filled by `loadState`: what start-up found and dropped. */
  lastRecovery: RecoveryReport | undefined;
  readonly stats = { checkpoints: 0 };

  constructor(
    dir: string,
    private readonly options: DurableOptions = {},
  ) {
    if (typeof dir !== 'string' || dir.length === 0) throw new DataDirectoryError('dbPath must be a non-empty directory path');
    this.dir = path.resolve(dir);
    this.logger = options.logger ?? noLogger;
    this.spill = new SpillStore(this.dir, options.spill);
    const limits: HistoryLimits = {
      maxBytes: options.changeHistory?.maxBytes ?? DEFAULT_DURABLE_HISTORY_BYTES,
      maxAgeMs: options.changeHistory?.maxAgeMs ?? DEFAULT_DURABLE_HISTORY_AGE_MS,
    };
    this.history = new JournalHistory(this.dir, limits, () => this.journal, () => this.source?.latestClusterTime() ?? 0n, this.logger, options.now);
    this.segmentBytes = limits.maxBytes > 0 ? Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(limits.maxBytes / 8))) : Infinity;
  }

  /** Journal bytes written since the last checkpoint (over every journal file since). */
  private get journalledSinceCheckpoint(): number {
    return (this.journal?.totalBytes ?? 0) - this.journalledAtCheckpoint;
  }

  /** Gives the persistence the engine whose state checkpoints save (before `loadState`). */
  attach(source: CheckpointSource): void {
    this.source = source;
  }

  get journalStats(): { commits: number; syncs: number } {
    return this.journal?.stats ?? { commits: 0, syncs: 0 };
  }

  /**
   * Recovers the directory. With an engine attached, each commit is replayed into it as it is read (nothing held
   * twice; index builds finish once everything is read) and nothing is returned; otherwise the records are returned
   * for the caller to apply.
   */
  async loadState(): Promise<ChangeRecord[]> {
    const started = Date.now();
    await fs.mkdir(this.dir, { recursive: true });
    this.lock = await acquireLock(this.dir, { logger: this.logger });
    try {
      await ensureFormat(this.dir);
      this.spill.open();
      const collected: ChangeRecord[] = [];
      const source = this.source;
      const apply = source
        ? (records: ChangeRecord[]) => source.replayCommit(records)
        : (records: ChangeRecord[]) => {
            for (const record of records) collected.push(record);
          };
      const state = await recover(this.dir, apply);
      source?.finishReplay();
      this.journal = await JournalWriter.open(this.dir, state.resume.seq, state.resume.position);
      this.journal.onNewFile = (seq) => this.history.journalStarted(seq);
      this.journalledAtCheckpoint = -state.journalBytes;
      await this.history.open(await listJournals(this.dir), state.firstSeq, state.records === 0);
      this.lastCheckpointBytes = state.checkpointBytes;
      this.lastRecovery = {
        checkpointBytes: state.checkpointBytes,
        journalBytes: state.journalBytes,
        journalCommits: state.journalCommits,
        records: state.records,
        dropped: state.dropped,
        ms: Date.now() - started,
      };
      this.reportRecovery(this.lastRecovery);
      this.startTimer();
      // After a crash with a long journal, fold it into a checkpoint now so the next start is quick.
      if (source && state.journalBytes >= STARTUP_CHECKPOINT_JOURNAL_BYTES) setImmediate(() => this.checkpointInBackground('long journal at start-up'));
      return collected;
    } catch (err) {
      await this.journal?.close();
      this.journal = undefined;
      this.spill.close();
      await this.lock.release();
      this.lock = undefined;
      throw err;
    }
  }

  append(records: ChangeRecord[]): Promise<void> {
    const journal = this.journal;
    if (!journal || this.closing) return Promise.reject(new Error(`the data directory ${this.dir} is not open for writing`));
    const durable = journal.append(records);
    const threshold = Math.max(this.options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES, this.lastCheckpointBytes);
    if (this.journalledSinceCheckpoint >= threshold) this.checkpointInBackground('journal size');
    else if (journal.bytesInFile >= this.segmentBytes && !journal.rotating) journal.rotateToNext();
    return durable;
  }

  /** Writes a checkpoint now (waiting for one in progress first) and starts a new journal. */
  async checkpoint(): Promise<void> {
    while (this.checkpointing) await this.checkpointing;
    this.checkpointing = this.runCheckpoint().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const journal = this.journal;
    if (!journal) return;
    try {
      await journal.drain();
      while (this.checkpointing) await this.checkpointing;
      if (this.journalledSinceCheckpoint > 0) {
        this.checkpointing = this.runCheckpoint();
        await this.checkpointing;
      }
    } finally {
      await journal.close();
      this.journal = undefined;
      this.spill.close();
      await this.lock?.release();
      this.lock = undefined;
    }
  }

  /** Lets go of the directory without a checkpoint: for a start-up that failed after `loadState`. */
  async abandon(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      try {
        await this.journal?.close();
      } finally {
        this.journal = undefined;
        this.spill.close();
        await this.lock?.release();
        this.lock = undefined;
      }
    })();
    return this.closing;
  }

  private checkpointInBackground(reason: string): void {
    if (this.checkpointing || this.closing) return;
    this.checkpoint().catch((err: unknown) => this.logger.error({ err, reason, dir: this.dir }, 'checkpoint failed; the journal keeps every commit meanwhile'));
  }

  /**
   * The snapshot is taken in the same tick as the rotation is queued: every commit applied so far was appended
   * before it (the engine appends in the tick it applies), so the snapshot holds exactly the journals before `next`.
   */
  private async runCheckpoint(): Promise<void> {
    const journal = this.journal;
    const source = this.source;
    if (!journal) return;
    if (!source) throw new Error('durable persistence has no engine attached to checkpoint');
    const started = Date.now();
    const { seq: next, done: rotated } = journal.rotateToNext();
    this.journalledAtCheckpoint = journal.totalBytes;
    const records = source.checkpointRecords();
    const [{ bytes }] = await Promise.all([writeCheckpoint(this.dir, records, next), rotated]);
    // The journals before `next` are no longer needed for recovery: the history keeps them within its bounds.
    await this.history.checkpointed(next);
    this.stats.checkpoints++;
    this.lastCheckpointBytes = bytes;
    this.logger.info({ dir: this.dir, bytes, records: records.length, ms: Date.now() - started }, 'checkpoint written');
  }

  private startTimer(): void {
    const interval = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (interval <= 0) return;
    this.timer = setInterval(() => {
      const journalled = this.journalledSinceCheckpoint;
      if (journalled > 0 && journalled >= this.lastCheckpointBytes / 4) this.checkpointInBackground('interval');
      else this.history.trim().catch((err: unknown) => this.logger.error({ err, dir: this.dir }, 'change history trim failed'));
    }, interval);
    this.timer.unref();
  }

  private reportRecovery(report: RecoveryReport): void {
    const { dropped, ...summary } = report;
    if (dropped) {
      this.logger.warn(
        { dir: this.dir, file: dropped.file, offset: dropped.offset, reason: dropped.reason, droppedBytes: dropped.bytes, droppedCommits: dropped.commits, droppedRecords: dropped.records, droppedJournals: dropped.laterJournals },
        `journal damaged at byte ${dropped.offset} of ${dropped.file} (${dropped.reason}): dropped ${dropped.bytes} bytes holding ${dropped.commits} commit(s) (${dropped.records} readable records); every commit before the damage is kept`,
      );
    }
    this.logger.info({ dir: this.dir, ...summary }, 'data directory recovered');
  }
}
