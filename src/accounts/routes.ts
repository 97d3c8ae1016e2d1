import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { rateLimit } from '../platform/security';
import type { createPassport } from './passport';
import { safeRedirectTarget } from './middleware';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
/** Failed logins allowed per client IP and 15 minutes. */
export const LOGIN_ATTEMPTS_PER_WINDOW = 10;

const loginForm = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(200),
  next: z.string().max(2000).optional(),
});

function renderLogin(res: Response, status: number, values: { email?: string; next?: string; errorKey?: string }): void {
  res.status(status).render('accounts/login', {
    title: res.locals.t('common:login.title'),
    email: values.email ?? '',
    next: values.next ?? '',
    errorKey: values.errorKey,
  });
}

export function accountsRouter(deps: Pick<AppDeps, 'logger'>, passport: ReturnType<typeof createPassport>): Router {
  const router = Router();
  const loginLimiter = rateLimit({
    windowMs: FIFTEEN_MINUTES,
    limit: LOGIN_ATTEMPTS_PER_WINDOW,
    skipSuccessfulRequests: true,
    messageKey: 'common:login.tooManyAttempts',
  });

  router.get('/login', (req, res) => {
    if (req.user) {
      res.redirect('/');
      return;
    }
    renderLogin(res, 200, { next: safeRedirectTarget(req.query.next) });
  });

  router.post('/login', loginLimiter, (req: Request, res: Response, next: NextFunction) => {
    const body: unknown = req.body;
    const form = loginForm.safeParse(body);
    if (!form.success) {
      const email = typeof body === 'object' && body !== null && 'email' in body && typeof body.email === 'string' ? body.email : '';
      renderLogin(res, 400, { errorKey: 'common:login.missingFields', email: email.slice(0, 320) });
      return;
    }
    const target = safeRedirectTarget(form.data.next);
    passport.authenticate('local', (error: unknown, user: Express.User | false) => {
      if (error) {
        next(error);
        return;
      }
      if (!user) {
        deps.logger.info({ email: form.data.email }, 'login failed');
        renderLogin(res, 401, { errorKey: 'common:login.failed', email: form.data.email, next: target });
        return;
      }
      // passport 0.7 regenerates the session on login (no session fixation); keep the chosen language.
      req.logIn(user, { session: true, keepSessionInfo: true }, (loginError?: unknown) => {
        if (loginError) {
          next(loginError);
          return;
        }
        deps.logger.info({ userId: user.id, roles: user.roles }, 'login');
        res.redirect(303, target);
      });
    })(req, res, next);
  });

  router.post('/logout', (req, res, next) => {
    req.logOut((error?: unknown) => {
      if (error) {
        next(error);
        return;
      }
      res.redirect(303, '/login');
    });
  });

  return router;
}
