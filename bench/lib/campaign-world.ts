/**
 * What the campaign benchmarks share: the embedded database in a worker thread (as the server runs it) or
 * MONGODB_URI, deps assembled as the server does, and an organisation with many suppliers inserted in bulk. A
 * helper, not a benchmark: bench/run.ts runs only the files directly in bench/.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import pino from 'pino';
import { createOrganisation, createUser } from '../../src/accounts';
import { createCampaign, type CampaignDocument } from '../../src/campaigns';
import type { Actor } from '../../src/platform/activity';
import type { Config } from '../../src/config';
import { assembleDeps, type AppDeps } from '../../src/deps';
import type { Clock } from '../../src/platform/clock';
import { createI18n } from '../../src/platform/i18n';
import type { MailTransport } from '../../src/platform/mail/transport';
import { paths } from '../../src/platform/paths';
import { loadQuestionnaires } from '../../src/questionnaires';
import { supplierModel } from '../../src/suppliers';

export interface BenchDatabase {
  connection: mongoose.Connection;
  dataDir: string;
  close(): Promise<void>;
}

export async function startBenchDatabase(label: string): Promise<BenchDatabase> {
  const mongo = process.env.MONGODB_URI
    ? { uri: process.env.MONGODB_URI, close: async () => undefined }
    : await (await import('../../src/embedded-mongo')).startMongoServer({ host: '127.0.0.1', port: 0, inMemory: true, thread: 'worker' });
  const connection = mongoose.createConnection(mongo.uri, { dbName: `bench_${label}_${Date.now().toString(36)}` });
  await connection.asPromise();
  const dataDir = mkdtempSync(path.join(tmpdir(), `bench-${label}-`));
  return {
    connection,
    dataDir,
    async close() {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      await mongo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function benchDeps(db: BenchDatabase, transport: MailTransport, clock: Clock): AppDeps {
  const config: Config = {
    port: 0,
    baseUrl: 'http://127.0.0.1:3000',
    mongodbUri: undefined,
    dataDir: db.dataDir,
    smtpUrl: undefined,
    mailFrom: 'Bench <no-reply@bench.example>',
    sessionSecret: randomBytes(32).toString('hex'),
    nodeEnv: 'production',
    isProduction: false,
    logLevel: 'silent',
    supplierCacheMs: 5_000,
  };
  return assembleDeps({ config, connection: db.connection, logger: pino({ level: 'silent' }), clock, questionnaires: loadQuestionnaires(paths.questionnaires), i18n: createI18n(), transport });
}

export interface BenchOrganisation {
  organisationId: mongoose.Types.ObjectId;
  buyer: { id: string; name: string; email: string; password: string };
  supplierIds: mongoose.Types.ObjectId[];
}

/** An organisation with a buyer and `count` suppliers of one contact each (half Swedish, half English-speaking). */
export async function benchOrganisation(deps: AppDeps, count: number): Promise<BenchOrganisation> {
  const organisation = await createOrganisation(deps.connection, { name: 'Bench Region', contactName: 'Inköp', contactEmail: 'inkop@bench.example' });
  const password = 'bench-buyer-password';
  const user = await createUser(deps.connection, { email: 'buyer@bench.example', name: 'Bench Buyer', password, roles: ['buyer'], organisationId: organisation._id, locale: 'en' }, { bcryptCost: 4 });
  const countries = ['SE', 'CN', 'PK', 'DE', 'VN'];
  const suppliers = Array.from({ length: count }, (_, i) => ({
    organisationId: organisation._id,
    name: `Bench Supplier ${String(i).padStart(5, '0')} AB`,
    country: countries[i % countries.length],
    organisationNumber: `BENCH-${i}`,
    sector: i % 3 === 0 ? 'Textiles' : 'Medical devices',
    tags: i % 4 === 0 ? ['tier-1'] : [],
    contacts: [{ name: `Contact ${i}`, email: `contact${i}@supplier${i}.example`, language: i % 2 === 0 ? 'sv' : 'en' }],
    sites: [],
    archivedAt: null,
  }));
  const inserted = await supplierModel(deps.connection).insertMany(suppliers, { lean: true });
  return { organisationId: organisation._id, buyer: { id: user.id, name: user.name, email: user.email, password }, supplierIds: inserted.map((s) => s._id) };
}

/** A draft campaign of the SAQ to every supplier of the organisation, due in 30 days. */
export async function benchCampaign(deps: AppDeps, world: BenchOrganisation): Promise<{ campaign: CampaignDocument; actor: Actor }> {
  const actor: Actor = { kind: 'user', id: world.buyer.id, name: world.buyer.name };
  const campaign = await createCampaign(deps, {
    organisationId: world.organisationId,
    actor,
    name: 'Bench campaign',
    questionnaireId: 'code-of-conduct-saq',
    questionnaireVersion: 1,
    dueDate: new Date(Date.now() + 30 * 86_400_000),
    buyerContact: { name: 'Bench Buyer', email: 'buyer@bench.example' },
    supplierIds: world.supplierIds,
  });
  return { campaign, actor };
}
