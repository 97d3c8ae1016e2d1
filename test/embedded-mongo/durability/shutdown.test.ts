import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { bundleChild, childEnv } from './bundle-child';
import { tempDir } from './harness';

const CLI = path.join(__dirname, '..', '..', '..', 'src', 'embedded-mongo', 'cli.ts');

function startCli(script: string, dbPath: string): Promise<{ child: ChildProcess; uri: string }> {
  const child = spawn(process.execPath, [script, '--port', '0', '--dbpath', dbPath], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening at (\S+)/.exec(out);
      if (match) resolve({ child, uri: match[1] });
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`cli exited with ${code} before listening: ${err}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('durability: graceful shutdown of `npm run db`', function () {
  this.timeout(30_000);
  const data = tempDir('shutdown');
  const build = tempDir('shutdown-build');
  let script = '';
  const running: ChildProcess[] = [];

  before(() => {
    script = bundleChild(CLI, build.dir);
  });

  after(() => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    data.remove();
    build.remove();
  });

  it('When the server gets SIGTERM, then it exits 0 after a checkpoint, releases the lock, and the next start has the data', async () => {
    const first = await startCli(script, data.dir);
    running.push(first.child);
    const client = await new MongoClient(first.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    await client.db('app').collection('audits').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i as never, finding: `finding ${i}` })));
    await client.close();
    const exited = exitOf(first.child);
    first.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!existsSync(path.join(data.dir, 'mongod.lock')), 'lock released');
    assert.ok(existsSync(path.join(data.dir, 'checkpoint.bin')), 'checkpoint written');
    const journals = ['journal-000000000002.wal'].map((f) => path.join(data.dir, f));
    assert.equal(statSync(journals[0]).size, 16, 'the journal after the checkpoint holds only its header');

    const second = await startCli(script, data.dir);
    running.push(second.child);
    const again = await new MongoClient(second.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    try {
      assert.equal(await again.db('app').collection('audits').countDocuments(), 50);
    } finally {
      await again.close();
    }
    const exitedAgain = exitOf(second.child);
    second.child.kill('SIGINT');
    assert.equal(await exitedAgain, 0);
  });
});
