/**
 * The change history change streams read: every commit in cluster-time order, as its change records. It is the
 * embedded server's oplog. Commits enter when applied and become readable once durable (a stream never reports a
 * change a crash could still take back); streams waiting for changes subscribe to the namespaces they watch and
 * are woken once, without polling, when a commit touching them becomes readable.
 *
 * Recent commits are held in memory. In memory only, that is the whole history, bounded by `maxBytes` and
 * `maxAgeMs`; with a data directory, older commits are read back from the journal files kept for the purpose
 * (`HistoryArchive`, bounded there) and the in-memory part is a small cache of the newest.
 */
import type { Document } from '../types';
import { splitNamespace, type ChangeRecord } from './persistence';

export interface CommitEntry {
  /** Cluster time as `timestampKey` gives it. */
  readonly ts: bigint;
  readonly wallTime: Date;
  /** The session and transaction number of a multi-document transaction's commit. */
  readonly lsid?: Document;
  readonly txnNumber?: bigint;
  /** Collection UUID of each namespace the commit touches. */
  readonly uuids: ReadonlyMap<string, unknown>;
  /** The commit's change records (without its marker), in order. */
  readonly records: readonly ChangeRecord[];
}

/** The older part of a durable history: the journal files kept after checkpoints (see durable/history-archive.ts). */
export interface HistoryArchive {
  /** Commits with a time after `after` and at most `until`, in order, about `maxBytes` of them (at least one if any). */
  read(after: bigint, until: bigint, maxBytes: number): Promise<CommitEntry[]>;
  /** Commits up to this time may be gone; every later one is kept. */
  lostUpTo(): bigint;
}

export interface ChangeHistoryOptions {
  /** In memory only: the most bytes of commits kept (older ones are dropped first). */
  maxBytes: number;
  /** In memory only: commits older than this are dropped. */
  maxAgeMs: number;
  /** Durable: where commits older than the in-memory part are read from. */
  archive?: HistoryArchive;
  now?: () => number;
}

/** What a waiting stream watches: every namespace, one database, or one collection. */
export type WatchKey = { kind: 'cluster' } | { kind: 'database'; db: string } | { kind: 'collection'; ns: string };

interface TailEntry {
  entry: CommitEntry;
  bytes: number;
}

/** Newest commits the durable history keeps in memory for streams that keep up. */
const DURABLE_TAIL_BYTES = 8 * 1024 * 1024;
const DURABLE_TAIL_COMMITS = 20_000;
/**
 * A durable history keeps no commit this big in memory (GridFS chunks, say: memory is not the limit of the data);
 * streams read it, and what came before it, back from the journal.
 */
const DURABLE_BIG_COMMIT_BYTES = 64 * 1024;
const CLUSTER = '*';

export class ChangeHistory {
  private tail: TailEntry[] = [];
  private head = 0;
  private tailBytes = 0;
  /** Time of the newest commit dropped from the in-memory part (or the history's start, minus one). */
  private tailFloor: bigint;
  private lostInMemory: bigint;
  private visibleTs: bigint;
  /** Commits applied but not yet durable, with the watch keys to wake once they are (kept apart from the tail, which may drop them sooner). */
  private unannounced: Array<{ ts: bigint; keys: Set<string> }> = [];
  private announcedUpTo = 0;
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Per watch key, the time of the newest readable commit touching it (since `start`). */
  private readonly lastTouch = new Map<string, bigint>();
  private readonly now: () => number;

  /** `start`: the cluster time when the history begins (the clock's latest time at start-up). */
  constructor(
    private readonly start: bigint,
    private readonly options: ChangeHistoryOptions,
  ) {
    // Durable: every commit up to `start` is in the archive. In memory: none are, and a time equal to `start`
    // (an operationTime reported before any commit) is still a valid starting point.
    this.tailFloor = start;
    this.lostInMemory = start - 1n;
    this.visibleTs = start;
    this.now = options.now ?? Date.now;
  }

  /** The newest commit a stream may read (a durable one). */
  get visible(): bigint {
    return this.visibleTs;
  }

  /** Commits up to this time may be gone; every later one can be read. */
  lostUpTo(): bigint {
    this.trimByAge();
    return this.options.archive ? this.options.archive.lostUpTo() : this.lostInMemory;
  }

  /** A commit just applied (not yet durable); `bytes` is about what it holds. */
  append(entry: CommitEntry, bytes: number): void {
    const keys = new Set<string>();
    addWatchKeys(entry, keys);
    this.unannounced.push({ ts: entry.ts, keys });
    this.tail.push({ entry, bytes });
    this.tailBytes += bytes;
    if (this.options.archive && bytes >= DURABLE_BIG_COMMIT_BYTES) {
      while (this.head < this.tail.length) this.dropOldest();
    }
    this.trim();
  }

  /** Every commit up to `ts` is durable: readable, and the streams waiting for them are woken. */
  markDurable(ts: bigint): void {
    if (ts <= this.visibleTs) return;
    this.visibleTs = ts;
    const keys = new Set<string>([CLUSTER]);
    const pending = this.unannounced;
    let next = this.announcedUpTo;
    for (; next < pending.length && pending[next].ts <= ts; next++) {
      for (const key of pending[next].keys) {
        keys.add(key);
        this.lastTouch.set(key, pending[next].ts);
      }
    }
    if (next === pending.length) {
      this.unannounced = [];
      this.announcedUpTo = 0;
    } else if (next > 1024) {
      this.unannounced = pending.slice(next);
      this.announcedUpTo = 0;
    } else this.announcedUpTo = next;
    this.wake(keys);
  }

