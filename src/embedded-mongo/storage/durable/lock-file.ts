/**
 * `mongod.lock` keeps a second server (in this or another process or worker thread) out of a data directory.
 *
 * The lock is the kernel's, as mongod's is: an exclusive lock on the open lock file (an open-file-description
 * `fcntl` lock on Linux, `flock` on macOS, `LockFileEx` on Windows, through fs-native-extensions), held for as long as
 * the server has the directory open. The kernel drops it when the process dies, however it dies and whether or not
 * its parent has reaped it yet, so a crash never leaves a lock behind that could stop a restart. The file's text
 * (holder-record.ts) only names the holder in the refusal message.
 *
 * Races: a server that releases removes the file while still holding the lock and closes it after, and a server
 * that got the lock checks that the file it locked is still the one at the path; one that locked a removed or
 * replaced file starts over. So two servers starting at once, or one starting while another stops, never both hold it.
 *
 * Where the OS lock is not to be had (no prebuilt addon for the platform, a file system without locks), the record
 * is the lock: created atomically (a fully written file hard-linked into place), refused while the process it names
 * is that server (PID, start time and boot id, zombies count as dead; see holder-record.ts), and taken over from a
 * dead holder by renaming it aside, so that of two servers taking over the same stale lock only one succeeds. A
 * record written that way is honoured by servers that have the OS lock too.
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { DataDirectoryError, LOCK_FILE, isNotFound } from './format';
import { formatRecord, holderState, ownRecord, parseRecord, type HolderRecord } from './holder-record';

export interface DirectoryLock {
  readonly file: string;
  /** `os`: held by the kernel; `file`: the lock file's record is the lock. */
  readonly kind: 'os' | 'file';
  release(): Promise<void>;
}

interface LockLogger {
  warn(obj: object, msg?: string): void;
}

export interface LockOptions {
  logger?: LockLogger;
  /** false: use the record lock even where the OS lock is available (tests of the fallback). */
  osLock?: boolean;
}

type TryLock = (fd: number) => boolean;

/**
 * The lock covers one byte far past the record, so that on Windows (where locked bytes cannot be read) a refused
 * server can still read who holds the directory; elsewhere the offset makes no difference.
 */
const LOCKED_BYTE = 2 ** 30;
const ATTEMPTS = 5;
const DYING_HOLDER_WAIT_MS = 2000;
const DYING_HOLDER_POLL_MS = 10;

export async function acquireLock(dir: string, options: LockOptions = {}): Promise<DirectoryLock> {
  const file = path.resolve(dir, LOCK_FILE);
  const tryLock = options.osLock === false ? undefined : loadOsLock(options.logger);
  if (tryLock) {
    const held = await acquireOsLock(dir, file, tryLock, options.logger);
    if (held) return held;
  }
  return acquireRecordLock(dir, file, options.logger);
}

/** Whether this platform has the OS lock (tests assert which kind they exercise). */
export function osLockAvailable(): boolean {
  return loadOsLock() !== undefined;
}

let osLockLoad: { tryLock?: TryLock; error?: unknown } | undefined;

function loadOsLock(logger?: LockLogger): TryLock | undefined {
  if (!osLockLoad) {
    try {
      // Loaded on first use, not on import: a platform without the addon still runs, on the record lock.
      const extensions = require('fs-native-extensions') as { tryLock(fd: number, offset: number, length: number): boolean };
      osLockLoad = { tryLock: (fd) => extensions.tryLock(fd, LOCKED_BYTE, 1) };
    } catch (error) {
      osLockLoad = { error };
    }
  }
  if (osLockLoad.error !== undefined) {
    logger?.warn({ err: errorText(osLockLoad.error) }, 'no OS file lock on this platform: the data directory lock falls back to the holder record');
  }
  return osLockLoad.tryLock;
}

/** The OS lock, or undefined when this file system refuses file locks (the caller falls back to the record lock). */
async function acquireOsLock(dir: string, file: string, tryLock: TryLock, logger?: LockLogger): Promise<DirectoryLock | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const handle = await fs.open(file, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    let held = false;
    try {
      let locked: boolean;
      try {
        locked = tryLock(handle.fd);
      } catch (err) {
        logger?.warn({ dir, err: errorText(err) }, 'the file system refuses file locks: the data directory lock falls back to the holder record');
        return undefined;
      }
      if (!locked && !(await lockedOnceHolderExits(file, () => tryLock(handle.fd)))) throw lockedBy(dir, (await readRecord(file))?.record?.pid);
      // Locked a file that a stopping server had just removed (or someone replaced): start over on the one there now.
      if (!sameFile(await handle.stat(), await statIfExists(file))) continue;
      const previous = parseRecord(await handle.readFile('utf8'));
      // A holder without the OS lock (a server of an earlier version, or one on the record lock) is still respected.
      if (previous && !previous.osLock && holderState(previous) === 'alive') throw lockedBy(dir, previous.pid);
      if (previous) logger?.warn({ dir, stalePid: previous.pid }, 'taking over a stale lock file left by a server that is gone');
      await writeRecord(handle, ownRecord(true));
      held = true;
      return {
        file,
        kind: 'os',
        release: once(async () => {
          try {
            if (sameFile(await handle.stat(), await statIfExists(file))) await fs.rm(file, { force: true });
          } finally {
            await handle.close();
          }
        }),
      };
    } finally {
      if (!held) await handle.close();
    }
  }
  throw new DataDirectoryError(`could not take the lock file ${file}: it keeps being removed or replaced`);
}

