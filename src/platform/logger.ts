import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import pino from 'pino';
import type { Config } from '../config';

const REQUEST_ID_HEADER = 'x-request-id';
/** Ids accepted from a proxy; anything else is replaced so logs cannot be forged or flooded. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createLogger(config: Pick<Config, 'logLevel'>): pino.Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && ACCEPTED_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

type RequestLevel = 'info' | 'warn' | 'error';

function levelFor(statusCode: number): RequestLevel {
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400) return 'warn';
  return 'info';
}

/**
 * One log line per request with its id, method, URL (supplier tokens redacted), status and duration; the id is echoed
 * in the `x-request-id` response header. `req.log` is a child logger carrying the id, built only when a route logs
 * something: pino-http built one (and serialised the request into it) for every request, which cost a supplier page
 * more than its security headers and CSRF check together (bench/form-render.ts).
 */
export function httpLogger(logger: pino.Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestId(req, res);
    const started = performance.now();
    let child: pino.Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      get: () => (child ??= logger.child({ reqId: id })),
    });
    const logLine = (msg: string, level: RequestLevel) => {
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        { req: { id, method: req.method, url: redactTokens(req.originalUrl) }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started) },
        msg,
      );
    };
    res.once('finish', () => logLine('request completed', levelFor(res.statusCode)));
    res.once('close', () => {
      if (!res.writableFinished) logLine('request aborted', 'warn');
    });
    next();
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's logger: every line it writes carries the request id. */
      log: pino.Logger;
    }
  }
}

/** Paths whose next segment is a secret link token: supplier links, invitations to join, password-reset links. */
const TOKEN_PATHS = /^(\/s|\/join|\/password\/reset)\/[^/?#]+/;

export function redactTokens(url: string): string {
  return url.replace(TOKEN_PATHS, '$1/[token]');
}
