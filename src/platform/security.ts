/**
 * The security baseline every route gets: helmet with a strict CSP (no inline script or style), body-size limits,
 * CSRF double-submit tokens bound to the session, and a rate-limit helper.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import express from 'express';
import { rateLimit as expressRateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import helmet from 'helmet';
import { doubleCsrf } from 'csrf-csrf';
import type { Config } from '../config';
import { HttpError } from './errors';

export const BODY_LIMITS = { urlencoded: '200kb', json: '200kb', parameters: 2000 } as const;

export function securityHeaders(config: Pick<Config, 'isProduction'>): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        scriptSrcAttr: ["'none'"],
        // Only behind HTTPS: over plain http://localhost it would make browsers fetch assets over https and fail.
        ...(config.isProduction ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: config.isProduction ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/** Form and JSON body parsers with size limits; anything larger is refused with 413 before it is read fully. */
export function bodyParsers(): RequestHandler[] {
  return [
    express.urlencoded({ extended: true, limit: BODY_LIMITS.urlencoded, parameterLimit: BODY_LIMITS.parameters }),
    express.json({ limit: BODY_LIMITS.json }),
  ];
}

function firstString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Where a request carries its CSRF token: fetch calls send the `x-csrf-token` header; plain forms post `_csrf`;
 * multipart forms (file uploads) are parsed by the route, after this check, so they put `_csrf` in the form's
 * action URL query instead. The cookie is never a source.
 */
export function csrfTokenFromRequest(req: Request): string | undefined {
  const header = firstString(req.headers['x-csrf-token']);
  if (header) return header;
  if (req.is('multipart/form-data')) return firstString(req.query._csrf);
  const body: unknown = req.body;
  if (typeof body === 'object' && body !== null && '_csrf' in body) return firstString(body._csrf);
  return undefined;
}

export interface Csrf {
  /** Rejects state-changing requests without a valid token (403, nothing runs after it). */
  protect: RequestHandler;
  /** Puts `csrfToken` into the view locals (and a matching cookie on the response). */
  exposeToken: RequestHandler;
}

export function createCsrf(config: Pick<Config, 'isProduction' | 'sessionSecret'>): Csrf {
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => config.sessionSecret,
    // The token is bound to the session, so a token lifted from one visitor's page is useless in another's.
    getSessionIdentifier: (req) => req.session?.id ?? '',
    cookieName: config.isProduction ? '__Host-csrf' : 'csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure: config.isProduction, httpOnly: true },
    getCsrfTokenFromRequest: csrfTokenFromRequest,
  });
  const exposeToken: RequestHandler = (req, res, next) => {
    lazyCsrfToken(res, () => {
      // Without this mark an anonymous visitor's session would never be saved, its id would change on every
      // request and the token on the page would not match the next request.
      if (req.session && !req.session.csrfBound) req.session.csrfBound = true;
      return generateCsrfToken(req, res);
    });
    next();
  };
  return { protect: doubleCsrfProtection, exposeToken };
}

/** `res.locals.csrfToken`, generated (and its cookie set) only when a view reads it. */
function lazyCsrfToken(res: Response, generate: () => string): void {
  let token: string | undefined;
  Object.defineProperty(res.locals, 'csrfToken', {
    enumerable: true,
    configurable: true,
    get() {
      token ??= generate();
      return token;
    },
  });
}

/** Supplier link tokens as they appear in a path; anything else gets no cookie scope and no binding. */
const LINK_TOKEN_IN_PATH = /^\/s\/([A-Za-z0-9_-]{1,200})(?:[/?#]|$)/;

/** The link token of a `/s/<token>/…` request, from the full URL (the middleware may be mounted under `/s`). */
export function supplierLinkToken(req: Request): string | undefined {
  return LINK_TOKEN_IN_PATH.exec(req.originalUrl)?.[1];
}

/**
 * CSRF protection for the supplier pages under `/s/<token>`, which are authenticated by their link and use no login
 * session (so a page costs no session read or write). The double-submit token is bound to the link instead: its HMAC
 * covers a hash of the link token, so a token from one link's page is refused on another link, exactly as a token
 * bound to a session is refused in another session. The cookie is scoped to the link's path, so two links open in
 * one browser keep their own tokens.
 */
export function createSupplierCsrf(config: Pick<Config, 'isProduction' | 'sessionSecret'>): Csrf {
  const cookieOptions = { sameSite: 'strict', secure: config.isProduction, httpOnly: true } as const;
  const { doubleCsrfProtection, generateCsrfToken } = doubleCsrf({
    getSecret: () => config.sessionSecret,
    getSessionIdentifier: (req) => {
      const token = supplierLinkToken(req);
      return token ? `link:${createHash('sha256').update(token).digest('base64url')}` : '';
    },
    // `__Host-` cookies must have path "/"; `__Secure-` allows the per-link path and still requires HTTPS.
    cookieName: config.isProduction ? '__Secure-supplier-csrf' : 'supplier-csrf',
    cookieOptions: { ...cookieOptions, path: '/s' },
    getCsrfTokenFromRequest: csrfTokenFromRequest,
  });
  const exposeToken: RequestHandler = (req, res, next) => {
    const token = supplierLinkToken(req);
    lazyCsrfToken(res, () => (token ? generateCsrfToken(req, res, { cookieOptions: { ...cookieOptions, path: `/s/${token}` } }) : ''));
    next();
  };
  return { protect: doubleCsrfProtection, exposeToken };
}

export interface RateLimitOptions {
  /** Window length in milliseconds. */
  windowMs: number;
  /** Requests allowed per key and window. */
  limit: number;
  /** Key of the counted client; default: the client IP. */
  key?: (req: Request) => string;
  /** Count only failed requests (status ≥ 400), e.g. for logins. */
  skipSuccessfulRequests?: boolean;
  /** With `skipSuccessfulRequests`: what counts as a failure (default: status ≥ 400). */
  isFailure?: (req: Request, res: Response) => boolean;
  /** i18n key of the message shown when refused. */
  messageKey?: string;
}

/** Rate limiter that refuses with HttpError 429 (rendered by the error middleware in the user's language). */
export function rateLimit(options: RateLimitOptions): RateLimitRequestHandler {
  return expressRateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skipSuccessfulRequests: options.skipSuccessfulRequests ?? false,
    ...(options.isFailure ? { requestWasSuccessful: (req: Request, res: Response) => !options.isFailure?.(req, res) } : {}),
    ...(options.key ? { keyGenerator: options.key } : {}),
    handler: (req, _res, next, used) => {
      req.rateLimitRetryAfterSeconds = Math.ceil(used.windowMs / 1000);
      next(new HttpError(429, options.messageKey ?? 'common:errors.tooManyRequests'));
    },
  });
}

declare module 'express-session' {
  interface SessionData {
    /** Set once a CSRF token was issued, so the session (and with it the token's binding) is kept. */
    csrfBound?: boolean;
  }
}
