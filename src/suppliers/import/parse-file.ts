import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ParseOutcome } from './parse-worker';
import { IMPORT_LIMITS } from './limits';
import { TableError, type ImportTable } from './read-table';

/** The worker's entry: the compiled .js in a build, the .ts source under tsx (tests, `npm run dev`). */
function workerSource(): string {
  const extension = path.extname(__filename);
  const entry = JSON.stringify(path.join(__dirname, `parse-worker${extension}`));
  return extension === '.ts' ? `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${entry});` : `require(${entry});`;
}

/**
 * Reads an import file into a table in a worker thread with a bounded heap and a time limit. A worker that runs out
 * of memory or time ends as a TableError('unreadable' | 'tooSlow'), and the app goes on unharmed.
 */
export async function parseImportFile(buffer: Buffer): Promise<ImportTable> {
  if (buffer.length > IMPORT_LIMITS.fileBytes) throw new TableError('tooLarge', { maxMb: IMPORT_LIMITS.fileBytes / 1024 / 1024 });
  const worker = new Worker(workerSource(), {
    eval: true,
    workerData: new Uint8Array(buffer),
    resourceLimits: { maxOldGenerationSizeMb: IMPORT_LIMITS.workerHeapMb, maxYoungGenerationSizeMb: 64 },
  });
  try {
    const outcome = await new Promise<ParseOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TableError('tooSlow')), IMPORT_LIMITS.workerTimeoutMs);
      worker.once('message', (message: ParseOutcome) => {
        clearTimeout(timer);
        resolve(message);
      });
      worker.once('error', () => {
        clearTimeout(timer);
        reject(new TableError('unreadable'));
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new TableError(code === 0 ? 'unreadable' : 'unreadable'));
      });
    });
    if (!outcome.ok) throw new TableError(outcome.code, outcome.params);
    return outcome.table;
  } finally {
    await worker.terminate();
  }
}
