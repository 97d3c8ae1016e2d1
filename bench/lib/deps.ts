/** The app's dependencies as the benchmarks run it: production-like (cached templates, silent logs), mail captured. */
import { randomBytes } from 'node:crypto';
import type mongoose from 'mongoose';
import pino from 'pino';
import type { Config } from '../../src/config';
import { assembleDeps, type AppDeps } from '../../src/deps';
import { systemClock } from '../../src/platform/clock';
import { createI18n } from '../../src/platform/i18n';
import { CapturingTransport } from '../../src/platform/mail/transport';
import { paths } from '../../src/platform/paths';
import { loadQuestionnaires } from '../../src/questionnaires';

export function benchDeps(connection: mongoose.Connection, mongodbUri: string, dataDir: string): AppDeps {
  const config: Config = {
    port: 0,
    baseUrl: 'http://127.0.0.1',
    mongodbUri,
    dataDir,
    smtpUrl: undefined,
    mailFrom: 'Bench <no-reply@bench.example>',
    sessionSecret: randomBytes(32).toString('hex'),
    nodeEnv: 'production',
    isProduction: false,
    logLevel: 'silent',
    supplierCacheMs: 5_000,
  };
  return assembleDeps({
    config,
    connection,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    questionnaires: loadQuestionnaires(paths.questionnaires),
    i18n: createI18n(),
    transport: new CapturingTransport(),
  });
}
