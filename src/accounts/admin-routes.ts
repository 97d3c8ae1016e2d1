/**
 * Organisation administration (admins only): users and invitations, the organisation's details, API tokens and the
 * activity log. Handlers parse, call the service the JSON API calls too, and render.
 */
import { Router, type Request, type Response } from 'express';
import { HttpError } from '../platform/errors';
import { sendCsv } from '../platform/csv';
import { activityCsvRows, activityPage, actionChoices, parseActivityQuery } from './activity-log';
import { userActor } from './actors';
import { issueApiToken, listApiTokens, withdrawApiToken } from './api-tokens';
import { formErrors, listField, textField, type FormErrors } from './form-errors';
import { requireRole } from './middleware';
import { ROLES, type Role } from './model';
import { getOrganisationDetails, updateOrganisation, type OrganisationDetails } from './organisation';
import type { AccountsDeps } from './routes';
import type { SessionUser } from './service';
import { invitationStatus, inviteUser, listOpenInvitations, resendInvitation, revokeUserInvitation } from './user-invitations';
import { changeRoles, getOrganisationUser, listUserNames, listUsers, setUserActive, userListQuery } from './users';

const USER_NOTICES = ['invited', 'resent', 'revoked', 'rolesChanged', 'deactivated', 'reactivated'] as const;
const ORGANISATION_NOTICES = ['saved'] as const;
const TOKEN_NOTICES = ['revoked'] as const;

function adminOf(req: Request): SessionUser {
  if (!req.user) throw new HttpError(401, 'common:errors.unauthenticated');
  return req.user;
}

function noticeOf(req: Request, res: Response, keys: readonly string[], prefix: string): string | undefined {
  const notice = keys.find((key) => key === req.query.notice);
  return notice ? res.locals.t(`${prefix}.${notice}`) : undefined;
}

interface InviteValues {
  email: string;
  roles: string[];
  locale: string;
}

