/**
 * `mongod.lock` holds the PID of the server that has the data directory open. A second server (in this or another
 * process) refuses to start; a lock left by a process that no longer exists is taken over.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DataDirectoryError, LOCK_FILE, isNotFound } from './format';

/** Lock files held by this process: a second open of the same directory here must be refused too. */
const heldHere = new Set<string>();

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
    if (holder !== undefined && isAlive(holder)) throw lockedBy(dir, holder);
    logger?.warn({ dir, stalePid: holder ?? null }, 'taking over a stale lock file left by a process that is gone');
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
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The PID in the lock file; undefined when it is empty or unreadable (a holder that died while writing it). */
async function readHolder(file: string): Promise<number | undefined> {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  // This process's own locks are in `heldHere`; a file naming our PID is from an earlier process that had it.
  if (pid === process.pid) return false;
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
