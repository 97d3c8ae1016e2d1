/**
 * The cluster time: the one Timestamp clock every commit is stamped with (seconds of the wall clock, then an
 * increment within the second), as a replica set's oplog is. It only moves forward, across restarts too (the
 * journal's commit markers and the checkpoint carry it), so a later commit always has a later time and resume
 * tokens keep their order.
 */
import { Timestamp } from 'bson';

const INCREMENT_LIMIT = 0xffffffffn;

/** A Timestamp as one comparable number: `(seconds << 32) | increment`. */
export function timestampKey(ts: Timestamp): bigint {
  return (BigInt(ts.t) << 32n) | BigInt(ts.i);
}

export function timestampOfKey(key: bigint): Timestamp {
  return new Timestamp({ t: Number(key >> 32n), i: Number(key & INCREMENT_LIMIT) });
}

export class ClusterClock {
  private last: bigint;

  constructor(private readonly nowMs: () => number = Date.now) {
    this.last = BigInt(Math.floor(this.nowMs() / 1000)) << 32n;
  }

  /** The time of the latest commit (or of the clock's start when none happened yet). */
  get latest(): bigint {
    return this.last;
  }

  /** The next commit's time: later than every time handed out before. */
  tick(): bigint {
    const seconds = BigInt(Math.floor(this.nowMs() / 1000));
    const next = seconds > this.last >> 32n ? (seconds << 32n) | 1n : this.last + 1n;
    this.last = next;
    return next;
  }

  /** Moves the clock to at least `key` (a time read back from the journal or a checkpoint). */
  advanceTo(key: bigint): void {
    if (key > this.last) this.last = key;
  }
}
