import assert from 'node:assert/strict';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

/**
 * Asserts that `fn` throws a MongoServerError with `code`; a string `message` must equal the error's message, a
 * pattern must match it.
 */
export function assertThrowsMongoError(fn: () => unknown, code: number, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MongoServerError, `expected MongoServerError, got ${String(err)}`);
    assert.equal(err.code, code, `code of "${err.message}"`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}
