/**
 * Builds the Express app from its dependencies. No I/O here: connecting, listening and seeding are the server's job,
 * so tests build as many apps as they like on their own databases.
 */
import cookieParser from 'cookie-parser';
import express, { type RequestHandler } from 'express';
import { accountsRouter, createPassport } from './accounts';
import { homeRouter } from './campaigns';
import type { AppDeps } from './platform/deps';
import { errorHandler, notFoundHandler } from './platform/errors';
import { createI18n, chooseLanguage, i18nMiddleware, useLanguage } from './platform/i18n';
import { httpLogger } from './platform/logger';
import { paths } from './platform/paths';
import { bodyParsers, createCsrf, createSupplierCsrf, securityHeaders } from './platform/security';
import { sessionMiddleware } from './platform/session';
import { ejsWithLayout } from './platform/views';
import { rulesRouter } from './questionnaires';
import { supplierRouter } from './responses';

export type { AppDeps } from './platform/deps';

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

export function createApp(deps: AppDeps, options: AppOptions = {}): express.Express {
  const { config, connection, logger } = deps;
  const app = express();
  const i18n = createI18n();
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
  app.use(csrf.exposeToken);
  app.use(csrf.protect);

  // Routers: one line per domain.
  app.use(accountsRouter(deps, passport));
  app.use(homeRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler(logger, i18n));
  return app;
}
