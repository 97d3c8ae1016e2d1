/**
 * Entry point of the worker thread that runs the server when `startMongoServer({thread: 'worker'})` is used, so the
 * database works on the second core while the app renders pages. Talks to its parent by messages only.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Logger } from './commands/context';
import { startMongoServer, type MongoServerOptions } from './index';

export type WorkerRequest = { type: 'close' };
export type WorkerEvent =
  | { type: 'ready'; uri: string; port: number }
  | { type: 'failed'; message: string }
  | { type: 'closed' }
  | { type: 'log'; level: keyof Logger; obj: Record<string, unknown>; msg?: string };

/** Log records cross the thread boundary as plain data (errors flattened to message and stack). */
function cloneable(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value instanceof Error) out[key] = { message: value.message, stack: value.stack, name: value.name };
    else if (typeof value === 'bigint') out[key] = value.toString();
    else if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) out[key] = value;
    else out[key] = String(value);
  }
  return out;
}

async function runWorker(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const send = (event: WorkerEvent): void => port.postMessage(event);
  const forward = (level: keyof Logger) => (obj: object, msg?: string): void => send({ type: 'log', level, obj: cloneable(obj), msg });
  const logger: Logger = { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
  const options = workerData as Omit<MongoServerOptions, 'logger' | 'thread'>;
  try {
    const server = await startMongoServer({ ...options, thread: 'main', logger });
    port.on('message', (request: WorkerRequest) => {
      if (request.type !== 'close') return;
      server.close().then(
        () => send({ type: 'closed' }),
        (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
      );
    });
    send({ type: 'ready', uri: server.uri, port: server.port });
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}

if (!isMainThread) void runWorker();
