/**
 * The supplier register with 10,000 suppliers, in one run:
 *  1. the import that loads them (a 10,000-row CSV: preview, then confirm), for information;
 *  2. p50 and p99 of the register page as a logged-in buyer sees it (the whole app: session, CSRF, i18n, the search
 *     with its count and filter menus, EJS with layout), first page sorted by name and a free-text search, beside the
 *     bare render of the same HTML (a static template behind bare Express). Target: p50 under 100 ms.
 * One client at a time, so the figures are latencies, not queueing; the page and bare phases take turns in one-second
 * slices so the machine's load hits both alike. Embedded MongoDB in memory (or MONGODB_URI).
 * `npx tsx bench/supplier-register.ts [seconds per phase]`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { createOrganisation, createUser, TEST_PASSWORD_HASHING } from '../src/accounts';
import { createApp } from '../src/app';
import { listen, serveBareRender, type BareRender } from './lib/bare-render';
import { benchDeps } from './lib/bench-deps';
import { confirmImport, previewImport } from '../src/suppliers/import/service';
import { organisationNumberFor } from '../test/helpers/suppliers';

const SECONDS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(SECONDS) || SECONDS < 1) throw new Error(`seconds per phase must be a whole number ≥ 1, not ${process.argv[2]}`);
const SUPPLIERS = 10_000;
const TARGET_P50_MS = 100;

const COUNTRIES = ['SE', 'SE', 'SE', 'DE', 'PL', 'CN', 'VN', 'PK', 'IN', 'FI'];
const SECTORS = ['Textil', 'Medicinteknik', 'Livsmedel', 'Metall', 'IT', 'Bygg', 'Kemikalier'];

/** The import file: one supplier a row, as the template's Swedish columns name them. */
function registerCsv(): Buffer {
  const lines = ['Namn;Organisationsnummer;Land;Bransch;Taggar;Kontaktperson;E-post;Anläggning;Tillverkar'];
  for (let i = 0; i < SUPPLIERS; i += 1) {
    const country = COUNTRIES[i % COUNTRIES.length] as string;
    const number = country === 'SE' ? organisationNumberFor(i) : '';
    const tags = i % 7 === 0 ? 'hög risk' : i % 5 === 0 ? 'ramavtal' : '';
    lines.push(`Leverantör ${String(i).padStart(5, '0')} ${country === 'SE' ? 'AB' : 'Ltd'};${number};${country};${SECTORS[i % SECTORS.length]};${tags};Kontakt ${i};kontakt${i}@leverantor${i}.example;Fabrik ${i};Produkt ${i % 300}`);
  }
  return Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8');
}

