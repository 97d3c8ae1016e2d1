/** How the conformance tests expect the server to refuse something: the driver's MongoServerError with a code. */
import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';

/** The server error `promise` rejects with (fails the test if it resolves or fails otherwise). */
export async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MongoServerError, `expected a server error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the command to fail');
}

/** `promise` rejects with a server error of `code` whose message matches `message` when one is given. */
export async function rejectsWithCode(promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  const err = await serverError(promise);
  assert.equal(err.code, code, `code of "${err.message}"`);
  if (message) assert.match(err.message, message);
}
