import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataDirectoryError, DurablePersistence, openStorage, type DurableOptions, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { recordingLogger, tempDir } from './harness';

const QUIET: DurableOptions = { checkpointIntervalMs: 0, checkpointBytes: 1 << 30 };

async function open(dir: string, options: DurableOptions = QUIET): Promise<{ engine: EmbeddedStorage; persistence: DurablePersistence }> {
  const persistence = new DurablePersistence(dir, options);
  const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0, persistence });
  return { engine, persistence };
}

/** Stops without a checkpoint, as a kill would: the journal is all that is left. */
async function crash(opened: { engine: EmbeddedStorage; persistence: DurablePersistence }): Promise<void> {
  await opened.persistence.abandon();
  await opened.engine.close();
}

async function insertOneByOne(engine: EmbeddedStorage, ids: number[]): Promise<void> {
  for (const id of ids) await engine.write(undefined, (b) => b.insert('app', 'answers', { _id: id, text: `answer ${id}` }));
}

function storedIds(engine: EmbeddedStorage): unknown[] {
  return engine.find(undefined, 'app', 'answers', { filter: {}, sort: { _id: 1 } }).docs.map((d) => d._id);
}

function journalFile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.wal'));
  assert.equal(files.length, 1, `one journal in ${files.join(', ')}`);
  return path.join(dir, files[0]);
}

/** Offsets where each frame of a journal starts (after the 16-byte header). */
function frameOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const offsets: number[] = [];
  for (let offset = 16; offset < bytes.length; offset += 8 + bytes.readUInt32LE(offset)) offsets.push(offset);
  return offsets;
}

