/**
 * The pages of someone not logged in: login and logout, forgotten password and its reset link, and the link of an
 * invitation to join an organisation. The pages of logged-in users and admins are mounted from here too.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { HttpError } from '../platform/errors';
import { rateLimit } from '../platform/security';
import { accountSettingsRouter } from './account-routes';
import { adminRouter } from './admin-routes';
import { formErrors, textField, type FormErrors } from './form-errors';
import { attemptLogin, recordLogout } from './login';
import { logIn, safeRedirectTarget } from './middleware';
import { completePasswordReset, findResetAccount, requestPasswordReset } from './password-changes';
import { LOGIN_PER_ACCOUNT, LOGIN_PER_IP } from './throttle';
import { acceptInvitation, lookUpInvitation } from './user-invitations';

/** Failed logins allowed per account, and per client address, within 15 minutes (then 15 minutes' wait). */
export const LOGIN_ATTEMPTS_PER_WINDOW = { perAccount: LOGIN_PER_ACCOUNT.limit, perAddress: LOGIN_PER_IP.limit } as const;

const loginForm = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(200),
  next: z.string().max(2000).optional(),
});

const forgotForm = z.object({ email: z.email().max(320) });

/** Notices a page may show after a redirect: only these keys, so a link cannot put text on the page. */
const LOGIN_NOTICES = ['passwordReset', 'loggedOut'] as const;

interface LoginView {
  status: number;
  email?: string;
  next?: string;
  error?: string;
  notice?: string;
}

function renderLogin(res: Response, view: LoginView): void {
  res.status(view.status).render('accounts/login', {
    title: res.locals.t('common:login.title'),
    email: view.email ?? '',
    next: view.next ?? '',
    error: view.error,
    notice: view.notice,
  });
}

