/** A command's `maxTimeMS`: checked between the phases of a long read, failing with 50 MaxTimeMSExpired. */
import { mongoError } from '../errors';
import type { Document } from '../types';
import { nonNegativeInteger } from './args';

export interface Deadline {
  /** Throws MaxTimeMSExpired once the command has run longer than its `maxTimeMS`. */
  check(): void;
}

export const NO_DEADLINE: Deadline = { check() {} };

/** `maxTimeMS: 0` or absent means no limit, as in MongoDB. */
export function deadlineOf(body: Document, command: string, startedAt = Date.now()): Deadline {
  const maxTimeMS = nonNegativeInteger(body, 'maxTimeMS', command);
  if (maxTimeMS === undefined || maxTimeMS === 0) return NO_DEADLINE;
  if (maxTimeMS > 2 ** 31 - 1) throw mongoError('BadValue', `${maxTimeMS} value for maxTimeMS is out of range [0, 2147483647]`);
  const expiresAt = startedAt + maxTimeMS;
  return {
    check() {
      if (Date.now() > expiresAt) throw mongoError('MaxTimeMSExpired', 'operation exceeded time limit');
    },
  };
}

/** Visits every item, checking the deadline every `every` items so a long scan stops in time. */
export function forEachWithin<T>(items: readonly T[], visit: (item: T) => void, deadline: Deadline, every = 1024): void {
  for (let i = 0; i < items.length; i++) {
    if (i % every === 0) deadline.check();
    visit(items[i]);
  }
}

export function filterWithin<T>(items: readonly T[], test: (item: T) => boolean, deadline: Deadline): T[] {
  const kept: T[] = [];
  forEachWithin(items, (item) => {
    if (test(item)) kept.push(item);
  }, deadline);
  return kept;
}
