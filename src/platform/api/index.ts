/**
 * The JSON API under /api/v1: bearer tokens per organisation, input validated by the same zod schemas that document
 * it, one OpenAPI 3.1 document built from those schemas. Domains add their routes with `api.route(spec, handler)`;
 * a handler gets validated input and the calling organisation, and returns what is sent as JSON.
 */
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { i18n as I18n } from 'i18next';
import { ipKeyGenerator } from 'express-rate-limit';
import type pino from 'pino';
import { z } from 'zod';
import type { Actor } from '../activity';
import { describeError, HttpError, setRetryAfter } from '../errors';
import { rateLimit } from '../security';

/** Who is calling: the organisation an API token belongs to, and the token itself. */
export interface ApiPrincipal {
  organisationId: string;
  tokenId: string;
  tokenName: string;
}

/** What a call asks for, for the record of a token's use. */
export interface ApiRequestInfo {
  method: string;
  /** Path without the query string. */
  path: string;
}

export type ApiTokenResolver = (token: string, call: ApiRequestInfo) => Promise<ApiPrincipal | null>;

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface ApiRouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: HttpMethod;
  /** OpenAPI style, relative to /api/v1: `/suppliers/{id}`. */
  path: string;
  /** Unique camelCase id (OpenAPI operationId). */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of a successful JSON answer (documentation). */
  response?: z.ZodType;
  /** Status of a successful answer; default 200. */
  status?: 200 | 201 | 202 | 204;
  /** A non-JSON answer (`text/csv`), written by the handler itself. */
  produces?: string;
}

export interface ApiCall<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: ApiPrincipal;
  /** The token as the actor of activity-log entries. */
  actor: Actor;
  req: Request;
  res: Response;
}

type AnyRoute = ApiRouteSpec<z.ZodType, z.ZodType, z.ZodType>;

const errorSchema = z.object({ error: z.object({ message: z.string(), field: z.string().optional() }) });

function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

function jsonSchema(schema: z.ZodType): unknown {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Zod's first problem as `{ message, field }`, the field written as `body.contacts.0.email`. */
function validationError(where: 'params' | 'query' | 'body', error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  return new HttpError(where === 'params' ? 404 : 400, 'common:errors.invalidField', { field, problem: issue?.message ?? 'invalid' }, { field });
}

function parsePart<T extends z.ZodType>(where: 'params' | 'query' | 'body', schema: T | undefined, value: unknown): z.output<T> | undefined {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!parsed.success) throw validationError(where, parsed.error);
  return parsed.data;
}

export class ApiRegistry {
  readonly router: Router = Router();
  private readonly routes: AnyRoute[] = [];

  route<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
    spec: ApiRouteSpec<P, Q, B>,
    handler: (call: ApiCall<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown>,
  ): void {
    if (this.routes.some((r) => r.operationId === spec.operationId)) throw new Error(`API operation ${spec.operationId} is defined twice`);
    this.routes.push(spec as unknown as AnyRoute);
    this.router[spec.method](expressPath(spec.path), async (req: Request, res: Response) => {
      const principal = req.apiPrincipal;
      if (!principal) throw new HttpError(401, 'common:errors.unauthenticated');
      const call = {
        params: parsePart('params', spec.params, req.params),
        query: parsePart('query', spec.query, req.query),
        body: parsePart('body', spec.body, req.body),
        principal,
        actor: { kind: 'api', id: principal.tokenId, name: principal.tokenName },
        req,
        res,
      } as ApiCall<z.output<P>, z.output<Q>, z.output<B>>;
      const result = await handler(call);
      if (res.headersSent) return;
      const status = spec.status ?? 200;
      if (status === 204) res.status(204).end();
      else res.status(status).json(result);
    });
  }

