import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { AppDeps } from '../deps';
import { authenticate, findSessionUser, type SessionUser } from './service';

/** One passport instance per app (never the global one), so two apps in one test process do not share strategies. */
export function createPassport(deps: Pick<AppDeps, 'connection' | 'clock'>): InstanceType<typeof Passport> {
  const passport = new Passport();
  passport.use(
    new LocalStrategy({ usernameField: 'email', passwordField: 'password' }, (email, password, done) => {
      authenticate(deps.connection, email, password, deps.clock.now()).then(
        (user) => done(null, user ?? false),
        (error: unknown) => done(error),
      );
    }),
  );
  // Only the id goes into the session; the rest is read fresh on each request, so a changed role applies at once.
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
