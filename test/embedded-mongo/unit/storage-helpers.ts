/** Shared set-up for the storage engine unit tests. */
import assert from 'node:assert/strict';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import { openStorage, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import type { Document } from '../../../src/embedded-mongo/types';

export async function freshEngine(): Promise<EmbeddedStorage> {
  return openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0 });
}

export async function insertAll(engine: EmbeddedStorage, db: string, coll: string, docs: Document[]): Promise<void> {
  await engine.write(undefined, (batch) => docs.forEach((doc) => batch.insert(db, coll, doc)));
}

export function ids(docs: Document[]): unknown[] {
  return docs.map((d) => d._id);
}

/** Asserts that `fn` throws a MongoServerError with `code` and returns it. */
export async function expectMongoError(fn: () => unknown, code: number): Promise<MongoServerError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof MongoServerError, `expected MongoServerError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected error ${code}`);
}