  /** The OpenAPI 3.1 document of every route added so far. */
  document(info: { title: string; version: string; description: string; serverUrl: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes) {
      const parameters = [
        ...objectParameters(route.params, 'path'),
        ...objectParameters(route.query, 'query'),
      ];
      const status = String(route.status ?? 200);
      const success =
        route.status === 204
          ? { description: 'Done' }
          : route.produces
            ? { description: 'OK', content: { [route.produces]: { schema: { type: 'string' } } } }
            : { description: 'OK', content: { 'application/json': { schema: route.response ? jsonSchema(route.response) : {} } } };
      const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
      paths[route.path] ??= {};
      paths[route.path]![route.method] = {
        operationId: route.operationId,
        summary: route.summary,
        ...(route.description ? { description: route.description } : {}),
        tags: [route.tag],
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
        responses: {
          [status]: success,
          '400': errorResponse('Invalid input; `error.field` names the field'),
          '401': errorResponse('Missing, unknown or revoked API token'),
          '404': errorResponse('No such record in the token’s organisation'),
          '429': errorResponse('Too many requests; see Retry-After'),
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version, description: info.description },
      servers: [{ url: info.serverUrl }],
      security: [{ bearerAuth: [] }],
      paths,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token created by an admin of your organisation' } },
        schemas: { Error: jsonSchema(errorSchema) },
      },
    };
  }
}

function objectParameters(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{20,200}=*)$/;

/** Reads `Authorization: Bearer <token>`; 401 with a JSON error when it is missing or unknown. */
function bearerAuth(resolve: ApiTokenResolver): RequestHandler {
  return (req, res, next) => {
    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match?.[1]) {
      res.set('WWW-Authenticate', 'Bearer realm="api"');
      next(new HttpError(401, 'common:errors.apiTokenMissing'));
      return;
    }
    resolve(match[1], { method: req.method, path: req.originalUrl.split('?')[0] ?? '' }).then(
      (principal) => {
        if (!principal) {
          res.set('WWW-Authenticate', 'Bearer realm="api", error="invalid_token"');
          next(new HttpError(401, 'common:errors.apiTokenInvalid'));
          return;
        }
        req.apiPrincipal = principal;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

export interface ApiOptions {
  resolveToken: ApiTokenResolver;
  logger: pino.Logger;
  i18n: I18n;
  baseUrl: string;
  /** Requests per token (or, before authentication, per IP) and minute. */
  requestsPerMinute?: number;
}

/** Errors as JSON in English unless the caller asks for Swedish (Accept-Language: sv). */
function apiErrorHandler(logger: pino.Logger, i18n: I18n) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const view = describeError(error);
    const log = req.log ?? logger;
    if (view.unexpected) log.error({ err: error }, 'API request failed');
    const lang = req.acceptsLanguages('en', 'sv') === 'sv' ? 'sv' : 'en';
    const message = i18n.getFixedT(lang)(view.messageKey, view.params);
    setRetryAfter(req, res, view.status);
    res.status(view.status).json({ error: view.field ? { message, field: view.field } : { message } });
  };
}

/** The /api/v1 router: the OpenAPI document (public), then bearer authentication, the routes, JSON 404 and errors. */
export function apiRouter(registry: ApiRegistry, options: ApiOptions): Router {
  const router = Router();
  const perMinute = options.requestsPerMinute ?? 600;
  router.use(express.json({ limit: '1mb' }));
  router.get('/openapi.json', (_req, res) => {
    res.json(
      registry.document({
        title: 'Supplier self-assessment API',
        version: '1',
        description: 'Suppliers, campaigns, invitations, responses, rules, follow-up cases and audits of your organisation.',
        serverUrl: `${options.baseUrl}/api/v1`,
      }),
    );
  });
  // Guessing tokens is limited per IP; using a valid token is limited per token.
  router.use(rateLimit({ windowMs: 60_000, limit: perMinute, skipSuccessfulRequests: true, isFailure: (_req, res) => res.statusCode === 401 }));
  router.use(bearerAuth(options.resolveToken));
  router.use(rateLimit({ windowMs: 60_000, limit: perMinute, key: (req) => (req.apiPrincipal ? `token:${req.apiPrincipal.tokenId}` : ipKeyGenerator(req.ip ?? '')) }));
  router.use(registry.router);
  router.use((_req, _res, next) => next(new HttpError(404, 'common:errors.notFound')));
  router.use(apiErrorHandler(options.logger, options.i18n));
  return router;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the API's bearer authentication. */
      apiPrincipal?: ApiPrincipal;
    }
  }
}
