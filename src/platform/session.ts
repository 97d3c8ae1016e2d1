import MongoStore from 'connect-mongo';
import type { RequestHandler } from 'express';
import session from 'express-session';
import type mongoose from 'mongoose';
import type { Config } from '../config';

export const SESSION_COOKIE = 'sid';
const SESSIONS_COLLECTION = 'sessions';
/** Idle time after which a session ends. */
const SESSION_HOURS = 12;

/**
 * Sessions stored in MongoDB on the app's own connection (collection `sessions`, expired ones removed by a TTL
 * index). Only sessions holding something (a login, a language choice, a CSRF binding) are saved.
 */
export function sessionMiddleware(config: Pick<Config, 'isProduction' | 'sessionSecret'>, connection: mongoose.Connection): RequestHandler {
  const store = MongoStore.create({
    client: connection.getClient(),
    dbName: connection.name,
    collectionName: SESSIONS_COLLECTION,
    ttl: SESSION_HOURS * 60 * 60,
    autoRemove: 'native',
    touchAfter: 10 * 60,
    stringify: false,
  });
  return session({
    name: config.isProduction ? '__Host-sid' : SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    // Activity extends the session, so a supplier filling in a long questionnaire over a day keeps a valid CSRF binding.
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.isProduction,
      path: '/',
      maxAge: SESSION_HOURS * 60 * 60 * 1000,
    },
  });
}

/**
 * Ends every stored session of a user (deactivated, password changed or reset), except `exceptSessionId` (the
 * session of the user who changed their own password). Sessions are stored unserialised (`stringify: false`), with
 * passport's `{ passport: { user: <id> } }` inside.
 */
export async function endSessionsOf(connection: mongoose.Connection, userId: string, options: { exceptSessionId?: string } = {}): Promise<number> {
  const filter: Record<string, unknown> = { 'session.passport.user': userId };
  if (options.exceptSessionId) filter._id = { $ne: options.exceptSessionId };
  const result = await connection.collection(SESSIONS_COLLECTION).deleteMany(filter);
  return result.deletedCount;
}
