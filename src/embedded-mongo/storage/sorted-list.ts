/**
 * An ordered multiset kept as a list of sorted chunks: O(log n) seek, O(chunk) insert/remove, cheap in-order scans.
 * Index entries live here. Chunks stay between CHUNK/2 and 2*CHUNK items (except a lone last chunk).
 */
const CHUNK = 256;

/** Where a scan starts: chunk number and position inside the chunk. */
interface Position {
  chunk: number;
  index: number;
}

export class SortedList<T> {
  private chunks: T[][] = [];
  private count = 0;

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.count;
  }

  /**
   * Replaces the contents with `items` (sorted here), which is much faster than inserting them one by one.
   * `compare`: a faster comparator known to order these items exactly as the list's own.
   */
  load(items: T[], compare: (a: T, b: T) => number = this.compare): void {
    items.sort(compare);
    this.chunks = [];
    for (let i = 0; i < items.length; i += CHUNK) this.chunks.push(items.slice(i, i + CHUNK));
    this.count = items.length;
  }

  insert(item: T): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      return;
    }
    const c = Math.min(this.chunkReaching(item), this.chunks.length - 1);
    const chunk = this.chunks[c];
    chunk.splice(this.positionIn(chunk, item), 0, item);
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
  }

  /** Removes one item comparing equal to `item`; false when there is none. */
  remove(item: T): boolean {
    const c = this.chunkReaching(item);
    const chunk = this.chunks[c];
    if (!chunk) return false;
    const index = this.positionIn(chunk, item);
    if (index >= chunk.length || this.compare(chunk[index], item) !== 0) return false;
    chunk.splice(index, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    else if (chunk.length < CHUNK / 2 && c + 1 < this.chunks.length) this.mergeWithNext(c);
    return true;
  }

  /**
   * Visits items in order starting at the first one with `probe(item) >= 0` (probe: negative = before the start);
   * stops when `visit` returns false.
   */
  scanFrom(probe: (item: T) => number, visit: (item: T) => boolean): void {
    const start = this.seek(probe);
    let index = start.index;
    for (let c = start.chunk; c < this.chunks.length; c++, index = 0) {
      const chunk = this.chunks[c];
      for (; index < chunk.length; index++) if (!visit(chunk[index])) return;
    }
  }

  scanAll(visit: (item: T) => boolean): void {
    for (const chunk of this.chunks) for (const item of chunk) if (!visit(item)) return;
  }

  private seek(probe: (item: T) => number): Position {
    const chunk = this.firstChunkReaching(probe);
    if (chunk >= this.chunks.length) return { chunk, index: 0 };
    return { chunk, index: lowerBound(this.chunks[chunk], probe) };
  }

  /** First chunk whose last item satisfies probe >= 0 (chunks.length when none). */
  private firstChunkReaching(probe: (item: T) => number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid];
      if (probe(chunk[chunk.length - 1]) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Same as firstChunkReaching for "item >= target", without allocating a probe (the insert/remove hot path). */
  private chunkReaching(target: T): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid];
      if (this.compare(chunk[chunk.length - 1], target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private positionIn(chunk: T[], target: T): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(chunk[mid], target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private mergeWithNext(c: number): void {
    const merged = this.chunks[c].concat(this.chunks[c + 1]);
    if (merged.length > 2 * CHUNK) this.chunks.splice(c, 2, merged.slice(0, CHUNK), merged.slice(CHUNK));
    else this.chunks.splice(c, 2, merged);
  }
}

/** First position in the sorted `items` with probe(item) >= 0. */
function lowerBound<T>(items: T[], probe: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (probe(items[mid]) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
