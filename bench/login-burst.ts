/**
 * A burst of 50 logins at the same moment through the whole app (POST /login: CSRF, session, throttle check,
 * password check, activity log, session regeneration), and how long the event loop is held meanwhile: its delay p99,
 * measured with `monitorEventLoopDelay`. Target: p99 under 50 ms, so other users' pages keep being served while
 * many people log in (Monday 08:00).
 *
 * Baseline in the same run: what each login cost before scrypt, a bcryptjs cost-12 compare (in JavaScript, on the
 * event loop), 50 at once. For information, the first login of 50 users whose hashes are still bcrypt, through the
 * app: each is checked with bcryptjs and then upgraded to scrypt.
 * The embedded MongoDB runs in a worker thread, as `npm start` runs it. `npx tsx bench/login-burst.ts`
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';
import { createOrganisation, hashPassword, PASSWORD_HASHING, userModel } from '../src/accounts';
import { createApp } from '../src/app';
import { benchDeps } from './lib/bench-deps';

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
  const { deps, close } = await benchDeps('login');
  const { connection } = deps;
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
    // The old login's cost: bcryptjs cost 12 on the event loop, 50 at once (all a login did besides a lookup).
    const oldLogins = await measured(() => Promise.all(Array.from({ length: LOGINS }, () => bcrypt.compare(PASSWORD, bcryptHash).then(() => 200))));
    const scryptBurst = await burst('scrypt');
    const upgradeBurst = await burst('bcrypt');

    console.log(`Login burst: ${LOGINS} logins at once; event-loop delay sampled every 1 ms (one long stall is one sample: see max)`);
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; libuv thread pool ${process.env.UV_THREADPOOL_SIZE ?? 4}`);
    console.log(`  old: bcryptjs cost 12, ${LOGINS} × compare             ${format(oldLogins)}`);
    console.log(`  new: scrypt N=2^${PASSWORD_HASHING.log2N} r=${PASSWORD_HASHING.r} p=${PASSWORD_HASHING.p}, POST /login (whole app)  ${format(scryptBurst)}`);
    console.log(`  (first login of ${LOGINS} users with bcrypt hashes, upgraded to scrypt: ${format(upgradeBurst)}; for information)`);
    const ok = scryptBurst.p99 < TARGET_P99_MS;
    console.log(`  scrypt p99 ${scryptBurst.p99.toFixed(1)} ms (target < ${TARGET_P99_MS} ms: ${ok ? 'meets target' : 'BELOW TARGET'}); old / new p99 ratio ${(oldLogins.p99 / Math.max(scryptBurst.p99, 0.001)).toFixed(0)}`);
    const failed = [upgradeBurst, scryptBurst].some((result) => Object.keys(result.statuses).some((status) => status !== '303'));
    if (failed) {
      console.log('  some logins did not succeed (expected 303 for every one)');
      process.exitCode = 1;
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
