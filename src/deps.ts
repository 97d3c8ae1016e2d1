import type mongoose from 'mongoose';
import type pino from 'pino';
import type { Config } from './config';
import type { QuestionnaireRegistry } from './questionnaires';
import type { Clock } from './platform/clock';
import type { Mailer } from './platform/mailer';

export type { Clock } from './platform/clock';
export type { Mailer, MailMessage } from './platform/mailer';

/** Everything the app needs from the outside world; `createApp(deps)` does no I/O of its own. */
export interface AppDeps {
  config: Config;
  connection: mongoose.Connection;
  logger: pino.Logger;
  mailer: Mailer;
  clock: Clock;
  questionnaires: QuestionnaireRegistry;
}
