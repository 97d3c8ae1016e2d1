import type { Request, RequestHandler } from 'express';
import { HttpError, wantsJson } from '../platform/errors';
import type { Role } from './model';
import type { SessionUser } from './service';

/** Lets through logged-in users holding at least one of `roles`; sends others to the login page (or 401/403). */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, res, next) => {
    const user = req.user;
    if (!user) {
      if (req.method === 'GET' && !wantsJson(req)) {
        res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      next(new HttpError(401, 'common:errors.unauthenticated'));
      return;
    }
    if (!user.roles.some((role) => roles.includes(role))) {
      next(new HttpError(403, 'common:errors.forbidden'));
      return;
    }
    next();
  };
}

/** Only local paths, so `?next=` cannot send a user to another site after login. */
export function safeRedirectTarget(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

/**
 * Logs the user in on a new session: passport 0.7 regenerates the session on every login, so a session id known
 * before (planted by someone, or seen before a password change) is worth nothing after. The language chosen stays.
 */
export function logIn(req: Request, user: SessionUser): Promise<void> {
  return new Promise((resolve, reject) => {
    req.logIn(user, { session: true, keepSessionInfo: true }, (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()));
  });
}
