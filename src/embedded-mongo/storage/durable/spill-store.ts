/**
 * Keeps big documents out of memory: every document of a `*.chunks` collection (GridFS) and any document of
 * `thresholdBytes` or more is written to `documents.spill` in the data directory, and its record holds only the
 * location, reading the document back on demand through a small LRU cache. The journal and the checkpoints stay
 * the durable copy; the spill file is a cache rebuilt at each start (recovery re-inserts every document), so it is
 * never fsync'd, and space of replaced or removed documents is reclaimed at the next start.
 */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { serialize } from 'bson';
import { decodeDocument } from '../../bson/decode';
import type { Document } from '../../types';
import type { RecordFactory, StoredRecord } from '../doc-store';

export const SPILL_FILE = 'documents.spill';
const DEFAULT_THRESHOLD_BYTES = 64 * 1024;
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

export interface SpillOptions {
  /** Documents this large or larger go to disk (default 64 KB); all of `*.chunks` always do. */
  thresholdBytes?: number;
  /** How many bytes of documents read back stay cached (default 32 MB). */
  cacheBytes?: number;
}

interface Cached {
  doc: Document;
  size: number;
}

export class SpillStore {
  private fd: number | undefined;
  private position = 0;
  private readonly cache = new Map<number, Cached>();
  private cachedBytes = 0;
  private readonly thresholdBytes: number;
  private readonly cacheBytes: number;
  readonly stats = { documents: 0, bytes: 0, reads: 0, cacheHits: 0 };

  constructor(
    private readonly dir: string,
    options: SpillOptions = {},
  ) {
    this.thresholdBytes = options.thresholdBytes ?? DEFAULT_THRESHOLD_BYTES;
    this.cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  }

  get file(): string {
    return path.join(this.dir, SPILL_FILE);
  }

  /** Starts a fresh spill file (what an earlier run left is stale: recovery refills it). */
  open(): void {
    this.fd = openSync(this.file, 'w+');
    this.position = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.cache.clear();
    this.cachedBytes = 0;
    rmSync(this.file, { force: true });
  }

  /** The engine's record factory: big documents become records that read themselves back from the spill file. */
  readonly recordFactory: RecordFactory = (ns, rid, doc, size) => {
    if (this.fd === undefined || !this.shouldSpill(ns, size)) return { rid, size, doc };
    const { offset, length } = this.write(doc);
    return spilledRecord(this, rid, size, offset, length);
  };

  /** The document stored at `offset` (cached copies are shared: documents are read-only). */
  read(offset: number, length: number): Document {
    const cached = this.cache.get(offset);
    if (cached) {
      this.stats.cacheHits++;
      this.cache.delete(offset);
      this.cache.set(offset, cached);
      return cached.doc;
    }
    if (this.fd === undefined) throw new Error(`the spill file ${this.file} is closed; the storage engine was closed`);
    const bytes = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, bytes, read, length - read, offset + read);
      if (n === 0) throw new Error(`spill file ${this.file} ends before the document at ${offset} (${length} bytes)`);
      read += n;
    }
    this.stats.reads++;
    const doc = decodeDocument(bytes);
    this.remember(offset, doc, length);
    return doc;
  }

  private shouldSpill(ns: string, size: number): boolean {
    return ns.endsWith('.chunks') || size >= this.thresholdBytes;
  }

  private write(doc: Document): { offset: number; length: number } {
    const fd = this.fd as number;
    const bytes = serialize(doc, { ignoreUndefined: false });
    const offset = this.position;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, offset + written);
    this.position += bytes.length;
    this.stats.documents++;
    this.stats.bytes += bytes.length;
    return { offset, length: bytes.length };
  }

  private remember(offset: number, doc: Document, size: number): void {
    if (size > this.cacheBytes / 4) return;
    this.cache.set(offset, { doc, size });
    this.cachedBytes += size;
    for (const [key, entry] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes) break;
      this.cache.delete(key);
      this.cachedBytes -= entry.size;
    }
  }
}

function spilledRecord(store: SpillStore, rid: number, size: number, offset: number, length: number): StoredRecord {
  return {
    rid,
    size,
    get doc(): Document {
      return store.read(offset, length);
    },
  };
}
