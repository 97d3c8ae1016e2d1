/**
 * Builds the real app (createApp) for a test file on a fresh database of the test MongoDB, with a capturing mailer
 * and a settable clock. `close()` drops the database and closes the connection.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type express from 'express';
import mongoose from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { createOrganisation, createUser, TEST_PASSWORD_HASHING, type Role } from '../../src/accounts';
import { createApp } from '../../src/app';
import { registerBackgroundWork } from '../../src/background';
import type { Config } from '../../src/config';
import { assembleDeps, type AppDeps } from '../../src/deps';
import { ManualClock } from '../../src/platform/clock';
import { createI18n } from '../../src/platform/i18n';
import { CapturingTransport, type MailTransport, type OutgoingMail } from '../../src/platform/mail/transport';
import { paths } from '../../src/platform/paths';
import { loadQuestionnaires, type QuestionnaireRegistry } from '../../src/questionnaires';
import { mongoUri } from './mongo-target';

export interface TestApp {
  app: express.Express;
  deps: AppDeps;
  /** What the outbox handed over; messages arrive here only when the outbox delivers (see `deliverMail`). */
  mailer: CapturingTransport;
  clock: ManualClock;
  /** Delivers every queued message that is due by the test clock and returns the ones handed over now. */
  deliverMail(): Promise<OutgoingMail[]>;
  /** Runs every job due by the test clock, then delivers the mail they queued. */
  runJobs(): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOverrides {
  config?: Partial<Config>;
  questionnaires?: QuestionnaireRegistry;
  clock?: ManualClock;
  /** Label used in the database name (default: "app"). */
  label?: string;
  /**
   * The mail transport (default: a fresh capturing one, which is `mailer`). Another one (SMTP to a loopback server)
   * leaves `mailer` empty: read what arrived from that server.
   */
  transport?: MailTransport;
}

let sharedQuestionnaires: QuestionnaireRegistry | undefined;
let i18nInstance: ReturnType<typeof createI18n> | undefined;

/** The locale files, read once per test run. */
export function sharedI18n(): ReturnType<typeof createI18n> {
  i18nInstance ??= createI18n();
  return i18nInstance;
}

/** The shipped questionnaires, loaded once per test run. */
export function shippedQuestionnaires(): QuestionnaireRegistry {
  sharedQuestionnaires ??= loadQuestionnaires(paths.questionnaires);
  return sharedQuestionnaires;
}

export function testConfig(dataDir: string, mongodbUri: string, overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    baseUrl: 'http://127.0.0.1:3000',
    mongodbUri,
    dataDir,
    smtpUrl: undefined,
    mailFrom: 'Supplier self-assessment <no-reply@saq.test>',
    sessionSecret: randomBytes(32).toString('hex'),
    nodeEnv: 'test',
    isProduction: false,
    logLevel: 'silent',
    supplierCacheMs: 5_000,
    ...overrides,
  };
}

