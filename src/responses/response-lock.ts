/**
 * One write at a time per response within this process: a task runs once every earlier task for the same response
 * has finished. Writes then always start from the latest state this process knows, so they never conflict with each
 * other (only with another app instance's, which the compare-and-set in answer-writer.ts catches).
 */
import type mongoose from 'mongoose';

const chains = new WeakMap<mongoose.Connection, Map<string, Promise<void>>>();

export function withResponseLock<T>(connection: mongoose.Connection, responseId: mongoose.Types.ObjectId, task: () => Promise<T>): Promise<T> {
  let byResponse = chains.get(connection);
  if (!byResponse) {
    byResponse = new Map();
    chains.set(connection, byResponse);
  }
  const key = responseId.toHexString();
  const previous = byResponse.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  byResponse.set(key, tail);
  const chainsOfConnection = byResponse;
  void tail.then(() => {
    if (chainsOfConnection.get(key) === tail) chainsOfConnection.delete(key);
  });
  return run;
}