  /**
   * Whether a readable commit later than `after` touches `key` (true when the history cannot tell: `after` is
   * older than this process's start), so a stream with nothing new need not read anything.
   */
  touchedAfter(key: WatchKey, after: bigint): boolean {
    if (after < this.start) return true;
    if (key.kind === 'cluster') return this.visibleTs > after;
    return (this.lastTouch.get(keyName(key)) ?? -1n) > after;
  }

  /**
   * Calls `wake` once, the next time a commit touching `key` becomes readable; returns the cancel function. The
   * caller re-reads and subscribes again if it wants more.
   */
  subscribe(key: WatchKey, wake: () => void): () => void {
    const name = keyName(key);
    let set = this.waiting.get(name);
    if (!set) {
      set = new Set();
      this.waiting.set(name, set);
    }
    const subscribers = set;
    subscribers.add(wake);
    return () => {
      subscribers.delete(wake);
      if (subscribers.size === 0 && this.waiting.get(name) === subscribers) this.waiting.delete(name);
    };
  }

  /** How many waits are subscribed (each waiting getMore holds one). */
  get waitingCount(): number {
    let count = 0;
    for (const set of this.waiting.values()) count += set.size;
    return count;
  }

  /** Wakes every waiting stream (the server is closing). */
  wakeAll(): void {
    this.wake(new Set(this.waiting.keys()));
  }

  /**
   * Readable commits with a time after `after`, in order, about `maxBytes` of them (at least one when there is
   * any); empty when the reader is up to date. From memory when it holds them, else (durable) from the archive.
   */
  read(after: bigint, maxBytes: number): CommitEntry[] | Promise<CommitEntry[]> {
    this.trimByAge();
    if (after >= this.visibleTs) return [];
    if (after < this.tailFloor && this.options.archive) return this.readArchive(this.options.archive, after, maxBytes);
    return this.readTail(after, maxBytes);
  }

  /** Older commits from the archive; when there are none between `after` and the in-memory part, that part. */
  private async readArchive(archive: HistoryArchive, after: bigint, maxBytes: number): Promise<CommitEntry[]> {
    const floor = this.tailFloor;
    const archived = await archive.read(after, floor, maxBytes);
    return archived.length > 0 ? archived : this.readTail(after > floor ? after : floor, maxBytes);
  }

  private readTail(after: bigint, maxBytes: number): CommitEntry[] {
    let low = this.head;
    let high = this.tail.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.tail[mid].entry.ts <= after) low = mid + 1;
      else high = mid;
    }
    const entries: CommitEntry[] = [];
    let bytes = 0;
    for (let i = low; i < this.tail.length; i++) {
      const { entry, bytes: size } = this.tail[i];
      if (entry.ts > this.visibleTs || (entries.length > 0 && bytes + size > maxBytes)) break;
      entries.push(entry);
      bytes += size;
    }
    return entries;
  }

  private wake(keys: Set<string>): void {
    const woken: Array<() => void> = [];
    for (const key of keys) {
      const set = this.waiting.get(key);
      if (!set) continue;
      this.waiting.delete(key);
      for (const wake of set) woken.push(wake);
    }
    for (const wake of woken) wake();
  }

  private trim(): void {
    const durable = this.options.archive !== undefined;
    const maxBytes = durable ? Math.min(DURABLE_TAIL_BYTES, this.options.maxBytes) : this.options.maxBytes;
    while (this.head < this.tail.length && (this.tailBytes > maxBytes || (durable && this.tail.length - this.head > DURABLE_TAIL_COMMITS))) {
      this.dropOldest();
    }
    this.trimByAge();
  }

  private trimByAge(): void {
    if (this.options.archive) return;
    const cutoff = this.now() - this.options.maxAgeMs;
    while (this.head < this.tail.length && this.tail[this.head].entry.wallTime.getTime() < cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    const { entry, bytes } = this.tail[this.head];
    this.tail[this.head] = undefined as unknown as TailEntry;
    this.head++;
    this.tailBytes -= bytes;
    this.tailFloor = entry.ts;
    if (!this.options.archive) this.lostInMemory = entry.ts;
    // Compact now and then rather than shifting the array on every drop.
    if (this.head > 1024 && this.head * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.head);
      this.head = 0;
    }
  }
}

function keyName(key: WatchKey): string {
  switch (key.kind) {
    case 'cluster':
      return CLUSTER;
    case 'database':
      return `d:${key.db}`;
    case 'collection':
      return `n:${key.ns}`;
  }
}

function addWatchKeys(entry: CommitEntry, keys: Set<string>): void {
  for (const record of entry.records) {
    if (record.op === 'dropDatabase') {
      keys.add(`d:${record.db}`);
      continue;
    }
    if (record.op === 'commit') continue;
    addNamespaceKeys(record.ns, keys);
    if (record.op === 'renameCollection') addNamespaceKeys(record.to, keys);
  }
}

function addNamespaceKeys(ns: string, keys: Set<string>): void {
  keys.add(`n:${ns}`);
  keys.add(`d:${splitNamespace(ns).db}`);
}
