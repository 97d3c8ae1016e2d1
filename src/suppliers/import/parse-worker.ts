/**
 * Reads an uploaded import file in a worker thread, so a hostile file (a zip bomb, a CSV of one endless line) costs
 * this worker's bounded heap and time, never the app's memory or event loop. The caller is `parseImportFile`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readTable, TableError, type ImportTable } from './read-table';

export type ParseOutcome = { ok: true; table: ImportTable } | { ok: false; code: string; params: Record<string, string | number> };

async function run(): Promise<void> {
  const buffer = Buffer.from(workerData as Uint8Array);
  let outcome: ParseOutcome;
  try {
    outcome = { ok: true, table: await readTable(buffer) };
  } catch (error) {
    outcome = error instanceof TableError ? { ok: false, code: error.code, params: error.params } : { ok: false, code: 'unreadable', params: {} };
  }
  parentPort?.postMessage(outcome);
}

if (!isMainThread) void run();
