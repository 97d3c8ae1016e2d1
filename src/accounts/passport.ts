import { Passport } from 'passport';
import type { AppDeps } from '../deps';
import { findSessionUser, type SessionUser } from './service';

/**
 * One passport instance per app (never the global one), so two apps in one test process do not share state. It
 * keeps the session: the login itself is `attemptLogin` (login.ts), then `req.logIn`, which regenerates the session.
 */
export function createPassport(deps: Pick<AppDeps, 'connection'>): InstanceType<typeof Passport> {
  const passport = new Passport();
  // Only the id goes into the session; the rest is read fresh on each request, so a changed role applies at once
  // and a deactivated user's session ends on their next request.
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'string') {
      done(null, false);
      return;
    }
    findSessionUser(deps.connection, id).then(
      (user) => done(null, user ?? false),
      (error: unknown) => done(error),
    );
  });
  return passport;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends SessionUser {}
  }
}
