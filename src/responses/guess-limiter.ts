import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { HttpError } from '../platform/errors';

export interface GuessLimiterOptions {
  /** Refused links allowed per client IP and window. */
  limit: number;
  windowMs: number;
  now?: () => number;
}

export interface GuessLimiter {
  /** Refuses (429) a client that already had `limit` refused links in the current window. */
  check: RequestHandler;
  /** Counts one refused link (unknown, expired or revoked token) for the request's client. */
  recordFailure(req: Request, res: Response): void;
}

const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Token-guessing limiter. express-rate-limit's middleware counts a request when it starts and un-counts successes
 * when they finish, so a burst of valid requests (autosaves, uploads) would be refused while in flight. This one
 * counts only refused links, after the fact; a supplier working with a valid link is never refused.
 */
export function createGuessLimiter(options: GuessLimiterOptions): GuessLimiter {
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; resetAt: number }>();

  function entryFor(key: string): { count: number; resetAt: number } | undefined {
    const entry = failures.get(key);
    if (entry && entry.resetAt <= now()) {
      failures.delete(key);
      return undefined;
    }
    return entry;
  }

  function sweep(): void {
    const time = now();
    for (const [key, entry] of failures) if (entry.resetAt <= time) failures.delete(key);
    if (failures.size >= MAX_TRACKED_CLIENTS) failures.clear();
  }

  // IPv6 clients are keyed by their /56 network, as express-rate-limit does, so rotating addresses does not help.
  const keyOf = (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

  return {
    check(req, _res, next) {
      const entry = entryFor(keyOf(req));
      if (entry && entry.count >= options.limit) {
        req.rateLimitRetryAfterSeconds = Math.max(1, Math.ceil((entry.resetAt - now()) / 1000));
        next(new HttpError(429, 'supplier:link.tooManyAttempts'));
        return;
      }
      next();
    },
    recordFailure(req) {
      const key = keyOf(req);
      const entry = entryFor(key);
      if (entry) entry.count += 1;
      else {
        if (failures.size >= MAX_TRACKED_CLIENTS) sweep();
        failures.set(key, { count: 1, resetAt: now() + options.windowMs });
      }
    },
  };
}