export async function buildTestApp(overrides: TestAppOverrides = {}): Promise<TestApp> {
  const uri = await mongoUri();
  const label = (overrides.label ?? 'app').replace(/[^a-zA-Z0-9_]/g, '_');
  const dbName = `test_${label}_${process.pid}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const connection = mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 5000 });
  await connection.asPromise();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ssa-test-'));
  const config = testConfig(dataDir, uri, overrides.config);
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? config.logLevel });
  const mailer = overrides.transport instanceof CapturingTransport ? overrides.transport : new CapturingTransport();
  const clock = overrides.clock ?? new ManualClock();
  const deps = assembleDeps({
    config,
    connection,
    logger,
    clock,
    questionnaires: overrides.questionnaires ?? shippedQuestionnaires(),
    i18n: sharedI18n(),
    transport: overrides.transport ?? mailer,
  });
  registerBackgroundWork(deps);
  const app = createApp(deps);
  const deliverMail = async (): Promise<OutgoingMail[]> => {
    const before = mailer.messages.length;
    await deps.outbox.deliverDue();
    return mailer.messages.slice(before);
  };
  return {
    app,
    deps,
    mailer,
    clock,
    deliverMail,
    async runJobs() {
      await deps.scheduler.runDue();
      await deliverMail();
    },
    async close() {
      await Promise.all([deps.outbox.stop(), deps.scheduler.stop()]);
      try {
        await dropTestDatabase(connection, uri, dbName);
      } finally {
        await connection.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface SecondInstance {
  app: express.Express;
  deps: AppDeps;
  mailer: CapturingTransport;
  close(): Promise<void>;
}

/**
 * Another app instance on the same database, as a second server process would be: its own connection, outbox,
 * scheduler and caches, the same configuration (secret included) and clock.
 */
export async function buildSecondInstance(first: TestApp, options: { transport?: MailTransport } = {}): Promise<SecondInstance> {
  const connection = mongoose.createConnection(await mongoUri(), { dbName: first.deps.connection.name, serverSelectionTimeoutMS: 5000 });
  await connection.asPromise();
  const mailer = options.transport instanceof CapturingTransport ? options.transport : new CapturingTransport();
  const deps = assembleDeps({ ...first.deps, connection, logger: pino({ level: 'silent' }), transport: options.transport ?? mailer });
  registerBackgroundWork(deps);
  return {
    app: createApp(deps),
    deps,
    mailer,
    async close() {
      await Promise.all([deps.outbox.stop(), deps.scheduler.stop()]);
      await connection.close();
    },
  };
}

/** Drops the database, through a new connection when a test closed the app's own (e.g. to simulate an outage). */
async function dropTestDatabase(connection: mongoose.Connection, uri: string, dbName: string): Promise<void> {
  if (connection.readyState === mongoose.ConnectionStates.connected) {
    await connection.dropDatabase();
    return;
  }
  const fresh = mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 5000 });
  try {
    await fresh.asPromise();
    await fresh.dropDatabase();
  } finally {
    await fresh.close();
  }
}

/** The `_csrf` value of the first form in a page. */
export function extractCsrfToken(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field in the page');
  return match[1];
}

/** A supertest agent (keeps cookies) that has loaded `pagePath` and holds that page's CSRF token. */
export async function agentWithCsrf(app: express.Express, pagePath = '/login'): Promise<{ agent: request.Agent; csrfToken: string }> {
  const agent = request.agent(app);
  const page = await agent.get(pagePath).expect(200);
  return { agent, csrfToken: extractCsrfToken(page.text) };
}

/** Fetches a page with the agent and returns its CSRF token (tokens change when the session does, e.g. at login). */
export async function refreshCsrf(agent: request.Agent, pagePath: string): Promise<string> {
  const page = await agent.get(pagePath).expect(200);
  return extractCsrfToken(page.text);
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
}

export interface TestOrganisation {
  id: string;
  name: string;
  admin: TestUser;
  buyer: TestUser;
  auditor: TestUser;
}

/** An organisation with one admin, one buyer and one auditor (fast hashing cost; passwords returned for logging in). */
export async function createTestOrganisation(deps: Pick<AppDeps, 'connection'>, name: string): Promise<TestOrganisation> {
  const organisation = await createOrganisation(deps.connection, { name });
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const makeUser = async (role: Role): Promise<TestUser> => {
    const email = `${role}@${slug}.example`;
    const password = `${role}-password-${slug}`;
    const user = await createUser(
      deps.connection,
      { email, name: `${role} of ${name}`, password, roles: [role], organisationId: organisation._id, locale: 'en' },
      { hashing: TEST_PASSWORD_HASHING },
    );
    return { id: user._id.toString(), email, password, role };
  };
  return { id: organisation._id.toString(), name, admin: await makeUser('admin'), buyer: await makeUser('buyer'), auditor: await makeUser('auditor') };
}

/** Logs in through the real login form; returns the logged-in agent. */
export async function loginAgent(app: express.Express, user: { email: string; password: string }): Promise<request.Agent> {
  const { agent, csrfToken } = await agentWithCsrf(app, '/login');
  await agent.post('/login').type('form').send({ _csrf: csrfToken, email: user.email, password: user.password }).expect(303);
  return agent;
}