function minutes(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

function noStore(_req: Request, res: Response, next: () => void): void {
  // Pages reached by a secret link: never kept by a browser or proxy.
  res.set('Cache-Control', 'no-store');
  next();
}

/** Guessing reset and invitation links: failures (410) counted per address. */
function linkGuessLimiter(): RequestHandler {
  return rateLimit({ windowMs: 15 * 60 * 1000, limit: 30, skipSuccessfulRequests: true, isFailure: (_req, res) => res.statusCode === 410 });
}

function renderLinkProblem(res: Response, kind: 'reset' | 'join', status: string): void {
  res.status(410).render('accounts/link-problem', {
    title: res.locals.t(`accounts:${kind}.problemTitle`),
    message: res.locals.t(`accounts:${kind}.problem.${status}`),
    kind,
  });
}

const PASSWORD_MESSAGES = { password: 'accounts:password.errors.password', confirm: 'accounts:password.errors.confirm', current: 'accounts:password.errors.current' };

export type AccountsDeps = Pick<AppDeps, 'connection' | 'clock' | 'config' | 'outbox' | 'i18n' | 'scheduler' | 'logger'>;

export function accountsRouter(deps: AccountsDeps): Router {
  const router = Router();

  router.get('/login', (req, res) => {
    if (req.user) {
      res.redirect('/');
      return;
    }
    const notice = LOGIN_NOTICES.find((key) => key === req.query.notice);
    renderLogin(res, { status: 200, next: safeRedirectTarget(req.query.next), notice: notice ? res.locals.t(`accounts:login.notices.${notice}`) : undefined });
  });

  router.post('/login', async (req, res) => {
    const email = textField(req.body, 'email').slice(0, 320);
    const form = loginForm.safeParse({ email, password: textField(req.body, 'password'), next: textField(req.body, 'next') || undefined });
    if (!form.success) {
      renderLogin(res, { status: 400, email, error: res.locals.t('common:login.missingFields') });
      return;
    }
    const target = safeRedirectTarget(form.data.next);
    const outcome = await attemptLogin(deps, { email: form.data.email, password: form.data.password, ip: req.ip });
    if (outcome.kind === 'throttled') {
      res.set('Retry-After', String(Math.ceil(outcome.retryAfterMs / 1000)));
      renderLogin(res, { status: 429, email, next: target, error: res.locals.t('accounts:login.throttled', { minutes: minutes(outcome.retryAfterMs) }) });
      return;
    }
    if (outcome.kind === 'refused') {
      deps.logger.info('login failed');
      renderLogin(res, { status: 401, email, next: target, error: res.locals.t('common:login.failed') });
      return;
    }
    await logIn(req, outcome.user);
    deps.logger.info({ userId: outcome.user.id, roles: outcome.user.roles }, 'login');
    res.redirect(303, target);
  });

  router.post('/logout', async (req, res) => {
    if (req.user) await recordLogout(deps, req.user);
    await new Promise<void>((resolve, reject) => req.logOut((error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())));
    res.redirect(303, '/login?notice=loggedOut');
  });

  const renderForgot = (res: Response, status: number, email: string, errors?: FormErrors) => {
    res.status(status).render('accounts/forgot-password', { title: res.locals.t('accounts:forgot.title'), email, errors: errors?.list ?? [], fieldErrors: errors?.byField ?? {} });
  };

  router.get('/password/forgot', (_req, res) => renderForgot(res, 200, ''));

  router.post('/password/forgot', async (req, res) => {
    const email = textField(req.body, 'email').trim().slice(0, 320);
    try {
      const valid = forgotForm.parse({ email });
      await requestPasswordReset(deps, { email: valid.email, ip: req.ip, lang: req.lang });
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { email: 'accounts:forgot.errors.email' });
      if (!errors) throw error;
      if (errors.status === 429) res.set('Retry-After', '3600');
      renderForgot(res, errors.status, email, errors);
      return;
    }
    res.render('accounts/forgot-sent', { title: res.locals.t('accounts:forgot.sentTitle'), email });
  });

  const resetPath = '/password/reset/:token';
  const renderReset = (res: Response, status: number, token: string, email: string, errors?: FormErrors) => {
    res.status(status).render('accounts/reset-password', { title: res.locals.t('accounts:reset.title'), token, email, errors: errors?.list ?? [], fieldErrors: errors?.byField ?? {} });
  };

  router.get(resetPath, linkGuessLimiter(), noStore, async (req, res) => {
    const token = String(req.params.token);
    const account = await findResetAccount(deps.connection, token, deps.clock.now());
    if (!account) return renderLinkProblem(res, 'reset', 'invalid');
    renderReset(res, 200, token, account.email);
  });

  router.post(resetPath, linkGuessLimiter(), noStore, async (req, res) => {
    const token = String(req.params.token);
    try {
      await completePasswordReset(deps, token, { password: textField(req.body, 'password'), confirm: textField(req.body, 'confirm') });
    } catch (error) {
      if (error instanceof HttpError && error.status === 410) return renderLinkProblem(res, 'reset', 'invalid');
      const errors = formErrors(error, res.locals.t, PASSWORD_MESSAGES);
      if (!errors) throw error;
      const account = await findResetAccount(deps.connection, token, deps.clock.now());
      if (!account) return renderLinkProblem(res, 'reset', 'invalid');
      renderReset(res, errors.status, token, account.email, errors);
      return;
    }
    res.redirect(303, '/login?notice=passwordReset');
  });

  const joinPath = '/join/:token';
  router.get(joinPath, linkGuessLimiter(), noStore, async (req, res) => {
    const token = String(req.params.token);
    const lookup = await lookUpInvitation(deps.connection, token, deps.clock.now());
    if (lookup.status !== 'pending') return renderLinkProblem(res, 'join', lookup.status);
    res.render('accounts/join', {
      title: res.locals.t('accounts:join.title', { organisation: lookup.organisationName }),
      token,
      organisationName: lookup.organisationName,
      invitation: lookup.invitation,
      name: '',
      errors: [],
      fieldErrors: {},
    });
  });

  router.post(joinPath, linkGuessLimiter(), noStore, async (req, res) => {
    const token = String(req.params.token);
    const name = textField(req.body, 'name').slice(0, 200);
    try {
      const user = await acceptInvitation(deps, token, { name, password: textField(req.body, 'password'), confirm: textField(req.body, 'confirm') });
      await logIn(req, user);
    } catch (error) {
      const lookup = await lookUpInvitation(deps.connection, token, deps.clock.now());
      const errors = formErrors(error, res.locals.t, { name: 'accounts:join.errors.name', ...PASSWORD_MESSAGES });
      if (lookup.status !== 'pending') return renderLinkProblem(res, 'join', lookup.status === 'accepted' ? 'accepted' : lookup.status);
      if (!errors) throw error;
      res.status(errors.status).render('accounts/join', {
        title: res.locals.t('accounts:join.title', { organisation: lookup.organisationName }),
        token,
        organisationName: lookup.organisationName,
        invitation: lookup.invitation,
        name,
        errors: errors.list,
        fieldErrors: errors.byField,
      });
      return;
    }
    res.redirect(303, '/');
  });

  router.use(accountSettingsRouter(deps));
  router.use(adminRouter(deps));
  return router;
}
