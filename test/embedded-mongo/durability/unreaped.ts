/**
 * Runs a child under a parent process that does not reap it until told to, as a slow init or a container's PID 1
 * that never reaps would: killed, the child stays a zombie (its PID still answers `kill(pid, 0)`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childEnv } from './bundle-child';

/**
 * The parent: starts the child, says its PID, then blocks its event loop on a read of stdin, so Node cannot reap the
 * child; once released it kills the child if it still runs, reaps it and exits.
 */
const PARENT = `
const { spawn } = require('node:child_process');
const { readSync, writeSync } = require('node:fs');
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'inherit', 'inherit'] });
child.on('spawn', () => {
  writeSync(1, 'CHILD ' + child.pid + '\\n');
  try { readSync(0, Buffer.alloc(1)); } catch {}
  child.on('exit', () => process.exit(0));
  child.kill('SIGKILL');
});
child.on('error', (err) => { writeSync(2, String(err)); process.exit(1); });
`;

export interface Unreaped {
  /** The child's PID. */
  readonly pid: number;
  /** Resolves with the first match in the child's output; rejects if the parent exits before it appears. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** SIGKILLs the child and resolves once it is a zombie. */
  kill(): Promise<void>;
  /** Lets the parent reap the child (killing it if it runs) and resolves when the parent has exited. */
  release(): Promise<void>;
}

export async function startUnreaped(script: string, args: string[]): Promise<Unreaped> {
  const parent = spawn(process.execPath, ['-e', PARENT, process.execPath, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
  parent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  parent.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));

  let pid: number | undefined;
  // The parent does not exit while it blocks, so a child that died is seen in /proc (a zombie, or gone).
  const died = (): boolean => (pid === undefined ? parent.exitCode !== null || parent.signalCode !== null : ['Z', undefined].includes(processState(pid)));
  const waitFor = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const watch = setInterval(() => {
        const match = pattern.exec(out);
        if (match) resolve(match);
        else if (died()) reject(new Error(`the child exited before printing ${String(pattern)}: ${out}${err}`));
        else return;
        clearInterval(watch);
      }, 10);
    });

  pid = Number((await waitFor(/CHILD (\d+)\n/))[1]);
  const childPid = pid;
  return {
    pid: childPid,
    waitFor,
    async kill() {
      process.kill(childPid, 'SIGKILL');
      await untilState(childPid, 'Z');
    },
    async release() {
      if (parent.exitCode === null && parent.signalCode === null) parent.stdin.end('x');
      await exited;
    },
  };
}

/** The kernel's state letter of a process (`Z`: zombie), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** A SIGKILL takes effect asynchronously; polls /proc (bounded) until it shows. */
async function untilState(pid: number, state: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (processState(pid) === state) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} did not become ${state} (it is ${String(processState(pid))})`);
}
