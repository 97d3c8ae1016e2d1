/**
 * The supplier form's speed, in one run:
 *  1. requests/s for a real section page of the SAQ (the whole app: logging, security headers, link CSRF, link and
 *     response lookup, i18n, EJS with layout) against a bare Express + EJS route rendering the same HTML as a static
 *     template; target ratio ≥ 0.5;
 *  2. answer saves/s (autosave JSON: validation, visibility, a compare-and-set write acknowledged by the database) at
 *     50 concurrent connections; target ≥ 0.3 of the bare render rate with p99 under 200 ms.
 * Each connection is one supplier with its own link, as 20 or 50 suppliers working at the same time would be. Links,
 * responses and unchanged pages come from the app's caches after the first request (src/responses/*-cache.ts), as
 * they do for a supplier working through the form; saves of different suppliers share database round trips
 * (src/responses/answer-writer.ts). For information it also prints the saves of 50 connections all on ONE link (one
 * response written 50 times at once, which no supplier does; those run one at a time; not a target).
 * Runs on the embedded MongoDB in memory (or MONGODB_URI). `npx tsx bench/form-render.ts [seconds per phase]`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import type mongoose from 'mongoose';
import { createOrganisation } from '../src/accounts';
import { createApp } from '../src/app';
import { campaignModel, createCampaign } from '../src/campaigns';
import { createInvitation } from '../src/campaigns/invitation-service';
import type { AppDeps } from '../src/deps';
import { SYSTEM_ACTOR } from '../src/platform/activity';
import { createSupplier } from '../src/suppliers';
import { organisationNumberFor } from '../test/helpers/suppliers';
import { listen, serveBareRender } from './lib/bare-render';
import { benchDeps } from './lib/bench-deps';

const SECONDS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(SECONDS) || SECONDS < 1) throw new Error(`seconds per phase must be a whole number ≥ 1, not ${process.argv[2]}`);
/** Where the embedded server runs: 'worker' (as src/platform/database.ts starts it for the app) or 'main'. */
const DB_THREAD = parseDbThread(process.env.BENCH_DB_THREAD ?? 'worker');
const RENDER_CONNECTIONS = 20;
const SAVE_CONNECTIONS = 50;
const SECTION = 'forced_labour';
const SAVE_QUESTIONS = ['id_documents_retained', 'recruitment_fees_paid', 'loans_to_workers', 'free_to_resign', 'overtime_voluntary', 'wages_paid_directly'];

interface Result {
  requests: number;
  errors: number;
  /** Unexpected statuses seen (0 = connection error), with counts. */
  statuses: Record<string, number>;
  perSecond: number;
  p50: number;
  p99: number;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: (i: number) => string;
}

function send(agent: http.Agent, port: number, spec: RequestSpec, i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = spec.body?.(i);
    const req = http.request(
      { host: '127.0.0.1', port, method: spec.method, path: spec.path, agent, headers: { ...spec.headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Sample {
  latencies: number[];
  errors: number;
  statuses: Record<string, number>;
  elapsed: number;
}

/** Closed-loop load: `connections` workers, each sending its next request when the previous one answered. */
async function loadSlice(agent: http.Agent, port: number, specs: RequestSpec[], connections: number, seconds: number, expectStatus: number, sample: Sample): Promise<void> {
  let counter = sample.latencies.length;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      // Each connection is one client (one supplier's browser): it always sends its own request.
      const spec = specs[worker % specs.length] as RequestSpec;
      while (performance.now() < deadline) {
        const begin = performance.now();
        const status = await send(agent, port, spec, counter++).catch(() => 0);
        sample.latencies.push(performance.now() - begin);
        if (status !== expectStatus) {
          sample.errors += 1;
          sample.statuses[status] = (sample.statuses[status] ?? 0) + 1;
        }
      }
    }),
  );
  sample.elapsed += (performance.now() - started) / 1000;
}

function newSample(): Sample {
  return { latencies: [], errors: 0, statuses: {}, elapsed: 0 };
}

function summarise(sample: Sample): Result {
  const latencies = [...sample.latencies].sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors: sample.errors, statuses: sample.statuses, perSecond: latencies.length / sample.elapsed, p50: at(0.5), p99: at(0.99) };
}

