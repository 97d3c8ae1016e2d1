/**
 * The campaign progress page with 10,000 invitations: p50 of a buyer's request for the page (counts, the chart,
 * one page of 50 suppliers with their state, last activity and section progress; logged in, the whole app), as it
 * opens and filtered and sorted, printed beside the bare render of the same HTML (a static EJS template behind bare
 * Express). Target: p50 under 100 ms. The campaign is sent through the product (10,000 invitations and their mail),
 * then suppliers are moved along (opened, started with a response, submitted) in bulk.
 * Runs on the embedded MongoDB in memory (worker thread) or MONGODB_URI. `npx tsx bench/campaign-progress.ts [suppliers]`
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { createApp } from '../src/app';
import { participantModel, sendCampaign } from '../src/campaigns';
import { listen, serveBareRender } from './lib/bare-render';
import { benchDeps } from './lib/bench-deps';
import { benchCampaign, benchOrganisation } from './lib/campaign-world';

const SUPPLIERS = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(SUPPLIERS) || SUPPLIERS < 1) throw new Error(`the number of suppliers must be a whole number ≥ 1, not ${process.argv[2]}`);
const REQUESTS = 60;
const TARGET_P50_MS = 100;

function urlOf(server: http.Server, pathname: string): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`;
}

function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Logs in through the login form; returns the session's cookies. */
async function login(server: http.Server, email: string, password: string): Promise<string> {
  const page = await fetch(urlOf(server, '/login'));
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const form = new URLSearchParams({ _csrf: csrf, email, password });
  const response = await fetch(urlOf(server, '/login'), { method: 'POST', body: form, headers: { cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  if (response.status !== 303) throw new Error(`login failed (${response.status})`);
  return cookiesOf(response);
}

interface Timing {
  p50: number;
  p90: number;
}

/** Sequential requests, one at a time, as one buyer clicking through: the latency of each. */
async function time(url: string, cookie: string, requests: number): Promise<{ timing: Timing; html: string }> {
  let html = '';
  for (let i = 0; i < 3; i += 1) html = await (await fetch(url, { headers: { cookie } })).text();
  const latencies: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    latencies.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { timing: { p50: at(0.5), p90: at(0.9) }, html };
}

/** Moves suppliers along: a share opened, a share answering (with a response), a share submitted. */
async function simulateProgress(connection: mongoose.Connection, campaignId: mongoose.Types.ObjectId, organisationId: mongoose.Types.ObjectId): Promise<void> {
  const rows = await participantModel(connection).find({ campaignId }, { supplierId: 1 }).sort({ _id: 1 }).lean();
  const now = new Date();
  const state = (i: number) => (i % 10 < 3 ? 'opened' : i % 10 < 6 ? 'inProgress' : i % 10 < 8 ? 'submitted' : 'invited');
  const rank: Record<string, number> = { invited: 1, opened: 2, inProgress: 3, submitted: 4 };
  await participantModel(connection).bulkWrite(
    rows.map((row, i) => ({ updateOne: { filter: { _id: row._id }, update: { $set: { state: state(i), stateRank: rank[state(i)], lastActivityAt: new Date(now.getTime() - i * 60_000) } } } })),
    { ordered: false },
  );
  const responses = rows
    .map((row, i) => ({ row, i }))
    .filter(({ i }) => state(i) === 'inProgress' || state(i) === 'submitted')
    .map(({ row, i }) => ({
      invitationId: new mongoose.Types.ObjectId(),
      organisationId,
      campaignId,
      supplierId: row.supplierId,
      questionnaireId: 'code-of-conduct-saq',
      questionnaireVersion: 1,
      definitionHash: 'bench',
      status: state(i) === 'submitted' ? 'submitted' : 'draft',
      answers: { company_name: { value: `Supplier ${i}`, updatedAt: now } },
      lastSectionId: 'company_profile',
      sectionProgress: { answered: state(i) === 'submitted' ? 12 : i % 12, visible: 12 },
      evidence: [],
      revision: 1,
      createdAt: now,
      updatedAt: new Date(now.getTime() - i * 30_000),
    }));
  await connection.collection('responses').insertMany(responses, { ordered: false });
}

async function main(): Promise<void> {
  const bench = await benchDeps('campaign_progress');
  const { deps } = bench;
  const db = { connection: deps.connection };
  const servers: http.Server[] = [];
  try {
    const setupStarted = performance.now();
    const world = await benchOrganisation(deps, SUPPLIERS);
    const { campaign, actor } = await benchCampaign(deps, world);
    const sent = await sendCampaign(deps, world.organisationId, campaign._id, actor);
    await simulateProgress(db.connection, campaign._id, world.organisationId);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    const appServer = await listen(createApp(deps, { viewCache: true }));
    servers.push(appServer);
    const cookie = await login(appServer, world.buyer.email, world.buyer.password);
    const base = `/campaigns/${campaign._id.toHexString()}`;
    const opening = await time(urlOf(appServer, `${base}?lang=en`), cookie, REQUESTS);
    const filtered = await time(urlOf(appServer, `${base}?lang=en&status=inProgress&country=SE&sort=lastActivity&order=desc&page=3`), cookie, REQUESTS);

    const bareRender = await serveBareRender(opening.html);
    const bareTiming = await time(`http://127.0.0.1:${bareRender.port}${bareRender.path}`, '', REQUESTS);
    await bareRender.close();

    const verdict = (timing: Timing) => (timing.p50 < TARGET_P50_MS ? 'meets target' : 'ABOVE TARGET');
    const line = (label: string, timing: Timing) => `  ${label.padEnd(44)} p50 ${timing.p50.toFixed(1).padStart(6)} ms  p90 ${timing.p90.toFixed(1).padStart(6)} ms`;
    console.log(`Campaign progress page with ${sent.invitations} invitations (${SUPPLIERS} suppliers; ${(opening.html.length / 1024).toFixed(0)} kB page; set up in ${setupSeconds.toFixed(0)} s), ${REQUESTS} requests each, one at a time`);
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded, worker thread'}`);
    console.log(line('bare Express + EJS (same HTML)', bareTiming.timing));
    console.log(`${line('progress page as it opens', opening.timing)}  (target p50 < ${TARGET_P50_MS} ms: ${verdict(opening.timing)})`);
    console.log(`${line('filtered, sorted, page 3', filtered.timing)}  (target p50 < ${TARGET_P50_MS} ms: ${verdict(filtered.timing)})`);
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await bench.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
