/**
 * Builds the Express app from its dependencies. No I/O here: connecting, listening and seeding are the server's job,
 * so tests build as many apps as they like on their own databases.
 */
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express, { type RequestHandler } from 'express';
import { accountsRouter, createPassport, registerAccountsApi, requireRole, resolveApiToken } from './accounts';
import { campaignsRouter, homeRouter, registerCampaignsApi } from './campaigns';
import type { AppDeps } from './deps';
import { ApiRegistry, apiRouter } from './platform/api';
import { errorHandler, notFoundHandler } from './platform/errors';
import { chooseLanguage, i18nMiddleware, useLanguage } from './platform/i18n';
import { httpLogger } from './platform/logger';
import { mailboxRouter } from './platform/mail/mailbox-routes';
import { navigationLocals, type NavItem } from './platform/navigation';
import { paths } from './platform/paths';
import { bodyParsers, createCsrf, createSupplierCsrf, securityHeaders } from './platform/security';
import { sessionMiddleware } from './platform/session';
import { ejsWithLayout } from './platform/views';
import { rulesRouter } from './questionnaires';
import { buyerResponsesRouter, registerResponsesApi, supplierRouter } from './responses';
import { registerSuppliersApi, suppliersRouter } from './suppliers';

export type { AppDeps } from './deps';

/** A logged-in user's own language ranks below an explicit `?lang=` / session choice, above Accept-Language. */
function userViewLocals(): RequestHandler {
  return (req, res, next) => {
    res.locals.user = req.user;
    if (req.user) useLanguage(req.i18n, req, res, chooseLanguage(req, req.user.locale));
    next();
  };
}

export interface AppOptions {
  /**
   * Keep compiled EJS templates in memory (as in production). Default: on, except with NODE_ENV=development, where
   * edited templates show on the next request.
   */
  viewCache?: boolean;
}

/** The main navigation, one line per domain page (a user sees the entries of their roles). */
const NAVIGATION: NavItem[] = [
  { href: '/', labelKey: 'common:nav.home', roles: ['buyer', 'auditor', 'admin'] },
  { href: '/campaigns', labelKey: 'campaigns:nav', roles: ['buyer', 'auditor', 'admin'] },
  { href: '/suppliers', labelKey: 'suppliers:nav', roles: ['buyer', 'auditor', 'admin'] },
  { href: '/admin/users', labelKey: 'accounts:nav.users', roles: ['admin'] },
  { href: '/admin/organisation', labelKey: 'accounts:nav.organisation', roles: ['admin'] },
  { href: '/admin/api-tokens', labelKey: 'accounts:nav.apiTokens', roles: ['admin'] },
  { href: '/admin/activity', labelKey: 'accounts:nav.activity', roles: ['admin'] },
  { href: '/admin/mailbox', labelKey: 'mail:nav', roles: ['admin'] },
];

/** The JSON API's routes, one line per domain. */
function apiRoutes(deps: AppDeps): ApiRegistry {
  const api = new ApiRegistry();
  registerAccountsApi(api, deps);
  registerCampaignsApi(api, deps);
  registerSuppliersApi(api, deps);
  registerResponsesApi(api, deps);
  return api;
}

export function createApp(deps: AppDeps, options: AppOptions = {}): express.Express {
  const { config, connection, logger, i18n } = deps;
  const app = express();
  const passport = createPassport(deps);
  const csrf = createCsrf(config);

  app.disable('x-powered-by');
  // Pages are per user and never cached by browsers (supplier pages are no-store), so hashing every body for an ETag
  // is work no client uses; static files keep theirs (express.static sets its own).
  app.set('etag', false);
  if (config.isProduction) app.set('trust proxy', 1);
  app.set('views', paths.views);
  app.engine('ejs', ejsWithLayout(paths.views));
  app.set('view engine', 'ejs');
  app.set('view cache', options.viewCache ?? config.nodeEnv !== 'development');

  app.use(httpLogger(logger));
  app.use(securityHeaders(config));
  app.use('/static', express.static(paths.public, { maxAge: config.isProduction ? '1h' : 0, index: false }));
  // Browsers ask for /favicon.ico whatever the page says.
  app.get('/favicon.ico', (_req, res) => res.sendFile(path.join(paths.public, 'favicon.ico'), { maxAge: config.isProduction ? '7d' : 0 }));
  // The API authenticates by bearer token: no cookies, no session, no CSRF (a browser never sends the token itself).
  app.use(
    '/api/v1',
    apiRouter(apiRoutes(deps), {
      resolveToken: (token, call) => resolveApiToken(connection, token, deps.clock.now(), call),
      logger,
      i18n,
      baseUrl: config.baseUrl,
    }),
  );
  app.use(bodyParsers());
  app.use(cookieParser());

  // Supplier pages are authenticated by their link, not by a login: they run before the session middleware, so a
  // page or an autosave does no session read or write; their CSRF tokens are bound to the link instead.
  const supplierCsrf = createSupplierCsrf(config);
  app.use('/s', i18nMiddleware(i18n), supplierCsrf.exposeToken, supplierCsrf.protect);
  app.use(supplierRouter(deps));
  // The published rules are public: no login, no session.
  app.use('/rules', i18nMiddleware(i18n), rulesRouter(deps));

  app.use(sessionMiddleware(config, connection));
  app.use(i18nMiddleware(i18n));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(userViewLocals());
  app.use(navigationLocals(NAVIGATION, (req) => req.user?.roles ?? []));
  app.use(csrf.exposeToken);
  app.use(csrf.protect);

  // Routers: one line per domain.
  app.use(accountsRouter(deps));
  app.use(homeRouter(deps));
  app.use(campaignsRouter(deps));
  app.use(suppliersRouter(deps));
  app.use(buyerResponsesRouter(deps));
  app.use(mailboxRouter(deps, requireRole('admin')));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, i18n));
  return app;
}
