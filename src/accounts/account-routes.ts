/** A logged-in user's own pages: preferences (name, language, notification mails) and changing their password. */
import { Router, type Request, type Response } from 'express';
import { HttpError } from '../platform/errors';
import { useLanguage } from '../platform/i18n';
import { formErrors, textField, type FormErrors } from './form-errors';
import { logIn, requireRole } from './middleware';
import { changePassword } from './password-changes';
import { getPreferences, updatePreferences, type Preferences } from './preferences';
import type { AccountsDeps } from './routes';
import type { SessionUser } from './service';

const ACCOUNT_NOTICES = ['saved', 'passwordChanged'] as const;

function currentUser(req: Request): SessionUser {
  if (!req.user) throw new HttpError(401, 'common:errors.unauthenticated');
  return req.user;
}

function noticeOf(req: Request, res: Response): string | undefined {
  const notice = ACCOUNT_NOTICES.find((key) => key === req.query.notice);
  return notice ? res.locals.t(`accounts:account.notices.${notice}`) : undefined;
}

export function accountSettingsRouter(deps: AccountsDeps): Router {
  const router = Router();
  const anyone = requireRole('buyer', 'auditor', 'admin');

  const renderPreferences = (req: Request, res: Response, status: number, values: Preferences, errors?: FormErrors) => {
    res.status(status).render('accounts/preferences', {
      title: res.locals.t('accounts:account.title'),
      values,
      notice: noticeOf(req, res),
      errors: errors?.list ?? [],
      fieldErrors: errors?.byField ?? {},
    });
  };

  router.get('/account', anyone, async (req, res) => {
    renderPreferences(req, res, 200, await getPreferences(deps, currentUser(req)));
  });

  router.post('/account', anyone, async (req, res) => {
    const user = currentUser(req);
    const posted = { name: textField(req.body, 'name'), locale: textField(req.body, 'locale'), notifySubmissions: textField(req.body, 'notifySubmissions') || undefined };
    try {
      const saved = await updatePreferences(deps, user, posted);
      // The new language applies from this response on, above the browser's and any earlier ?lang= choice.
      req.session.lang = saved.locale;
      useLanguage(req.i18n, req, res, saved.locale);
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { name: 'accounts:account.errors.name', locale: 'accounts:account.errors.locale' });
      if (!errors) throw error;
      const current = await getPreferences(deps, user);
      renderPreferences(req, res, errors.status, { ...current, name: posted.name, notifySubmissions: posted.notifySubmissions === 'on' }, errors);
      return;
    }
    res.redirect(303, '/account?notice=saved');
  });

  const renderPassword = (res: Response, status: number, errors?: FormErrors) => {
    res.status(status).render('accounts/change-password', { title: res.locals.t('accounts:password.title'), errors: errors?.list ?? [], fieldErrors: errors?.byField ?? {} });
  };

  router.get('/account/password', anyone, (_req, res) => renderPassword(res, 200));

  router.post('/account/password', anyone, async (req, res) => {
    const user = currentUser(req);
    try {
      await changePassword(deps, {
        user,
        sessionId: req.sessionID,
        ip: req.ip,
        form: { current: textField(req.body, 'current'), password: textField(req.body, 'password'), confirm: textField(req.body, 'confirm') },
      });
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { current: 'accounts:password.errors.current', password: 'accounts:password.errors.password', confirm: 'accounts:password.errors.confirm' });
      if (!errors) throw error;
      if (errors.status === 429) res.set('Retry-After', '900');
      renderPassword(res, errors.status, errors);
      return;
    }
    // A session id that might have leaked before the change is worth nothing after it.
    await logIn(req, user);
    res.redirect(303, '/account?notice=passwordChanged');
  });

  return router;
}