const portOf = (server: http.Server) => (server.address() as AddressInfo).port;

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** A buyer's browser: logs in through the form and keeps the session cookie. */
async function logIn(origin: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${origin}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(`${origin}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(page) },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`login failed (${res.status})`);
  return cookiesOf(res);
}

interface Timing {
  latencies: number[];
  errors: number;
}

async function timeRequests(url: string, cookie: string, seconds: number, into: Timing): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const begin = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    await res.arrayBuffer();
    into.latencies.push(performance.now() - begin);
    if (res.status !== 200) into.errors += 1;
  }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The app's page and the bare render of its HTML, taking turns; returns each phase's timings. */
async function measure(pageUrl: string, bareUrl: string, cookie: string): Promise<{ page: Timing; bare: Timing }> {
  const page: Timing = { latencies: [], errors: 0 };
  const bare: Timing = { latencies: [], errors: 0 };
  // Warm-up: JIT, template cache, connection pool.
  await timeRequests(pageUrl, cookie, 1, { latencies: [], errors: 0 });
  await timeRequests(bareUrl, '', 1, { latencies: [], errors: 0 });
  for (let round = 0; round < SECONDS; round += 1) {
    await timeRequests(bareUrl, '', 1, bare);
    await timeRequests(pageUrl, cookie, 1, page);
  }
  return { page, bare };
}

async function main(): Promise<void> {
  const { deps, close } = await benchDeps('register');
  const { connection } = deps;
  const servers: http.Server[] = [];
  const bareRenders: BareRender[] = [];
  try {
    await connection.syncIndexes();
    const organisation = await createOrganisation(connection, { name: 'Bench Region' });
    const password = 'bench-buyer-password';
    await createUser(connection, { email: 'buyer@bench.example', name: 'Bench Buyer', password, roles: ['buyer'], organisationId: organisation._id, locale: 'sv' }, { hashing: TEST_PASSWORD_HASHING });
    const actor = { kind: 'user' as const, name: 'Bench Buyer' };

    const previewStart = performance.now();
    const preview = await previewImport(deps, { organisationId: organisation._id, actor, fileName: 'bench.csv', buffer: registerCsv(), lang: 'sv' });
    const previewMs = performance.now() - previewStart;
    const confirmStart = performance.now();
    const outcome = await confirmImport(deps, organisation._id, preview._id, actor);
    const confirmMs = performance.now() - confirmStart;
    if (outcome.created !== SUPPLIERS) throw new Error(`imported ${outcome.created} of ${SUPPLIERS} suppliers`);

    const appServer = await listen(createApp(deps, { viewCache: true }));
    servers.push(appServer);
    const origin = `http://127.0.0.1:${portOf(appServer)}`;
    const cookie = await logIn(origin, 'buyer@bench.example', password);
    const pages = [
      { label: 'register, first page by name', path: '/suppliers' },
      { label: 'register, search "produkt 42"', path: `/suppliers?q=${encodeURIComponent('produkt 42')}` },
      { label: 'register, Sweden + tag, page 3', path: `/suppliers?country=SE&tag=${encodeURIComponent('hög risk')}&page=3&sort=created` },
    ];
    console.log(`Supplier register with ${SUPPLIERS.toLocaleString('en')} suppliers, ${SECONDS} s per phase in 1 s turns, one client at a time`);
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded (worker thread)'}`);
    console.log(`  import of ${SUPPLIERS.toLocaleString('en')} rows: preview ${(previewMs / 1000).toFixed(2)} s, confirm ${(confirmMs / 1000).toFixed(2)} s`);
    let failed = false;
    for (const page of pages) {
      const first = await fetch(`${origin}${page.path}`, { headers: { cookie } });
      const html = await first.text();
      if (first.status !== 200 || !html.includes('supplier-table')) throw new Error(`${page.path} did not render the register (${first.status})`);
      const bareRender = await serveBareRender(html);
      bareRenders.push(bareRender);
      const bareUrl = `http://127.0.0.1:${bareRender.port}${bareRender.path}`;
      const { page: app, bare } = await measure(`${origin}${page.path}`, bareUrl, cookie);
      const p50 = percentile(app.latencies, 0.5);
      const bareP50 = percentile(bare.latencies, 0.5);
      const meets = p50 < TARGET_P50_MS;
      // Like the other benches: a failed request fails the run; a missed target is reported, not an error.
      failed ||= app.errors > 0;
      console.log(`  ${page.label} (${(html.length / 1024).toFixed(0)} kB)`);
      console.log(`    app   p50 ${p50.toFixed(1)} ms  p99 ${percentile(app.latencies, 0.99).toFixed(1)} ms  (${app.latencies.length} requests, ${app.errors} errors)`);
      console.log(`    bare  p50 ${bareP50.toFixed(1)} ms  p99 ${percentile(bare.latencies, 0.99).toFixed(1)} ms  (${bare.latencies.length} requests)`);
      console.log(`    app / bare p50 ratio ${(p50 / bareP50).toFixed(1)}; target p50 < ${TARGET_P50_MS} ms: ${meets ? 'meets target' : 'BELOW TARGET'}`);
    }
    if (failed) process.exitCode = 1;
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const bareRender of bareRenders) await bareRender.close();
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
