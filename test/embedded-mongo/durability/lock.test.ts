import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MongoClient } from 'mongodb';
import { DurablePersistence, openStorage, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { formatRecord, ownRecord } from '../../../src/embedded-mongo/storage/durable/holder-record';
import { acquireLock, osLockAvailable, type DirectoryLock } from '../../../src/embedded-mongo/storage/durable/lock-file';
import { bundleChild, childEnv } from './bundle-child';
import { tempDir } from './harness';
import { processState, startUnreaped, type Unreaped } from './unreaped';

/**
 * The data directory lock after crashes: a killed server that its parent has not reaped yet, a lock naming a PID
 * that another process now has, two servers starting at once, and a live holder that must still keep others out.
 * Each on the OS lock (where the platform has it) and on the record lock that stands in where it has not.
 */
const ROUNDS = 8;
const SERVER_CHILD = path.join(__dirname, 'crash-child.ts');
const LOCK_CHILD = path.join(__dirname, 'lock-child.ts');
const LOCK_FILE_MODULE = path.join(__dirname, '..', '..', '..', 'src', 'embedded-mongo', 'storage', 'durable', 'lock-file.ts');
const IN_USE = /is in use by another embedded MongoDB server \(process (\d+), see .*mongod\.lock\); stop that server or choose another --dbpath/;
const MODES = ['os', 'file'] as const;
type Mode = (typeof MODES)[number];

const hasProcfs = existsSync('/proc/self/stat');

async function openServerStorage(dir: string): Promise<EmbeddedStorage> {
  const persistence = new DurablePersistence(dir, { checkpointIntervalMs: 0 });
  return openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0, persistence });
}

function lockIn(dir: string, mode: Mode): Promise<DirectoryLock> {
  return acquireLock(dir, { osLock: mode === 'os' });
}

function lockText(dir: string): string {
  return readFileSync(path.join(dir, 'mongod.lock'), 'utf8');
}

/** A lock file left by a server that crashed long ago, naming `pid`, in the format of `format`. */
function staleLockText(pid: number, format: 'old' | 'new'): string {
  const startedMs = Date.now() - 3_600_000;
  if (format === 'old') return `${pid}\n${startedMs}\n`;
  const record = ownRecord(false);
  return formatRecord({ ...record, pid, startedMs, startTicks: String(Number(record.startTicks ?? '0') + 1) });
}

/** Starts `script` as an ordinary child and resolves with its first line of output and how it exited. */
function runChild(script: string, args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<number | null>; stderr(): string } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    void exit.then(() => reject(new Error(`child exited without output: ${out}${err}`)));
  });
  return { child, firstLine, exit, stderr: () => err };
}

/** Inserts until the server dies under it, noting every acknowledged id. */
async function insertUntilKilled(client: MongoClient, acked: Set<string>, prefix: string): Promise<void> {
  const items = client.db('lock').collection<{ _id: string; payload: string }>('items');
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; ; n++) {
      const id = `${prefix}-${w}-${n}`;
      await items.insertOne({ _id: id, payload: 'x'.repeat(100 + (n % 300)) });
      acked.add(id);
    }
  };
  await Promise.allSettled([writer(0), writer(1), writer(2)]);
}

async function assertAllPresent(client: MongoClient, acked: Set<string>): Promise<void> {
  const ids = await client.db('lock').collection('items').find({}, { projection: { _id: 1 } }).toArray();
  const stored = new Set(ids.map((d) => String(d._id)));
  assert.deepEqual([...acked].filter((id) => !stored.has(id)), [], 'every acknowledged insert survives');
}

