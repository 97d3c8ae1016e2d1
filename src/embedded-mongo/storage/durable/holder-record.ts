/**
 * What `mongod.lock` says about the server holding the directory, and whether the process it names is still that
 * server. With the OS lock (lock-file.ts) the record only names the holder in messages; without it (or when it was
 * written by a server that had none) the record is the lock, so it identifies its process exactly where the system
 * lets us: PID, the kernel's start time of that process (`/proc/<pid>/stat` field 22, in clock ticks since boot) and
 * the boot id, so neither a reused PID (after a reboot, or in a container whose server always gets the same PID) nor
 * a zombie (dead but not yet reaped by its parent) passes for the holder.
 *
 * Format, one item a line (the first two are what earlier versions wrote and still read):
 *   <pid>
 *   <start time, ms since the epoch>
 *   boot <boot id>        (Linux)
 *   start <clock ticks>   (Linux)
 *   lock os|file          os: the holder also has the OS lock; file: this record is its only lock
 *   nonce <hex>           tells two records of the same process apart
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface HolderRecord {
  pid: number;
  startedMs?: number;
  bootId?: string;
  startTicks?: string;
  /** True when the holder also holds the OS lock; false for records that are the lock (and for old formats). */
  osLock: boolean;
  nonce?: string;
}

/** `alive`: that server runs; `gone`: it does not; `unsure`: a process has the PID but the record cannot prove it is the holder. */
export type HolderState = 'alive' | 'gone' | 'unsure';

/** Linux reports process start times in USER_HZ ticks, 100 a second on every architecture Node supports. */
const TICKS_PER_SECOND = 100;
/** How far an old-format start time (taken by the process itself) may lie from the kernel's. */
const LEGACY_START_TOLERANCE_MS = 2000;

interface ProcessStat {
  state: string;
  startTicks: string;
}

export function ownRecord(osLock: boolean): HolderRecord {
  const stat = readProcessStat('self');
  return {
    pid: process.pid,
    startedMs: Math.round(Date.now() - process.uptime() * 1000),
    bootId: stat ? readBootId() : undefined,
    startTicks: stat?.startTicks,
    osLock,
    nonce: randomBytes(8).toString('hex'),
  };
}

export function formatRecord(record: HolderRecord): string {
  const lines = [String(record.pid), String(record.startedMs ?? '')];
  if (record.bootId && record.startTicks) lines.push(`boot ${record.bootId}`, `start ${record.startTicks}`);
  lines.push(`lock ${record.osLock ? 'os' : 'file'}`);
  if (record.nonce) lines.push(`nonce ${record.nonce}`);
  return `${lines.join('\n')}\n`;
}

/** The record in a lock file's text; undefined when it names no PID (empty: its writer died while writing it). */
export function parseRecord(text: string): HolderRecord | undefined {
  const [pid, started, ...rest] = text.split('\n');
  if (!/^\d+$/.test(pid ?? '')) return undefined;
  const fields = new Map(rest.map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]));
  const startTicks = fields.get('start');
  return {
    pid: Number(pid),
    startedMs: /^\d+$/.test(started ?? '') ? Number(started) : undefined,
    bootId: fields.get('boot'),
    startTicks: startTicks !== undefined && /^\d+$/.test(startTicks) ? startTicks : undefined,
    osLock: fields.get('lock') === 'os',
    nonce: fields.get('nonce'),
  };
}

export function holderState(record: HolderRecord): HolderState {
  const own = readProcessStat('self');
  if (own) return holderStateFromProc(record, own);
  return holderStateWithoutProc(record);
}

/** Linux: the kernel's view of the PID decides. */
function holderStateFromProc(record: HolderRecord, own: ProcessStat): HolderState {
  const stat = readProcessStat(String(record.pid));
  if (!stat || stat.state === 'Z' || stat.state === 'X') return 'gone';
  if (record.bootId && record.startTicks) {
    return record.bootId === readBootId() && record.startTicks === stat.startTicks ? 'alive' : 'gone';
  }
  if (record.startedMs !== undefined) {
    const startedMs = bootTimeMs() + (Number(stat.startTicks) * 1000) / TICKS_PER_SECOND;
    return Math.abs(startedMs - record.startedMs) < LEGACY_START_TOLERANCE_MS ? 'alive' : 'gone';
  }
  // A PID alone (the oldest format): our own PID is an earlier process's, since we are the one starting.
  return record.pid === process.pid && own.state !== 'Z' ? 'gone' : 'unsure';
}

/** Elsewhere only the PID's existence and, for our own PID, our start time can be checked. */
function holderStateWithoutProc(record: HolderRecord): HolderState {
  if (record.pid === process.pid) {
    const ownStartedMs = Math.round(Date.now() - process.uptime() * 1000);
    const sameProcess = record.startedMs !== undefined && Math.abs(record.startedMs - ownStartedMs) < LEGACY_START_TOLERANCE_MS;
    return sameProcess ? 'alive' : 'gone';
  }
  try {
    process.kill(record.pid, 0);
    return 'unsure';
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM' ? 'unsure' : 'gone';
  }
}

/** State and start time of a process; undefined when there is no such process or no procfs. */
function readProcessStat(pid: string): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (!state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  return { state, startTicks };
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function bootTimeMs(): number {
  const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return match ? Number(match[1]) * 1000 : 0;
}
