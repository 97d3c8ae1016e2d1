/**
 * A burst of 50 logins at the same moment through the whole app (POST /login: CSRF, session, throttle check,
 * password check, activity log, session regeneration), and how long the event loop is held meanwhile: its delay p99,
 * measured with `monitorEventLoopDelay`. Target: p99 under 50 ms, so other users' pages keep being served while
 * many people log in (Monday 08:00).
 *
 * Baseline in the same run: the same burst for 50 users whose passwords are still bcryptjs cost-12 hashes (what
 * every account had before scrypt; bcryptjs computes in JavaScript on the event loop). Their first login also
 * replaces the hash with scrypt, as it does in the app. For information, 50 bare `bcrypt.compare` calls at cost 12.
 * The embedded MongoDB runs in a worker thread, as `npm start` runs it. `npx tsx bench/login-burst.ts`
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import mongoose from 'mongoose';
import pino from 'pino';
import { createOrganisation, hashPassword, PASSWORD_HASHING, userModel } from '../src/accounts';
import { createApp } from '../src/app';
import type { Config } from '../src/config';
import { assembleDeps } from '../src/deps';
import { systemClock } from '../src/platform/clock';
import { createI18n } from '../src/platform/i18n';
import { CapturingTransport } from '../src/platform/mail/transport';
import { paths } from '../src/platform/paths';
import { loadQuestionnaires } from '../src/questionnaires';

const LOGINS = 50;
const TARGET_P99_MS = 50;
const PASSWORD = 'a password for the login burst';

interface BurstResult {
  p99: number;
  max: number;
  seconds: number;
  statuses: Record<number, number>;
}

interface Client {
  email: string;
  cookie: string;
  csrf: string;
}

async function mongoTarget(): Promise<{ uri: string; close(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, close: async () => undefined };
  const { startMongoServer } = await import('../src/embedded-mongo');
  return startMongoServer({ host: '127.0.0.1', port: 0, inMemory: true, thread: 'worker' });
}

/** A browser that opened the login page: its session cookie and the form's CSRF token. */
async function openLoginPage(port: number, email: string): Promise<Client> {
  const res = await fetch(`http://127.0.0.1:${port}/login`);
  const html = await res.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error('no CSRF token on the login page');
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { email, cookie, csrf };
}

function logIn(port: number, client: Client): Promise<number> {
  const body = new URLSearchParams({ _csrf: client.csrf, email: client.email, password: PASSWORD }).toString();
  return fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookie },
    body,
  }).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
    () => 0,
  );
}

/** Runs `work` while sampling the event loop's delay every millisecond. */
async function measured(work: () => Promise<number[]>): Promise<BurstResult> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const started = performance.now();
  histogram.enable();
  const statuses = await work();
  histogram.disable();
  const counted: Record<number, number> = {};
  for (const status of statuses) counted[status] = (counted[status] ?? 0) + 1;
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6, seconds: (performance.now() - started) / 1000, statuses: counted };
}

function format(result: BurstResult): string {
  const statuses = Object.entries(result.statuses).map(([status, count]) => `${count} × ${status}`).join(', ');
  return `event-loop delay p99 ${result.p99.toFixed(1).padStart(7)} ms, max ${result.max.toFixed(1).padStart(7)} ms; burst done in ${result.seconds.toFixed(1)} s (${statuses})`;
}

async function main(): Promise<void> {
  const mongo = await mongoTarget();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-login-'));
  const connection = mongoose.createConnection(mongo.uri, { dbName: `bench_login_${Date.now().toString(36)}` });
  await connection.asPromise();
  const config: Config = {
    port: 0,
    baseUrl: 'http://127.0.0.1',
    mongodbUri: mongo.uri,
    dataDir,
    smtpUrl: undefined,
    mailFrom: 'Bench <no-reply@bench.example>',
    sessionSecret: randomBytes(32).toString('hex'),
    // The production hashing cost (NODE_ENV=test would use the cheap one); plain http, so no secure cookies.
    nodeEnv: 'production',
    isProduction: false,
    logLevel: 'silent',
    supplierCacheMs: 5_000,
  };
  const deps = assembleDeps({
    config,
    connection,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    questionnaires: loadQuestionnaires(paths.questionnaires),
    i18n: createI18n(),
    transport: new CapturingTransport(),
  });
  const server = await new Promise<http.Server>((resolve) => {
    const listening = createApp(deps, { viewCache: true }).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const port = (server.address() as AddressInfo).port;
  try {
    const organisation = await createOrganisation(connection, { name: 'Bench Region' });
    // One hash of each kind, shared by the users of its burst (the cost of checking it is what is measured).
    const [scryptHash, bcryptHash] = await Promise.all([hashPassword(PASSWORD, PASSWORD_HASHING), bcrypt.hash(PASSWORD, 12)]);
    const users = (kind: string, passwordHash: string) =>
      Array.from({ length: LOGINS }, (_, i) => ({ email: `${kind}-${i}@bench.example`, name: `${kind} ${i}`, passwordHash, roles: ['buyer'], organisationId: organisation._id, active: true, locale: 'sv' }));
    await userModel(connection).insertMany([...users('bcrypt', bcryptHash), ...users('scrypt', scryptHash)]);

    const burst = async (kind: string) => {
      const clients = await Promise.all(Array.from({ length: LOGINS }, (_, i) => openLoginPage(port, `${kind}-${i}@bench.example`)));
      return measured(() => Promise.all(clients.map((client) => logIn(port, client))));
    };
    const bcryptBurst = await burst('bcrypt');
    const scryptBurst = await burst('scrypt');
    const bareCompare = await measured(() => Promise.all(Array.from({ length: LOGINS }, () => bcrypt.compare(PASSWORD, bcryptHash).then(() => 200))));

    console.log(`Login burst: ${LOGINS} logins at once through POST /login (the whole app); event-loop delay sampled every 1 ms`);
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; libuv thread pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
    console.log(`  old: bcryptjs cost 12 hashes         ${format(bcryptBurst)}`);
    console.log(`  new: scrypt N=2^${PASSWORD_HASHING.log2N} r=${PASSWORD_HASHING.r} p=${PASSWORD_HASHING.p}          ${format(scryptBurst)}`);
    console.log(`  (bare bcrypt.compare × ${LOGINS}, cost 12    ${format(bareCompare)}; for information)`);
    const ok = scryptBurst.p99 < TARGET_P99_MS;
    console.log(`  scrypt p99 ${scryptBurst.p99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms: ${ok ? 'meets target' : 'BELOW TARGET'}); bcryptjs / scrypt p99 ratio ${(bcryptBurst.p99 / Math.max(scryptBurst.p99, 0.001)).toFixed(1)}`);
    const failed = [bcryptBurst, scryptBurst].some((result) => Object.keys(result.statuses).some((status) => status !== '303'));
    if (failed) {
      console.log('  some logins did not succeed (expected 303 for every one)');
      process.exitCode = 1;
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([deps.outbox.stop(), deps.scheduler.stop()]);
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
    await mongo.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