export function adminRouter(deps: AccountsDeps): Router {
  const router = Router();
  const admin = requireRole('admin');

  // Users and invitations.
  router.get('/admin/users', admin, async (req, res) => {
    const user = adminOf(req);
    const query = userListQuery.safeParse(Object.fromEntries(Object.entries(req.query).filter(([, value]) => value !== '')));
    if (!query.success) throw new HttpError(400, 'accounts:users.invalidFilter', { field: String(query.error.issues[0]?.path[0] ?? 'q') });
    const now = deps.clock.now();
    const [list, invitations] = await Promise.all([listUsers(deps.connection, user.organisationId, query.data), listOpenInvitations(deps.connection, user.organisationId)]);
    res.render('accounts/admin/users', {
      title: res.locals.t('accounts:users.title'),
      ...list,
      filters: { q: query.data.q ?? '', status: query.data.status ?? '' },
      invitations: invitations.map((invitation) => ({ ...invitation, id: invitation._id.toHexString(), status: invitationStatus(invitation, now) })),
      currentUserId: user.id,
      notice: noticeOf(req, res, USER_NOTICES, 'accounts:users.notices'),
    });
  });

  const renderInvite = (res: Response, status: number, values: InviteValues, errors?: FormErrors) => {
    res.status(status).render('accounts/admin/invite', {
      title: res.locals.t('accounts:invite.title'),
      values,
      roles: ROLES,
      errors: errors?.list ?? [],
      fieldErrors: errors?.byField ?? {},
    });
  };

  router.get('/admin/users/invite', admin, (req, res) => renderInvite(res, 200, { email: '', roles: ['buyer'], locale: req.lang }));

  router.post('/admin/users/invite', admin, async (req, res) => {
    const user = adminOf(req);
    const values: InviteValues = { email: textField(req.body, 'email').trim().slice(0, 320), roles: listField(req.body, 'roles'), locale: textField(req.body, 'locale') };
    try {
      await inviteUser(deps, { organisationId: user.organisationId, email: values.email, roles: values.roles as Role[], locale: values.locale as 'sv' | 'en', actor: userActor(user) });
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { email: 'accounts:invite.errors.email', roles: 'accounts:invite.errors.roles', locale: 'accounts:invite.errors.locale' });
      if (!errors) throw error;
      renderInvite(res, errors.status, values, errors);
      return;
    }
    res.redirect(303, '/admin/users?notice=invited');
  });

  for (const [path, act, notice] of [['resend', resendInvitation, 'resent'], ['revoke', revokeUserInvitation, 'revoked']] as const) {
    router.post(`/admin/users/invitations/:id/${path}`, admin, async (req, res) => {
      const user = adminOf(req);
      await act(deps, { organisationId: user.organisationId, invitationId: String(req.params.id), actor: userActor(user) });
      res.redirect(303, `/admin/users?notice=${notice}`);
    });
  }

  const renderUser = async (req: Request, res: Response, status: number, userId: string, errors?: FormErrors, postedRoles?: string[]) => {
    const admin = adminOf(req);
    const shown = await getOrganisationUser(deps.connection, admin.organisationId, userId);
    res.status(status).render('accounts/admin/user', {
      title: shown.name,
      shown,
      roles: ROLES,
      selectedRoles: postedRoles ?? shown.roles,
      isSelf: shown.id === admin.id,
      notice: noticeOf(req, res, USER_NOTICES, 'accounts:users.notices'),
      errors: errors?.list ?? [],
      fieldErrors: errors?.byField ?? {},
    });
  };

  router.get('/admin/users/:id', admin, async (req, res) => {
    await renderUser(req, res, 200, String(req.params.id));
  });

  router.post('/admin/users/:id/roles', admin, async (req, res) => {
    const user = adminOf(req);
    const userId = String(req.params.id);
    const roles = listField(req.body, 'roles');
    try {
      await changeRoles(deps, { organisationId: user.organisationId, userId, roles: roles as Role[], actor: userActor(user) });
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { roles: 'accounts:users.errors.roles' });
      if (!errors) throw error;
      await renderUser(req, res, errors.status, userId, errors, roles);
      return;
    }
    res.redirect(303, `/admin/users/${userId}?notice=rolesChanged`);
  });

  for (const [path, active] of [['deactivate', false], ['reactivate', true]] as const) {
    router.post(`/admin/users/:id/${path}`, admin, async (req, res) => {
      const user = adminOf(req);
      const userId = String(req.params.id);
      try {
        await setUserActive(deps, { organisationId: user.organisationId, userId, active, actor: userActor(user) });
      } catch (error) {
        const errors = formErrors(error, res.locals.t, {});
        if (!errors) throw error;
        await renderUser(req, res, errors.status, userId, { ...errors, list: errors.list.map((e) => ({ ...e, field: 'status-actions' })) });
        return;
      }
      res.redirect(303, `/admin/users/${userId}?notice=${active ? 'reactivated' : 'deactivated'}`);
    });
  }

  // The organisation's details.
  const renderOrganisation = (req: Request, res: Response, status: number, values: OrganisationDetails, errors?: FormErrors) => {
    res.status(status).render('accounts/admin/organisation', {
      title: res.locals.t('accounts:organisation.title'),
      values,
      notice: noticeOf(req, res, ORGANISATION_NOTICES, 'accounts:organisation.notices'),
      errors: errors?.list ?? [],
      fieldErrors: errors?.byField ?? {},
    });
  };

  router.get('/admin/organisation', admin, async (req, res) => {
    renderOrganisation(req, res, 200, await getOrganisationDetails(deps.connection, adminOf(req).organisationId));
  });

  router.post('/admin/organisation', admin, async (req, res) => {
    const user = adminOf(req);
    const posted = { name: textField(req.body, 'name'), contactName: textField(req.body, 'contactName'), contactEmail: textField(req.body, 'contactEmail').trim() };
    try {
      await updateOrganisation(deps, user.organisationId, posted, userActor(user));
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { name: 'accounts:organisation.errors.name', contactName: 'accounts:organisation.errors.contactName', contactEmail: 'accounts:organisation.errors.contactEmail' });
      if (!errors) throw error;
      renderOrganisation(req, res, errors.status, { id: user.organisationId, ...posted }, errors);
      return;
    }
    res.redirect(303, '/admin/organisation?notice=saved');
  });

  // API tokens.
  const renderTokens = async (req: Request, res: Response, status: number, extra: { created?: { token: string; name: string }; name?: string; errors?: FormErrors } = {}) => {
    const tokens = await listApiTokens(deps.connection, adminOf(req).organisationId);
    if (extra.created) res.set('Cache-Control', 'no-store');
    res.status(status).render('accounts/admin/api-tokens', {
      title: res.locals.t('accounts:tokens.title'),
      tokens,
      created: extra.created,
      name: extra.name ?? '',
      notice: noticeOf(req, res, TOKEN_NOTICES, 'accounts:tokens.notices'),
      errors: extra.errors?.list ?? [],
      fieldErrors: extra.errors?.byField ?? {},
      scripts: extra.created ? ['/static/js/copy-field.js'] : [],
    });
  };

  router.get('/admin/api-tokens', admin, async (req, res) => {
    await renderTokens(req, res, 200);
  });

  router.post('/admin/api-tokens', admin, async (req, res) => {
    const user = adminOf(req);
    const name = textField(req.body, 'name').slice(0, 200);
    try {
      const { token, record } = await issueApiToken(deps, { organisationId: user.organisationId, name, actor: userActor(user) });
      // Shown on this response only: the token is never stored, and never put in a URL.
      await renderTokens(req, res, 201, { created: { token, name: record.name } });
    } catch (error) {
      const errors = formErrors(error, res.locals.t, { name: 'accounts:tokens.errors.name' });
      if (!errors) throw error;
      await renderTokens(req, res, errors.status, { name, errors });
    }
  });

  router.post('/admin/api-tokens/:id/revoke', admin, async (req, res) => {
    const user = adminOf(req);
    await withdrawApiToken(deps, { organisationId: user.organisationId, tokenId: String(req.params.id), actor: userActor(user) });
    res.redirect(303, '/admin/api-tokens?notice=revoked');
  });

  // The activity log.
  router.get('/admin/activity', admin, async (req, res) => {
    const user = adminOf(req);
    const query = parseActivityQuery(req.query);
    const [page, families, people] = await Promise.all([
      activityPage(deps.connection, deps.i18n, user.organisationId, query, req.lang),
      actionChoices(deps.connection, user.organisationId),
      listUserNames(deps.connection, user.organisationId),
    ]);
    const filters = { action: query.action ?? '', actor: query.actor ?? '', ref: query.ref ?? '', from: query.from ?? '', to: query.to ?? '' };
    res.render('accounts/admin/activity', {
      title: res.locals.t('accounts:activity.title'),
      ...page,
      families,
      people,
      filters,
      exportUrl: `/admin/activity/export.csv?${new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== '')).toString()}`,
    });
  });

  router.get('/admin/activity/export.csv', admin, async (req, res) => {
    const user = adminOf(req);
    const query = parseActivityQuery(req.query);
    const day = deps.clock.now().toISOString().slice(0, 10);
    await sendCsv(res, `activity-${day}.csv`, req.lang, activityCsvRows(deps, user.organisationId, query, req.lang, { actor: userActor(user), at: deps.clock.now() }));
  });

  return router;
}
