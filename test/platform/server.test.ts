import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { paths } from '../../src/platform/paths';
import { mongoUri } from '../helpers/mongo-target';

interface Started {
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdoutSoFar(): string;
  kill(signal: NodeJS.Signals): void;
}

/** Runs `src/server.ts` in a child process with exactly the given environment (plus PATH). */
function startServer(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(paths.root, 'src', 'server.ts')], {
    cwd: paths.root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { exit, stdoutSoFar: () => stdout, kill: (signal) => child.kill(signal) };
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withDatabase(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

describe('server start-up', function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ssa-server-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('When a variable is invalid, then start-up stops with exit code 1 and a message naming it, without a stack trace', async () => {
    const { code, stderr } = await startServer({ PORT: 'eighty', LOG_LEVEL: 'loud', DATA_DIR: dataDir }).exit;
    assert.equal(code, 1);
    assert.match(stderr, /PORT: /);
    assert.match(stderr, /LOG_LEVEL: /);
    assert.doesNotMatch(stderr, /\bat \S+ \(/);
  });

  it('When started, then it seeds, prints the URL, the demo logins and a supplier link, serves pages and stops cleanly on SIGTERM', async () => {
    const dbName = `test_server_${process.pid}_${Date.now().toString(36)}`;
    const uri = withDatabase(await mongoUri(), dbName);
    const server = startServer({ PORT: '0', DATA_DIR: dataDir, MONGODB_URI: uri, LOG_LEVEL: 'warn', NODE_ENV: 'development' });
    try {
      await waitFor(() => /Supplier link/.test(server.stdoutSoFar()), 45_000);
      const banner = server.stdoutSoFar();
      const port = /running at http:\/\/localhost:(\d+)/.exec(banner)?.[1];
      assert.ok(port, banner);
      assert.match(banner, /buyer\s+inkopare@region-demo\.example\s+password: \S+/);
      assert.match(banner, /auditor\s+revisor@region-demo\.example\s+password: \S+/);
      const link = /Supplier link \(no login needed\): (\S+)/.exec(banner)?.[1];
      assert.ok(link, 'a supplier link is printed');
      const login = await fetch(`http://localhost:${port}/login`);
      assert.equal(login.status, 200);
      const supplierPage = await fetch(new URL(new URL(link).pathname, `http://localhost:${port}`), { redirect: 'manual' });
      assert.ok(supplierPage.status < 400, `the supplier link answers ${supplierPage.status}`);
      server.kill('SIGTERM');
      const { code } = await server.exit;
      assert.equal(code, 0, 'graceful shutdown exits 0');
    } finally {
      server.kill('SIGKILL');
      const conn = mongoose.createConnection(uri);
      await conn.asPromise();
      await conn.dropDatabase();
      await conn.close();
    }
  });
});
