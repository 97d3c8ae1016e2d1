/**
 * The data directory's layout and format version. Every file the durable storage writes starts with a 16-byte
 * header naming its kind and format version, and the directory holds a `FORMAT` file, so a directory written by
 * another version is refused with a clear message instead of being misread.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const FORMAT_VERSION = 1;
export const FORMAT_FILE = 'FORMAT';
export const LOCK_FILE = 'mongod.lock';
export const CHECKPOINT_FILE = 'checkpoint.bin';
export const CHECKPOINT_TEMP_FILE = 'checkpoint.tmp';
const FORMAT_TAG = 'embedded-mongo data directory';
const JOURNAL_PATTERN = /^journal-(\d{12})\.wal$/;

export const HEADER_BYTES = 16;
const MAGIC = Buffer.from('EMDB', 'ascii');

export type FileKind = 'journal' | 'checkpoint';
const KIND_CODES: Record<FileKind, number> = { journal: 1, checkpoint: 2 };

/** Raised when the directory cannot be used as it is; the message names the directory and what is wrong. */
export class DataDirectoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirectoryError';
  }
}

export function journalFileName(seq: number): string {
  return `journal-${String(seq).padStart(12, '0')}.wal`;
}

export function journalSeqOf(fileName: string): number | undefined {
  const match = JOURNAL_PATTERN.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

/** `seq`: for a journal its sequence number; for a checkpoint the first journal not contained in it. */
export function encodeHeader(kind: FileKind, seq: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(FORMAT_VERSION, 4);
  header.writeUInt16LE(KIND_CODES[kind], 6);
  header.writeBigUInt64LE(BigInt(seq), 8);
  return header;
}

/** Checks a file's header; throws DataDirectoryError naming the file for a foreign or other-version file. */
export function decodeHeader(bytes: Buffer, kind: FileKind, file: string): { seq: number } {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new DataDirectoryError(`${file} is not a file of the embedded MongoDB server (bad header); refusing to start`);
  }
  const version = bytes.readUInt16LE(4);
  if (version !== FORMAT_VERSION) throw versionMismatch(path.dirname(file), version);
  const code = bytes.readUInt16LE(6);
  if (code !== KIND_CODES[kind]) throw new DataDirectoryError(`${file} holds a file of kind ${code}, expected a ${kind}; refusing to start`);
  return { seq: Number(bytes.readBigUInt64LE(8)) };
}

function versionMismatch(dir: string, found: number): DataDirectoryError {
  const relation = found < FORMAT_VERSION ? 'an older' : 'a newer';
  return new DataDirectoryError(
    `data directory ${dir} was written in ${relation} storage format (version ${found}); this server reads format version ${FORMAT_VERSION} only. ` +
      'Use a server of the matching version to export the data, or point --dbpath at another directory.',
  );
}

/**
 * Makes sure `dir` is a data directory of this format: creates it (with its FORMAT file) when it is missing or
 * empty, refuses one of another version, and refuses a non-empty directory that has no FORMAT file.
 */
export async function ensureFormat(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const formatPath = path.join(dir, FORMAT_FILE);
  let text: string | undefined;
  try {
    text = await fs.readFile(formatPath, 'utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (text === undefined) {
    // The lock file, and the drafts of servers starting on the record lock (lock-file.ts).
    const entries = (await fs.readdir(dir)).filter((name) => !name.startsWith(LOCK_FILE));
    if (entries.length > 0) {
      throw new DataDirectoryError(`data directory ${dir} is not empty but has no ${FORMAT_FILE} file (found ${entries.slice(0, 5).join(', ')}); refusing to start rather than misread it`);
    }
    await writeFileDurably(dir, FORMAT_FILE, Buffer.from(`${FORMAT_TAG}\nformat ${FORMAT_VERSION}\n`));
    return;
  }
  const match = new RegExp(`^${FORMAT_TAG}\\nformat (\\d+)\\n?$`).exec(text);
  if (!match) throw new DataDirectoryError(`data directory ${dir} has an unreadable ${FORMAT_FILE} file; refusing to start`);
  const version = Number(match[1]);
  if (version !== FORMAT_VERSION) throw versionMismatch(dir, version);
}

/** Writes `name` in `dir` via a temp file, fsync and rename, then fsyncs the directory so the rename survives. */
export async function writeFileDurably(dir: string, name: string, data: Buffer): Promise<void> {
  const temp = path.join(dir, `${name}.tmp`);
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path.join(dir, name));
  await syncDirectory(dir);
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}
