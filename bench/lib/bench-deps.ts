/**
 * The app's dependencies for a benchmark: a fresh database on the embedded MongoDB in memory (or MONGODB_URI), the
 * production settings that matter for speed (cached views, the real password-hashing cost, silent logs), mail
 * captured. In bench/lib/ so that `npm run bench` does not run it as a benchmark of its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import pino from 'pino';
import type { Config } from '../../src/config';
import { assembleDeps, type AppDeps } from '../../src/deps';
import { systemClock } from '../../src/platform/clock';
import { createI18n } from '../../src/platform/i18n';
import { CapturingTransport } from '../../src/platform/mail/transport';
import { paths } from '../../src/platform/paths';
import { loadQuestionnaires } from '../../src/questionnaires';

export interface BenchDeps {
  deps: AppDeps;
  close(): Promise<void>;
}

async function mongoTarget(thread: 'main' | 'worker'): Promise<{ uri: string; close(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, close: async () => undefined };
  const { startMongoServer } = await import('../../src/embedded-mongo');
  return startMongoServer({ host: '127.0.0.1', port: 0, inMemory: true, thread });
}

/** `thread`: where the embedded server runs, in a worker thread (as `npm start` runs it) or on the main thread. */
export async function benchDeps(label: string, thread: 'main' | 'worker' = 'worker'): Promise<BenchDeps> {
  const mongo = await mongoTarget(thread);
  const dataDir = mkdtempSync(path.join(tmpdir(), `bench-${label}-`));
  const connection = mongoose.createConnection(mongo.uri, { dbName: `bench_${label}_${Date.now().toString(36)}` });
  await connection.asPromise();
  const config: Config = {
    port: 0,
    baseUrl: 'http://127.0.0.1',
    mongodbUri: mongo.uri,
    dataDir,
    smtpUrl: undefined,
    mailFrom: 'Bench <no-reply@bench.example>',
    sessionSecret: randomBytes(32).toString('hex'),
    // Production behaviour (password-hashing cost included) over plain http: no secure cookies.
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
  return {
    deps,
    async close() {
      await Promise.all([deps.outbox.stop(), deps.scheduler.stop()]);
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
      await mongo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
