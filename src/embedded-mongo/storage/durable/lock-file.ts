/**
 * `mongod.lock` holds the PID of the server that has the data directory open (and, on a second line, when that
 * process started). A second server (in this or another process or thread) refuses to start; a lock left by a
 * process that no longer exists is taken over, including one whose PID this process happens to reuse.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataDirectoryError, LOCK_FILE, isNotFound } from './format';

/** Lock files held by this thread: a second open of the same directory here must be refused too. */
const heldHere = new Set<string>();
/** When this process started, to tell our own lock (another worker thread) from an earlier process with our PID. */
const PROCESS_STARTED_MS = Math.round(Date.now() - process.uptime() * 1000);

export interface DirectoryLock {
  readonly file: string;
  release(): Promise<void>;
}

export async function acquireLock(dir: string, logger?: { warn(obj: object, msg?: string): void }): Promise<DirectoryLock> {
  const file = path.resolve(dir, LOCK_FILE);
  if (heldHere.has(file)) throw lockedBy(dir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file)) {
      heldHere.add(file);
      return { file, release: () => release(file) };
    }
    const holder = await readHolder(file);
    if (holder !== undefined && isAlive(holder)) throw lockedBy(dir, holder.pid);
    logger?.warn({ dir, stalePid: holder?.pid ?? null }, 'taking over a stale lock file left by a process that is gone');
    await fs.rm(file, { force: true });
  }
  throw new DataDirectoryError(`could not take the lock file ${file}: another server keeps creating it`);
}

async function tryCreate(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(`${process.pid}\n${PROCESS_STARTED_MS}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

interface Holder {
  pid: number;
  startedMs?: number;
}

/** The holder named in the lock file; undefined when it is empty or unreadable (a holder that died while writing it). */
async function readHolder(file: string): Promise<Holder | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const [pid, started] = text.split('\n');
  if (!/^\d+$/.test(pid ?? '')) return undefined;
  return { pid: Number(pid), startedMs: /^\d+$/.test(started ?? '') ? Number(started) : undefined };
}

function isAlive({ pid, startedMs }: Holder): boolean {
  // Our own PID: another thread of this process holds it, or an earlier process that had the same PID did.
  if (pid === process.pid) return startedMs !== undefined && Math.abs(startedMs - PROCESS_STARTED_MS) < 2000;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

async function release(file: string): Promise<void> {
  if (!heldHere.delete(file)) return;
  await fs.rm(file, { force: true });
}

function lockedBy(dir: string, pid: number): DataDirectoryError {
  return new DataDirectoryError(
    `data directory ${dir} is in use by another embedded MongoDB server (process ${pid}, see ${path.join(dir, LOCK_FILE)}); ` +
      'stop that server or choose another --dbpath',
  );
}
