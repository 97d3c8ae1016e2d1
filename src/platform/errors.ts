import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { i18n as I18n } from 'i18next';
import type pino from 'pino';
import { chooseLanguage, useLanguage } from './i18n';

/**
 * The one error type routes and services throw for an HTTP outcome. `messageKey` is an i18n key (any namespace,
 * e.g. `common:errors.notFound` or `supplier:token.expired`); `params` are its interpolation values.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly messageKey: string;
  readonly params: Record<string, unknown>;
  /** The form field the error is about, reported in JSON responses. */
  readonly field: string | undefined;

  constructor(
    status: number,
    messageKey: string,
    params: Record<string, unknown> = {},
    options: { field?: string; cause?: unknown } = {},
  ) {
    super(messageKey, { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.messageKey = messageKey;
    this.params = params;
    this.field = options.field;
  }
}

type AsyncRequestHandler = (req: Request, res: Response, next: NextFunction) => Promise<unknown>;

/** Passes a rejected promise to the error middleware (Express 5 does this too; the wrapper keeps intent explicit). */
export function asyncHandler(handler: AsyncRequestHandler): RequestHandler {
  return (req, res, next) => {
    handler(req, res, next).catch(next);
  };
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'common:errors.notFound'));
};

interface ErrorView {
  status: number;
  messageKey: string;
  params: Record<string, unknown>;
  field: string | undefined;
  /** Unexpected errors are logged with their stack; expected ones are not noise. */
  unexpected: boolean;
}

function numericProperty(error: unknown, key: string): number | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value: unknown = Reflect.get(error, key);
  return typeof value === 'number' ? value : undefined;
}

function stringProperty(error: unknown, key: string): string | undefined {
  if (typeof error !== 'object' || error === null || !(key in error)) return undefined;
  const value: unknown = Reflect.get(error, key);
  return typeof value === 'string' ? value : undefined;
}

const BODY_PARSER_KEYS: Record<string, { status: number; messageKey: string }> = {
  'entity.too.large': { status: 413, messageKey: 'common:errors.tooLarge' },
  'parameters.too.many': { status: 413, messageKey: 'common:errors.tooLarge' },
  'entity.parse.failed': { status: 400, messageKey: 'common:errors.badRequest' },
  'charset.unsupported': { status: 415, messageKey: 'common:errors.badRequest' },
  'encoding.unsupported': { status: 415, messageKey: 'common:errors.badRequest' },
};

const MULTER_KEYS: Record<string, { status: number; messageKey: string }> = {
  LIMIT_FILE_SIZE: { status: 413, messageKey: 'common:errors.fileTooLarge' },
  LIMIT_FIELD_VALUE: { status: 413, messageKey: 'common:errors.tooLarge' },
  LIMIT_FILE_COUNT: { status: 400, messageKey: 'common:errors.badRequest' },
  LIMIT_UNEXPECTED_FILE: { status: 400, messageKey: 'common:errors.badRequest' },
  LIMIT_PART_COUNT: { status: 413, messageKey: 'common:errors.tooLarge' },
  LIMIT_FIELD_COUNT: { status: 413, messageKey: 'common:errors.tooLarge' },
  LIMIT_FIELD_KEY: { status: 400, messageKey: 'common:errors.badRequest' },
};

/** Maps anything thrown to what the user is shown; only HttpError and known library errors keep their status. */
export function describeError(error: unknown): ErrorView {
  if (error instanceof HttpError) {
    return { status: error.status, messageKey: error.messageKey, params: error.params, field: error.field, unexpected: error.status >= 500 };
  }
  const code = stringProperty(error, 'code');
  if (code === 'EBADCSRFTOKEN') {
    return { status: 403, messageKey: 'common:errors.csrf', params: {}, field: undefined, unexpected: false };
  }
  const bodyType = stringProperty(error, 'type');
  const known = (bodyType && BODY_PARSER_KEYS[bodyType]) || (stringProperty(error, 'name') === 'MulterError' && code ? MULTER_KEYS[code] : undefined);
  if (known) return { ...known, params: {}, field: stringProperty(error, 'field'), unexpected: false };
  const status = numericProperty(error, 'status') ?? numericProperty(error, 'statusCode');
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, messageKey: 'common:errors.badRequest', params: {}, field: undefined, unexpected: false };
  }
  return { status: 500, messageKey: 'common:errors.internal', params: {}, field: undefined, unexpected: true };
}

/** JSON callers (fetch with JSON body or Accept: application/json) get JSON; browsers get the error page. */
export function wantsJson(req: Request): boolean {
  if (req.is('application/json')) return true;
  return req.accepts(['html', 'json']) === 'json';
}

function titleKeyFor(status: number): string {
  if (status === 404) return 'common:errors.notFoundTitle';
  if (status === 403) return 'common:errors.forbiddenTitle';
  if (status >= 500) return 'common:errors.internalTitle';
  return 'common:errors.clientTitle';
}

/** A 429 tells the client when to try again, as the rate limiter that refused the request worked it out. */
export function setRetryAfter(req: Request, res: Response, status: number): void {
  if (status === 429 && typeof req.rateLimitRetryAfterSeconds === 'number') res.set('Retry-After', String(req.rateLimitRetryAfterSeconds));
}

/** The last middleware: logs, then renders `views/errors/error.ejs` or JSON. Never exposes a stack trace. */
export function errorHandler(logger: pino.Logger, i18n: I18n): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const view = describeError(error);
    const log = req.log ?? logger;
    if (view.unexpected) log.error({ err: error }, 'request failed');
    else log.info({ status: view.status, messageKey: view.messageKey }, 'request refused');

    // The error may have happened before the language middleware ran (e.g. the session store failed).
    if (typeof req.t !== 'function') useLanguage(i18n, req, res, chooseLanguage(req));
    const translate = req.t;
    const message = translate(view.messageKey, view.params);
    res.status(view.status);
    setRetryAfter(req, res, view.status);
    if (wantsJson(req)) {
      res.json({ error: view.field ? { message, field: view.field } : { message } });
      return;
    }
    res.render('errors/error', { title: translate(titleKeyFor(view.status)), status: view.status, message }, (renderError, html) => {
      if (renderError) {
        log.error({ err: renderError }, 'error page could not be rendered');
        res.type('text/plain').send(`${view.status} ${message}`);
        return;
      }
      res.send(html);
    });
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the rate limiter before it refuses a request. */
      rateLimitRetryAfterSeconds?: number;
    }
  }
}