describe('durability: journal recovery, format version, lock file', function () {
  this.timeout(20_000);
  const dirs: Array<{ remove(): void }> = [];
  const fresh = (label: string): string => {
    const made = tempDir(label);
    dirs.push(made);
    return made.dir;
  };
  after(() => dirs.forEach((d) => d.remove()));

  it('When the journal ends in a torn record, then the server starts with every earlier commit, cuts the tail and reports it', async () => {
    const dir = fresh('torn');
    const first = await open(dir);
    await insertOneByOne(first.engine, [1, 2, 3, 4, 5]);
    await crash(first);
    const file = journalFile(dir);
    const lastFrame = frameOffsets(file).at(-1) as number;
    const fullSize = statSync(file).size;
    await fs.truncate(file, lastFrame + 11);

    const logger = recordingLogger();
    const second = await open(dir, { ...QUIET, logger });
    assert.deepEqual(storedIds(second.engine), [1, 2, 3, 4]);
    assert.equal(statSync(file).size, lastFrame, 'the torn tail is cut off');
    const report = second.persistence.lastRecovery?.dropped;
    assert.equal(report?.bytes, 11);
    assert.equal(report?.commits, 1);
    assert.match(report?.reason ?? '', /torn/);
    const warning = logger.lines.find((l) => l.level === 'warn');
    assert.match(warning?.msg ?? '', /dropped 11 bytes holding 1 commit/);
    assert.ok(fullSize > lastFrame + 11);

    await insertOneByOne(second.engine, [6]);
    await crash(second);
    const third = await open(dir);
    assert.deepEqual(storedIds(third.engine), [1, 2, 3, 4, 6], 'writes after the repair append cleanly');
    await third.engine.close();
  });

  it('When a byte in the middle of the journal is flipped, then every commit before it is kept and the rest is dropped and reported', async () => {
    const dir = fresh('flip');
    const first = await open(dir);
    await insertOneByOne(first.engine, [1, 2, 3, 4, 5, 6, 7, 8]);
    await crash(first);
    const file = journalFile(dir);
    const offsets = frameOffsets(file);
    const bytes = readFileSync(file);
    const target = offsets[3] + 20;
    bytes[target] ^= 0x40;
    writeFileSync(file, bytes);

    const second = await open(dir);
    assert.deepEqual(storedIds(second.engine), [1, 2, 3]);
    const report = second.persistence.lastRecovery?.dropped;
    assert.equal(report?.reason, 'checksum mismatch');
    assert.equal(report?.offset, offsets[3]);
    assert.equal(report?.commits, 5, 'the damaged commit and the four readable ones after it');
    assert.equal(report?.records, 4);
    assert.equal(report?.bytes, bytes.length - offsets[3]);
    await second.engine.close();
  });

  it('When a checkpoint was taken without a change history, then restart loads it plus the journal after it, and old journals are gone', async () => {
    const dir = fresh('checkpoint');
    const first = await open(dir, { checkpointIntervalMs: 0, checkpointBytes: 2_000, changeHistory: { maxBytes: 0 } });
    await insertOneByOne(first.engine, Array.from({ length: 60 }, (_, i) => i));
    while (first.persistence.stats.checkpoints === 0) await new Promise((r) => setTimeout(r, 5));
    await first.persistence.checkpoint();
    await insertOneByOne(first.engine, [1000, 1001]);
    await crash(first);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.wal')).length, 1, 'journals before the checkpoint were removed');

    const second = await open(dir);
    assert.equal(storedIds(second.engine).length, 62);
    assert.ok((second.persistence.lastRecovery?.checkpointBytes ?? 0) > 0);
    assert.equal(second.persistence.lastRecovery?.journalCommits, 2);
    await second.engine.close();
  });

  it('When journal and checkpoint are larger than the read window, then every large document comes back intact', async () => {
    const dir = fresh('large');
    const first = await open(dir);
    const chunk = (i: number): Buffer => Buffer.alloc(1024 * 1024, i);
    for (let i = 0; i < 40; i++) {
      await first.engine.write(undefined, (b) => b.insert('app', 'fs.chunks', { _id: i, files_id: 'f', n: i, data: chunk(i) }));
    }
    await crash(first);
    const check = (engine: EmbeddedStorage): void => {
      const docs = engine.find(undefined, 'app', 'fs.chunks', { filter: {}, sort: { n: 1 } }).docs;
      assert.equal(docs.length, 40);
      for (const doc of docs) {
        const data = doc.data as { buffer: Uint8Array };
        assert.ok(Buffer.from(data.buffer).equals(chunk(doc.n as number)), `chunk ${String(doc.n)} intact`);
      }
    };
    const fromJournal = await open(dir);
    check(fromJournal.engine);
    await fromJournal.engine.close();
    assert.ok(statSync(path.join(dir, 'checkpoint.bin')).size > 40 * 1024 * 1024);
    const fromCheckpoint = await open(dir);
    assert.equal(fromCheckpoint.persistence.lastRecovery?.journalCommits, 0);
    check(fromCheckpoint.engine);
    await fromCheckpoint.engine.close();
  });

  it('When concurrent writers commit at once, then they share fsyncs (group commit)', async () => {
    const dir = fresh('group');
    const opened = await open(dir);
    await Promise.all(Array.from({ length: 64 }, (_, i) => opened.engine.write(undefined, (b) => b.insert('app', 'answers', { _id: i }))));
    const { commits, syncs } = opened.persistence.journalStats;
    assert.equal(commits, 64);
    assert.ok(syncs < commits / 4, `${syncs} fsyncs for ${commits} commits`);
    await opened.engine.close();
  });

  it('When a w:0 write is made, then it does not wait for the fsync, yet is journalled in order with the writes after it', async () => {
    const dir = fresh('w0');
    const opened = await open(dir);
    const syncsBefore = opened.persistence.journalStats.syncs;
    await opened.engine.write(undefined, (b) => b.insert('app', 'answers', { _id: 1 }), { durable: false });
    assert.equal(opened.persistence.journalStats.syncs, syncsBefore, 'answered before its fsync');
    await insertOneByOne(opened.engine, [2]);
    assert.ok(opened.persistence.journalStats.syncs > syncsBefore, 'an acknowledged write waits for its fsync');
    await crash(opened);
    const again = await open(dir);
    assert.deepEqual(storedIds(again.engine), [1, 2]);
    await again.engine.close();
  });

  it('When the data directory was written by another format version, then start-up is refused naming the directory and versions', async () => {
    const dir = fresh('format');
    await fs.writeFile(path.join(dir, 'FORMAT'), 'embedded-mongo data directory\nformat 0\n');
    await assert.rejects(open(dir), (err: unknown) => {
      assert.ok(err instanceof DataDirectoryError);
      assert.match(err.message, new RegExp(`data directory ${dir.replace(/[/\\]/g, '.')} was written in an older storage format \\(version 0\\); this server reads format version 1`));
      return true;
    });
    assert.ok(!readdirSync(dir).includes('mongod.lock'), 'a refused start leaves no lock behind');
  });

  it('When a journal file has a newer format version in its header, then start-up is refused', async () => {
    const dir = fresh('header');
    const opened = await open(dir);
    await insertOneByOne(opened.engine, [1]);
    await crash(opened);
    const file = journalFile(dir);
    const bytes = readFileSync(file);
    bytes.writeUInt16LE(7, 4);
    writeFileSync(file, bytes);
    await assert.rejects(open(dir), /newer storage format \(version 7\); this server reads format version 1/);
  });

  it('When a directory holds files but no FORMAT file, then start-up is refused rather than misreading it', async () => {
    const dir = fresh('foreign');
    await fs.writeFile(path.join(dir, 'WiredTiger'), 'not ours');
    await assert.rejects(open(dir), /is not empty but has no FORMAT file \(found WiredTiger\)/);
  });

  it('When a second server opens a directory in use, then it is refused with the directory and the holder PID', async () => {
    const dir = fresh('lock');
    const first = await open(dir);
    assert.equal(readFileSync(path.join(dir, 'mongod.lock'), 'utf8').split('\n')[0], String(process.pid));
    await assert.rejects(open(dir), (err: unknown) => {
      assert.ok(err instanceof DataDirectoryError);
      assert.ok(err.message.includes(dir), err.message);
      assert.ok(err.message.includes(`process ${process.pid}`), err.message);
      return true;
    });
    await first.engine.close();
    assert.ok(!readdirSync(dir).includes('mongod.lock'), 'close releases the lock');
    const again = await open(dir);
    await again.engine.close();
  });

  it('When the lock file names a process that is gone, then the lock is taken over', async () => {
    const dir = fresh('stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await fs.writeFile(path.join(dir, 'mongod.lock'), `${dead.stdout}\n`);
    const logger = recordingLogger();
    const opened = await open(dir, { ...QUIET, logger });
    assert.equal(readFileSync(path.join(dir, 'mongod.lock'), 'utf8').split('\n')[0], String(process.pid));
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /stale lock/.test(l.msg ?? '')));
    await opened.engine.close();
  });

  it('When the lock file was left by a live server without the OS lock (an earlier version; here this process, by its start time), then start-up is refused', async () => {
    const dir = fresh('thread');
    const started = Math.round(Date.now() - process.uptime() * 1000);
    await fs.writeFile(path.join(dir, 'mongod.lock'), `${process.pid}\n${started}\n`);
    await assert.rejects(open(dir), new RegExp(`in use by another embedded MongoDB server \\(process ${process.pid}`));
  });

  it('When the lock file names this PID from an earlier process (PID reuse after a crash), then the lock is taken over', async () => {
    const dir = fresh('reuse');
    await fs.writeFile(path.join(dir, 'mongod.lock'), `${process.pid}\n1000\n`);
    const opened = await open(dir);
    await opened.engine.close();
  });
});
