/**
 * The write-ahead journal: one frame per commit, appended to the current journal file and fsync'd before the
 * commit's promise resolves. Group commit: appends that arrive while a write+fsync is in flight queue up and share
 * the next one. Rotation to a new file (at a checkpoint, or when a file has grown to its size limit) is an entry in
 * the same queue, so the order of commits across files is the order of `append` calls.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ChangeRecord } from '../persistence';
import { HEADER_BYTES, encodeHeader, journalFileName, syncDirectory } from './format';
import { encodeFrame } from './frames';

interface PendingAppend {
  kind: 'append';
  frame: Buffer;
  resolve(): void;
  reject(err: unknown): void;
}

interface PendingRotation {
  kind: 'rotate';
  seq: number;
  resolve(): void;
  reject(err: unknown): void;
}

type Pending = PendingAppend | PendingRotation;

/** Bytes written per write call at most; the rest of a large group goes in the next call before the one fsync. */
const MAX_WRITE_BYTES = 8 * 1024 * 1024;

export class JournalWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: unknown;
  /** Bytes of commits in the current file (after its header). */
  bytesInFile = 0;
  /** File offset up to which the current file is fsync'd: the frames before it are durable and may be read. */
  durableEnd: number;
  /** Commits fsync'd so far and fsyncs made: their ratio is the group-commit factor. */
  readonly stats = { commits: 0, syncs: 0 };
  /** Bytes of commits written since the writer opened, across files. */
  totalBytes = 0;
  /** The journal the latest queued rotation goes to (ahead of `seq` until the rotation runs). */
  private queuedSeq: number;
  /** Told, before any commit goes in, of each new journal file. */
  onNewFile: (seq: number) => void = () => {};

  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    public seq: number,
    /** Absolute file offset where the next frame goes. */
    private position: number,
  ) {
    this.bytesInFile = position - HEADER_BYTES;
    this.durableEnd = position;
    this.queuedSeq = seq;
  }

  /** Opens journal `seq` for appending at file offset `position` (its valid end), or creates it when no position is given. */
  static async open(dir: string, seq: number, position?: number): Promise<JournalWriter> {
    if (position === undefined) {
      const handle = await createJournalFile(dir, seq);
      return new JournalWriter(dir, handle, seq, HEADER_BYTES);
    }
    const handle = await fs.open(path.join(dir, journalFileName(seq)), 'r+');
    return new JournalWriter(dir, handle, seq, position);
  }

  /**
   * Queues a rotation to the next journal file: `seq` is that file's number (known now, before the rotation runs);
   * `done` resolves once every commit appended before is durable and later ones go to the new file.
   */
  rotateToNext(): { seq: number; done: Promise<void> } {
    const seq = ++this.queuedSeq;
    return { seq, done: this.rotate(seq) };
  }

  /** Whether a rotation is queued that has not run yet. */
  get rotating(): boolean {
    return this.queuedSeq !== this.seq;
  }

  append(records: ChangeRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(journalFailed(this.failure));
    let frame: Buffer;
    try {
      frame = encodeFrame(records);
    } catch (err) {
      return Promise.reject(journalFailed(err));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'append', frame, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once every commit appended before this call is durable and later ones go to journal `seq`. */
  private rotate(seq: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'rotate', seq, resolve, reject });
      this.kick();
    });
  }

  /** Resolves once everything appended so far is durable. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.handle.close();
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      try {
        if (group.length > 0) await this.writeGroup(group);
        const next = this.queue[0];
        if (next?.kind === 'rotate') {
          this.queue.shift();
          await this.switchTo(next.seq).then(next.resolve, next.reject);
        }
      } catch (err) {
        this.failure = err;
        for (const pending of [...group, ...this.queue.splice(0)]) pending.reject(journalFailed(err));
      }
    }
  }

  /** The appends at the head of the queue, up to the next rotation. */
  private takeGroup(): PendingAppend[] {
    const group: PendingAppend[] = [];
    while (this.queue.length > 0 && this.queue[0].kind === 'append') group.push(this.queue.shift() as PendingAppend);
    return group;
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let start = 0;
    while (start < group.length) {
      let end = start;
      let bytes = 0;
      while (end < group.length && (end === start || bytes + group[end].frame.length <= MAX_WRITE_BYTES)) bytes += group[end++].frame.length;
      await this.writeAll(group.slice(start, end).map((p) => p.frame), bytes);
      start = end;
    }
    const written = this.position;
    await this.handle.datasync();
    this.durableEnd = written;
    this.stats.syncs++;
    this.stats.commits += group.length;
    for (const pending of group) pending.resolve();
  }

  private async writeAll(buffers: Buffer[], bytes: number): Promise<void> {
    let written = 0;
    let remaining = buffers;
    while (written < bytes) {
      const { bytesWritten } = await this.handle.writev(remaining, this.position + written);
      written += bytesWritten;
      if (written < bytes) remaining = [Buffer.concat(buffers).subarray(written)];
    }
    this.position += bytes;
    this.totalBytes += bytes;
    this.bytesInFile = this.position - HEADER_BYTES;
  }

  private async switchTo(seq: number): Promise<void> {
    const next = await createJournalFile(this.dir, seq);
    await this.handle.close();
    this.handle = next;
    this.seq = seq;
    this.position = HEADER_BYTES;
    this.durableEnd = HEADER_BYTES;
    this.bytesInFile = 0;
    this.onNewFile(seq);
  }
}

/** A new journal file: header written and fsync'd, and the directory entry fsync'd, before any commit goes in. */
async function createJournalFile(dir: string, seq: number): Promise<FileHandle> {
  const handle = await fs.open(path.join(dir, journalFileName(seq)), 'w+');
  try {
    await handle.write(encodeHeader('journal', seq), 0, undefined, 0);
    await handle.sync();
    await syncDirectory(dir);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

function journalFailed(cause: unknown): Error {
  const error = new Error(`the journal could not be written, so the write is not durable: ${cause instanceof Error ? cause.message : String(cause)}`);
  error.cause = cause;
  return error;
}
