import type { i18n as I18n } from 'i18next';
import type mongoose from 'mongoose';
import type pino from 'pino';
import type { Config } from './config';
import type { Clock } from './platform/clock';
import { createScheduler, type JobScheduler } from './platform/jobs';
import { createOutbox, type Outbox } from './platform/mail/outbox';
import { mailboxTransport, smtpTransport, type MailTransport } from './platform/mail/transport';
import type { QuestionnaireRegistry } from './questionnaires';
import { createResponseHooks, type ResponseHooks } from './responses/hooks';

export type { Clock } from './platform/clock';

/**
 * Everything the app needs from the outside world; `createApp(deps)` does no I/O of its own. The outbox and the
 * scheduler are passive until the server starts them (tests run them by hand with the clock where they want it).
 */
export interface AppDeps {
  config: Config;
  connection: mongoose.Connection;
  logger: pino.Logger;
  clock: Clock;
  questionnaires: QuestionnaireRegistry;
  i18n: I18n;
  /** The only way mail leaves the app. */
  outbox: Outbox;
  /** Persisted time-driven work. */
  scheduler: JobScheduler;
  /** Listeners other domains register to act on submissions and reopenings (src/responses/hooks.ts). */
  responseHooks: ResponseHooks;
}

export interface DepsInput {
  config: Config;
  connection: mongoose.Connection;
  logger: pino.Logger;
  clock: Clock;
  questionnaires: QuestionnaireRegistry;
  i18n: I18n;
  /** Default: SMTP when `config.smtpUrl` is set, the in-app mailbox otherwise. */
  transport?: MailTransport;
}

/** Wires the outbox and the scheduler onto one connection and clock: the server, tests and benchmarks build deps here. */
export function assembleDeps(input: DepsInput): AppDeps {
  const { config, connection, logger, clock } = input;
  const transport = input.transport ?? (config.smtpUrl ? smtpTransport(config.smtpUrl) : mailboxTransport());
  return {
    ...input,
    outbox: createOutbox({ connection, clock, logger, transport, from: config.mailFrom, secret: config.sessionSecret }),
    scheduler: createScheduler({ connection, clock, logger }),
    responseHooks: createResponseHooks(),
  };
}
