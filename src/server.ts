/**
 * Starts everything: configuration → questionnaires → database (embedded unless MONGODB_URI) → demo seed → app →
 * listen. SIGTERM/SIGINT stop accepting requests, finish the running ones and close the database.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type pino from 'pino';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { connectDatabase, type DatabaseHandle } from './platform/database';
import type { AppDeps } from './deps';
import { systemClock } from './platform/clock';
import { createLogger } from './platform/logger';
import { createMailer } from './platform/mailer';
import { paths } from './platform/paths';
import { seedDemoData, type SeedResult } from './demo/seed';
import { loadQuestionnaires, QuestionnaireLoadError } from './questionnaires';

const SHUTDOWN_GRACE_MS = 10_000;

function senderAddress(baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  const domain = host.includes('.') ? host : 'localhost.localdomain';
  return `Supplier self-assessment <no-reply@${domain}>`;
}

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
  }
  if (!config.smtpUrl) lines.push('', `  Mail is not sent: messages are written to ${path.join(config.dataDir, 'outbox')}`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

function installShutdown(server: http.Server, database: DatabaseHandle, logger: pino.Logger): void {
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
      database.close().then(
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
  const deps: AppDeps = {
    config,
    connection: database.connection,
    logger,
    mailer: createMailer({ smtpUrl: config.smtpUrl, outboxDir: path.join(config.dataDir, 'outbox'), from: senderAddress(config.baseUrl), logger }),
    clock: systemClock,
    questionnaires,
  };
  try {
    // Demo users with printed passwords never belong in production.
    const seed = config.isProduction ? undefined : await seedDemoData(deps);
    const server = http.createServer(createApp(deps));
    const port = await listen(server, config.port);
    installShutdown(server, database, logger);
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
