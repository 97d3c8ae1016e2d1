/**
 * Starts everything: configuration → questionnaires → database (embedded unless MONGODB_URI) → demo seed → app →
 * listen. SIGTERM/SIGINT stop accepting requests, finish the running ones and close the database.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { registerBackgroundWork } from './background';
import { ConfigError, loadConfig, type Config } from './config';
import { connectDatabase, type DatabaseHandle } from './platform/database';
import { assembleDeps, type AppDeps } from './deps';
import { systemClock } from './platform/clock';
import { createI18n } from './platform/i18n';
import { createLogger } from './platform/logger';
import { paths } from './platform/paths';
import { seedDemoData, type SeedResult } from './demo/seed';
import { loadQuestionnaires, QuestionnaireLoadError } from './questionnaires';

const SHUTDOWN_GRACE_MS = 10_000;
/** How often an instance looks for mail to send and jobs that fell due (each also reacts at once to its own work). */
const MAIL_POLL_MS = 2_000;
const JOB_POLL_MS = 15_000;

class StartupError extends Error {
  override name = 'StartupError';
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new StartupError(`PORT ${port} is already in use: stop the other program or set PORT to a free port`));
      else if (error.code === 'EACCES') reject(new StartupError(`PORT ${port} needs privileges this user does not have: choose a port above 1023`));
      else reject(error);
    });
    server.listen(port, () => {
      server.removeAllListeners('error');
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function printBanner(config: Config, port: number, database: string, seed: SeedResult | undefined): void {
  const url = config.port === 0 ? `http://localhost:${port}` : config.baseUrl;
  const lines = ['', `  Supplier self-assessment is running at ${url}`, `  Database: ${database}`];
  if (seed) {
    lines.push('', '  Demo logins (buyer organisation "Region Demo"):');
    for (const login of seed.logins) lines.push(`    ${login.role.padEnd(8)} ${login.email}  password: ${login.password}`);
    lines.push('', seed.supplierUrl ? `  Supplier link (no login needed): ${seed.supplierUrl}` : '  Supplier link: none recorded (delete the data folder to seed again)');
    if (seed.apiToken) lines.push('', `  Demo API token: ${seed.apiToken}`, `    curl -H 'Authorization: Bearer ${seed.apiToken}' ${url}/api/v1/organisation`);
  }
  if (!config.smtpUrl) lines.push('', `  Mail is not sent (SMTP_URL is unset): read it in the mailbox at ${url}/admin/mailbox (log in as admin)`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function installShutdown(server: http.Server, database: DatabaseHandle, deps: AppDeps): void {
  const { logger } = deps;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.close(() => {
      // Work in progress finishes first: a message being handed to SMTP is marked sent before the database closes.
      Promise.all([deps.outbox.stop(), deps.scheduler.stop()])
        .then(() => database.close())
        .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'closing the database failed');
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export async function start(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const questionnaires = loadQuestionnaires(paths.questionnaires);
  const database = await connectDatabase(config, logger);
  const deps = assembleDeps({ config, connection: database.connection, logger, clock: systemClock, questionnaires, i18n: createI18n() });
  registerBackgroundWork(deps);
  try {
    // Demo users with printed passwords never belong in production.
    const seed = config.isProduction ? undefined : await seedDemoData(deps);
    const server = http.createServer(createApp(deps));
    const port = await listen(server, config.port);
    installShutdown(server, database, deps);
    deps.outbox.start(MAIL_POLL_MS);
    deps.scheduler.start(JOB_POLL_MS);
    printBanner(config, port, database.describe, seed);
  } catch (error) {
    await database.close();
    throw error;
  }
}

if (require.main === module) {
  start().catch((error: unknown) => {
    // Configuration and questionnaire errors are for people: print the message, not a stack.
    if (error instanceof ConfigError || error instanceof QuestionnaireLoadError || error instanceof StartupError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}