describe('durability: the data directory lock after a crash', function () {
  this.timeout(60_000);
  const build = tempDir('lock-build');
  const dirs: Array<{ remove(): void }> = [];
  const unreaped: Unreaped[] = [];
  const children: ChildProcess[] = [];
  const locks: DirectoryLock[] = [];
  let serverScript = '';
  let lockScript = '';
  let bystander: ChildProcess | undefined;

  function fresh(label: string): string {
    const dir = tempDir(`lock-${label}`);
    dirs.push(dir);
    return dir.dir;
  }

  function started(child: ChildProcess): ChildProcess {
    children.push(child);
    return child;
  }

  async function unreapedChild(script: string, args: string[]): Promise<Unreaped> {
    const child = await startUnreaped(script, args);
    unreaped.push(child);
    return child;
  }

  async function held(lock: Promise<DirectoryLock>): Promise<DirectoryLock> {
    const taken = await lock;
    locks.push(taken);
    return taken;
  }

  before(function () {
    if (!hasProcfs) this.skip(); // zombies and PID identities are checked through /proc
    serverScript = bundleChild(SERVER_CHILD, build.dir);
    lockScript = bundleChild(LOCK_CHILD, build.dir);
    // Any long-running process other than a server: its PID stands for one that a crashed server had.
    bystander = started(spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' }));
  });

  after(async () => {
    await Promise.all(locks.map((lock) => lock.release()));
    await Promise.all(unreaped.map((child) => child.release()));
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const dir of dirs) dir.remove();
    build.remove();
  });

  it(`When a killed server stays an unreaped zombie, ${ROUNDS} times over, then every restart succeeds and no acknowledged write is lost`, async () => {
    const dir = fresh('zombies');
    const acked = new Set<string>();
    const zombies: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await unreapedChild(serverScript, [dir]);
      const uri = (await server.waitFor(/READY (\S+) /))[1];
      if (osLockAvailable()) assert.match(lockText(dir), /^lock os$/m, 'the server holds the OS lock');
      const client = await new MongoClient(uri, { retryWrites: false, serverSelectionTimeoutMS: 2000 }).connect();
      await assertAllPresent(client, acked);
      if (round === ROUNDS) {
        await client.close();
        break;
      }
      const writing = insertUntilKilled(client, acked, `r${round}`);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 150)));
      await server.kill();
      await writing;
      await client.close(true).catch(() => undefined);
      zombies.push(server.pid);
      assert.deepEqual(
        zombies.map((pid) => processState(pid)),
        zombies.map(() => 'Z'),
        'every killed server is still an unreaped zombie (its PID still answers)',
      );
    }
    assert.ok(acked.size >= ROUNDS, `the writers got inserts acknowledged (${acked.size})`);
  });

  it('When a live server has the directory, then a second server process is refused naming it, and the first keeps serving', async () => {
    const dir = fresh('live');
    const first = await unreapedChild(serverScript, [dir]);
    const uri = (await first.waitFor(/READY (\S+) /))[1];
    const second = runChild(serverScript, [dir]);
    started(second.child);
    assert.equal(await second.exit, 1);
    assert.equal(IN_USE.exec(second.stderr())?.[1], String(first.pid), second.stderr());
    const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 2000 }).connect();
    try {
      await client.db('lock').collection('items').insertOne({ still: 'serving' });
    } finally {
      await client.close();
    }
    await assert.rejects(openServerStorage(dir), (err: Error) => {
      assert.equal(IN_USE.exec(err.message)?.[1], String(first.pid), err.message);
      return true;
    });
  });

  for (const format of ['old', 'new'] as const) {
    it(`When the lock file (${format} format) names a PID that another live process now has, then the server starts with its data`, async () => {
      const dir = fresh(`reused-${format}`);
      const storage = await openServerStorage(dir);
      await storage.write(undefined, (batch) => batch.insert('lock', 'items', { _id: 'kept' }));
      await storage.close();
      await fs.writeFile(path.join(dir, 'mongod.lock'), staleLockText(bystander!.pid!, format));
      const again = await openServerStorage(dir);
      try {
        assert.equal(again.find(undefined, 'lock', 'items', { filter: {} }).docs.length, 1);
        assert.equal(lockText(dir).split('\n')[0], String(process.pid));
      } finally {
        await again.close();
      }
    });
  }

  it('When another worker thread of this process has the directory, then start-up here is refused', async () => {
    const dir = fresh('thread');
    const worker = new Worker(
      `require('tsx/cjs');
       const { parentPort, workerData } = require('node:worker_threads');
       require(workerData.module).acquireLock(workerData.dir).then(
         // The worker must live on, and keep its lock referenced, for the lock file to stay open.
         (lock) => { globalThis.heldLock = lock; setInterval(() => {}, 60000); parentPort.postMessage('locked'); },
         (err) => parentPort.postMessage(err.message),
       );`,
      { eval: true, workerData: { module: LOCK_FILE_MODULE, dir } },
    );
    try {
      assert.equal(await new Promise((resolve) => worker.once('message', resolve)), 'locked');
      await assert.rejects(openServerStorage(dir), (err: Error) => {
        assert.equal(IN_USE.exec(err.message)?.[1], String(process.pid), err.message);
        return true;
      });
    } finally {
      await worker.terminate();
    }
  });

  for (const mode of MODES) {
    describe(`on the ${mode === 'os' ? 'OS lock' : 'record lock (no OS lock on the platform)'}`, () => {
      before(function () {
        if (mode === 'os' && !osLockAvailable()) this.skip();
      });

      it('When the holder was killed and is still an unreaped zombie, then the lock is taken over on either lock', async () => {
        for (const contender of MODES) {
          const dir = fresh(`zombie-${mode}-${contender}`);
          const holder = await unreapedChild(lockScript, [dir, mode]);
          assert.equal((await holder.waitFor(/LOCKED (\w+)\n/))[1], mode);
          await holder.kill();
          const taken = await held(lockIn(dir, contender));
          assert.equal(taken.kind, contender);
          assert.equal(processState(holder.pid), 'Z', 'the old holder was a zombie all along');
        }
      });

      it('When the holder is alive, then a server on either lock is refused naming it', async () => {
        const dir = fresh(`alive-${mode}`);
        const holder = await unreapedChild(lockScript, [dir, mode]);
        await holder.waitFor(/LOCKED/);
        for (const contender of MODES) {
          await assert.rejects(lockIn(dir, contender), (err: Error) => {
            assert.equal(IN_USE.exec(err.message)?.[1], String(holder.pid), err.message);
            return true;
          });
        }
        assert.equal(lockText(dir).split('\n')[0], String(holder.pid), 'the refused servers left the holder’s record alone');
      });

      if (mode === 'os') {
        it('When the holder is dead but the kernel has not dropped its lock yet (its last threads still exiting), then the restart waits and takes it', async () => {
          const dir = fresh('dying');
          const holder = runChild(lockScript, [dir, 'os']);
          started(holder.child);
          assert.equal(await holder.firstLine, 'LOCKED os');
          // The record names a process that is gone while the lock is still held, as in the moment after a kill.
          await fs.writeFile(path.join(dir, 'mongod.lock'), staleLockText(bystander!.pid!, 'new'));
          const restart = lockIn(dir, 'os');
          setTimeout(() => holder.child.kill('SIGKILL'), 100);
          const taken = await held(restart);
          assert.equal(taken.kind, 'os');
        });
      }

      for (const format of ['old', 'new'] as const) {
        it(`When the lock file (${format} format) names a PID that another live process now has, then the lock is taken over`, async () => {
          const dir = fresh(`reused-${mode}-${format}`);
          await fs.writeFile(path.join(dir, 'mongod.lock'), staleLockText(bystander!.pid!, format));
          const taken = await held(lockIn(dir, mode));
          assert.equal(taken.kind, mode);
          assert.equal(lockText(dir).split('\n')[0], String(process.pid));
        });
      }

      it('When two server processes start at the same moment on a stale lock, then exactly one gets it, every time', async () => {
        for (let i = 0; i < 4; i++) {
          const dir = fresh(`race-${mode}-${i}`);
          await fs.writeFile(path.join(dir, 'mongod.lock'), staleLockText(bystander!.pid!, 'old'));
          const pair = [runChild(lockScript, [dir, mode]), runChild(lockScript, [dir, mode])];
          for (const { child } of pair) started(child);
          const lines = await Promise.all(pair.map((run) => run.firstLine));
          assert.deepEqual(lines.map((line) => line.split(' ')[0]).sort(), ['LOCKED', 'REFUSED'], lines.join('\n'));
          for (const { child } of pair) child.kill('SIGKILL');
        }
      });

      it('When two servers in one process race for a stale lock, then exactly one gets it, every time', async () => {
        for (let i = 0; i < 20; i++) {
          const dir = fresh(`race-here-${mode}-${i}`);
          await fs.writeFile(path.join(dir, 'mongod.lock'), staleLockText(bystander!.pid!, i % 2 ? 'old' : 'new'));
          const results = await Promise.allSettled([lockIn(dir, mode), lockIn(dir, mode)]);
          const taken = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
          const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
          assert.equal(taken.length, 1, refused.map((err) => err.message).join('\n'));
          assert.match(refused[0]?.message ?? '', IN_USE);
          await taken[0]!.release();
          assert.ok(!existsSync(path.join(dir, 'mongod.lock')), 'release removes the lock file');
        }
      });
    });
  }
});