interface Phase {
  port: number;
  /** One per connection (or fewer, shared round-robin). */
  specs: RequestSpec[];
  connections: number;
}

/**
 * The phases take turns in one-second slices, so a change in the machine's load (other processes) hits every phase
 * alike and the ratios between them stay meaningful.
 */
async function interleaved(phases: Phase[], seconds: number): Promise<Result[]> {
  const samples = phases.map(() => newSample());
  // Each phase keeps its connections open across its turns, as browsers keep theirs.
  const agents = phases.map((phase) => new http.Agent({ keepAlive: true, maxSockets: phase.connections }));
  // A first unrecorded round at full concurrency: JIT, caches, sockets and the database connection pool (which grows
  // to the number of concurrent requests) reach their steady state before anything is measured.
  for (const [i, phase] of phases.entries()) await loadSlice(agents[i] as http.Agent, phase.port, phase.specs, phase.connections, 1, 200, newSample());
  for (let round = 0; round < seconds; round += 1) {
    for (const [i, phase] of phases.entries()) await loadSlice(agents[i] as http.Agent, phase.port, phase.specs, phase.connections, 1, 200, samples[i] as Sample);
  }
  for (const agent of agents) agent.destroy();
  return samples.map(summarise);
}

function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

function cookiesOf(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

function format(result: Result): string {
  return `${result.perSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  (${result.requests} requests, ${result.errors} errors${result.errors > 0 ? ` ${JSON.stringify(result.statuses)}` : ''})`;
}

async function main(): Promise<void> {
  const { deps, close } = await benchDeps('form', DB_THREAD);
  const { connection } = deps;
  // As in production: compiled templates cached.
  const appServer = await listen(createApp(deps, { viewCache: true }));
  const servers: http.Server[] = [appServer];
  try {
    const organisation = await createOrganisation(connection, { name: 'Bench Region' });
    const links = await createLinks(deps, organisation._id, SAVE_CONNECTIONS);
    const port = portOf(appServer);
    // Each supplier's browser: the first visit sets the CSRF cookie that its later requests send back.
    const browsers = await Promise.all(links.map((token) => openBrowser(port, token)));
    const html = (browsers[0] as Browser).html;

    // The same HTML as a static EJS template behind a bare Express app.
    const bareRender = await serveBareRender(html);

    const bareSpec: RequestSpec = { method: 'GET', path: '/page' };
    const pageSpecs = browsers.slice(0, RENDER_CONNECTIONS).map(pageSpec);
    const saveSpecs = browsers.map(saveSpec);

    const [bareResult, pageResult, saveResult, oneLinkResult] = (await interleaved(
      [
        { port: bareRender.port, specs: [bareSpec], connections: RENDER_CONNECTIONS },
        { port, specs: pageSpecs, connections: RENDER_CONNECTIONS },
        { port, specs: saveSpecs, connections: SAVE_CONNECTIONS },
        { port, specs: saveSpecs.slice(0, 1), connections: SAVE_CONNECTIONS },
      ],
      SECONDS,
    )) as [Result, Result, Result, Result];

    const renderRatio = pageResult.perSecond / bareResult.perSecond;
    const saveRatio = saveResult.perSecond / bareResult.perSecond;
    const verdict = (ok: boolean) => (ok ? 'meets target' : 'BELOW TARGET');
    console.log(`Section page "${SECTION}" (${(html.length / 1024).toFixed(0)} kB), ${SECONDS} s per phase in 1 s turns, ${RENDER_CONNECTIONS} suppliers (connections) for pages, ${SAVE_CONNECTIONS} for saves`);
    // Server, embedded database and load generator share this process: figures move with the machine's load.
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : `embedded, in this process (${DB_THREAD} thread)`}`);
    console.log(`  bare Express + EJS (same HTML)  ${format(bareResult)}`);
    console.log(`  real SAQ section page           ${format(pageResult)}`);
    console.log(`  answer saves (autosave, $set)   ${format(saveResult)}`);
    console.log(`  (50 connections on ONE link     ${format(oneLinkResult)}; not a target)`);
    console.log(`  page / bare ratio   ${renderRatio.toFixed(2)}  (target ≥ 0.50: ${verdict(renderRatio >= 0.5)})`);
    console.log(`  saves / bare ratio  ${saveRatio.toFixed(2)}  (target ≥ 0.30: ${verdict(saveRatio >= 0.3)})`);
    console.log(`  save p99            ${saveResult.p99.toFixed(1)} ms  (target < 200 ms: ${verdict(saveResult.p99 < 200)})`);
    await bareRender.close();
    if (pageResult.errors + saveResult.errors + bareResult.errors + oneLinkResult.errors > 0) process.exitCode = 1;
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await close();
  }
}

interface Browser {
  token: string;
  cookie: string;
  csrf: string;
  html: string;
}

async function openBrowser(port: number, token: string): Promise<Browser> {
  const first = await fetch(`http://127.0.0.1:${port}/s/${token}/section/${SECTION}`);
  const html = await first.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (first.status !== 200 || !csrf) throw new Error(`the section page did not render (${first.status})`);
  return { token, cookie: cookiesOf(first), csrf, html };
}

function pageSpec(browser: Browser): RequestSpec {
  return { method: 'GET', path: `/s/${browser.token}/section/${SECTION}`, headers: { cookie: browser.cookie } };
}

function saveSpec(browser: Browser): RequestSpec {
  return {
    method: 'POST',
    path: `/s/${browser.token}/autosave`,
    headers: { cookie: browser.cookie, 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': browser.csrf },
    body: (i) => JSON.stringify({ sectionId: SECTION, answers: { [SAQ_QUESTION(i)]: i % 2 === 0 ? 'yes' : 'no' } }),
  };
}

/** One open campaign with `count` suppliers, each invited by its own link; returns the link tokens. */
async function createLinks(deps: AppDeps, organisationId: mongoose.Types.ObjectId, count: number): Promise<string[]> {
  const suppliers = [];
  for (let i = 0; i < count; i += 1) {
    suppliers.push(
      await createSupplier(
        deps,
        {
          organisationId,
          name: `Bench Supplier ${i + 1} AB`,
          country: 'SE',
          organisationNumber: organisationNumberFor(i),
          contacts: [{ name: 'Bench', email: `bench${i + 1}@supplier.example`, language: 'en' }],
        },
        SYSTEM_ACTOR,
      ),
    );
  }
  const campaign = await createCampaign(deps, {
    organisationId,
    actor: { kind: 'system', name: 'bench' },
    name: 'Bench campaign',
    questionnaireId: 'code-of-conduct-saq',
    questionnaireVersion: 1,
    dueDate: new Date(Date.now() + 30 * 86_400_000),
    supplierIds: suppliers.map((supplier) => supplier._id),
  });
  // Links made directly, without sending mail: this bench measures the form, not the campaign.
  await campaignModel(deps.connection).updateOne({ _id: campaign._id }, { $set: { status: 'open' } });
  const tokens: string[] = [];
  for (const supplier of suppliers) {
    const { token } = await createInvitation(deps, {
      organisationId,
      campaignId: campaign._id,
      supplierId: supplier._id,
      questionnaireId: 'code-of-conduct-saq',
      questionnaireVersion: 1,
      language: 'en',
    });
    tokens.push(token);
  }
  return tokens;
}

function parseDbThread(value: string): 'main' | 'worker' {
  if (value !== 'main' && value !== 'worker') throw new Error(`BENCH_DB_THREAD must be main or worker, not ${value}`);
  return value;
}

function SAQ_QUESTION(i: number): string {
  return SAVE_QUESTIONS[i % SAVE_QUESTIONS.length] ?? 'free_to_resign';
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