/**
 * The kernel frees a killed process's lock only when its last thread has exited, a moment after the process shows as
 * a zombie; so while the holder named in the file is dead, the lock is tried again for a while. A live server that
 * has just taken the lock shows as soon as its record replaces the dead one's.
 */
async function lockedOnceHolderExits(file: string, tryAgain: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < DYING_HOLDER_WAIT_MS; waited += DYING_HOLDER_POLL_MS) {
    const holder = (await readRecord(file))?.record;
    if (!holder || holderState(holder) !== 'gone') return false;
    await new Promise((resolve) => setTimeout(resolve, DYING_HOLDER_POLL_MS));
    if (tryAgain()) return true;
  }
  return false;
}

async function acquireRecordLock(dir: string, file: string, logger?: LockLogger): Promise<DirectoryLock> {
  const own = ownRecord(false);
  const text = formatRecord(own);
  const draft = `${file}.${own.nonce}.new`;
  await fs.writeFile(draft, text, { flush: true });
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await linkIfAbsent(draft, file)) return { file, kind: 'file', release: once(() => releaseRecordLock(file, text)) };
      const current = await readRecord(file);
      if (!current) continue;
      if (current.record && holderState(current.record) !== 'gone') throw lockedBy(dir, current.record.pid);
      await setAsideIfUnchanged(file, current.text, `${file}.${own.nonce}.stale`, dir, logger);
    }
  } finally {
    await fs.rm(draft, { force: true });
  }
  throw new DataDirectoryError(`could not take the lock file ${file}: other servers keep taking it`);
}

/**
 * Moves the stale lock file aside, if it is still the one judged stale. Having moved a competitor's new lock instead
 * (it took the stale one over first), puts that back; the loop then finds it and refuses.
 */
async function setAsideIfUnchanged(file: string, judgedText: string, aside: string, dir: string, logger?: LockLogger): Promise<void> {
  try {
    await fs.rename(file, aside);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  try {
    if ((await fs.readFile(aside, 'utf8')) === judgedText) {
      logger?.warn({ dir, stalePid: parseRecord(judgedText)?.pid ?? null }, 'taking over a stale lock file left by a server that is gone');
    } else if (!(await linkIfAbsent(aside, file))) {
      // Yet another server created a lock meanwhile, so the competitor's is lost: three servers racing for one stale
      // record lock is the case this fallback cannot settle (the OS lock has no such case).
      logger?.warn({ dir }, 'three servers raced for a stale lock file: one of them may be running without the lock');
    }
  } finally {
    await fs.rm(aside, { force: true });
  }
}

async function releaseRecordLock(file: string, text: string): Promise<void> {
  const current = await readRecord(file);
  if (current?.text === text) await fs.rm(file, { force: true });
}

async function linkIfAbsent(source: string, target: string): Promise<boolean> {
  try {
    await fs.link(source, target);
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') return false;
    throw err;
  }
}

/** The lock file's text and the record in it (undefined record: empty or unreadable); undefined when there is no file. */
async function readRecord(file: string): Promise<{ text: string; record: HolderRecord | undefined } | undefined> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return { text, record: parseRecord(text) };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Overwrites in place, then trims: a reader never sees an empty file. */
async function writeRecord(handle: fs.FileHandle, record: HolderRecord): Promise<void> {
  const bytes = Buffer.from(formatRecord(record));
  await handle.write(bytes, 0, bytes.length, 0);
  await handle.truncate(bytes.length);
  await handle.sync();
}

async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function sameFile(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= action());
}

function lockedBy(dir: string, pid: number | undefined): DataDirectoryError {
  const holder = pid === undefined ? '' : `process ${pid}, `;
  return new DataDirectoryError(
    `data directory ${dir} is in use by another embedded MongoDB server (${holder}see ${path.join(dir, LOCK_FILE)}); ` +
      'stop that server or choose another --dbpath',
  );
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
