/**
 * The accounts domain in the JSON API: the organisation, its users and invitations, and the activity log. Each route
 * calls the service its page calls. Not here, on purpose: API tokens (a token must not mint or revoke tokens: that
 * stays with people, on the admin page) and a person's own password and preferences (a token is no person).
 */
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { ApiRegistry } from '../platform/api';
import { sendCsv } from '../platform/csv';
import type { Lang } from '../platform/i18n';
import { activityCsvRows, activityPage, activityQuery } from './activity-log';
import { ROLES, USER_LOCALES } from './model';
import { getOrganisationDetails, organisationInput, updateOrganisation } from './organisation';
import { invitationStatus, inviteInput, inviteUser, listOpenInvitations, resendInvitation, revokeUserInvitation, type UserInvitationRecord } from './user-invitations';
import { changeRoles, getOrganisationUser, listUsers, rolesInput, setUserActive, userListQuery, type UserSummary } from './users';

type AccountsApiDeps = Pick<AppDeps, 'connection' | 'clock' | 'config' | 'outbox' | 'i18n'>;

const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id') });
const role = z.enum(ROLES);

const organisationResponse = z.object({ id: z.string(), name: z.string(), contactName: z.string(), contactEmail: z.string(), tokenName: z.string() });

const userResponse = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  roles: z.array(role),
  active: z.boolean(),
  deactivatedAt: z.string().nullable(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string().nullable(),
  locale: z.enum(USER_LOCALES),
});

const invitationResponse = z.object({
  id: z.string(),
  email: z.string(),
  roles: z.array(role),
  locale: z.enum(USER_LOCALES),
  status: z.enum(['pending', 'expired', 'accepted', 'revoked']),
  invitedBy: z.string(),
  sentAt: z.string(),
  expiresAt: z.string(),
});

const activityEntryResponse = z.object({
  id: z.string(),
  at: z.string(),
  action: z.string(),
  description: z.string(),
  actor: z.object({ kind: z.string(), id: z.string().optional(), name: z.string().optional() }),
  subject: z.string(),
  refs: z.array(z.string()),
});

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function userJson(user: UserSummary): z.infer<typeof userResponse> {
  return { ...user, deactivatedAt: iso(user.deactivatedAt), lastLoginAt: iso(user.lastLoginAt), createdAt: iso(user.createdAt) };
}

function invitationJson(invitation: UserInvitationRecord, now: Date): z.infer<typeof invitationResponse> {
  return {
    id: invitation._id.toHexString(),
    email: invitation.email,
    roles: invitation.roles,
    locale: invitation.locale,
    status: invitationStatus(invitation, now),
    invitedBy: invitation.invitedBy?.name ?? '',
    sentAt: invitation.sentAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
  };
}

function callerLanguage(acceptsSwedish: boolean): Lang {
  return acceptsSwedish ? 'sv' : 'en';
}

export function registerAccountsApi(api: ApiRegistry, deps: AccountsApiDeps): void {
  api.route(
    { method: 'get', path: '/organisation', operationId: 'getOrganisation', summary: 'The organisation of the calling API token', tag: 'Organisation', response: organisationResponse },
    async ({ principal }) => ({ ...(await getOrganisationDetails(deps.connection, principal.organisationId)), tokenName: principal.tokenName }),
  );

  api.route(
    {
      method: 'patch',
      path: '/organisation',
      operationId: 'updateOrganisation',
      summary: 'Change the organisation’s name or the contact suppliers see',
      tag: 'Organisation',
      body: organisationInput.partial(),
      response: organisationResponse,
    },
    async ({ principal, body, actor }) => {
      const current = await getOrganisationDetails(deps.connection, principal.organisationId);
      const updated = await updateOrganisation(deps, principal.organisationId, { ...current, ...body }, actor);
      return { ...updated, tokenName: principal.tokenName };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'The organisation’s users, by name, 50 a page',
      tag: 'Users',
      query: userListQuery,
      response: z.object({ users: z.array(userResponse), total: z.number(), page: z.number(), pages: z.number() }),
    },
    async ({ principal, query }) => {
      const list = await listUsers(deps.connection, principal.organisationId, query);
      return { ...list, users: list.users.map(userJson) };
    },
  );

  api.route(
    { method: 'get', path: '/users/{id}', operationId: 'getUser', summary: 'One user of the organisation', tag: 'Users', params: idParams, response: userResponse },
    async ({ principal, params }) => userJson(await getOrganisationUser(deps.connection, principal.organisationId, params.id)),
  );

  api.route(
    {
      method: 'patch',
      path: '/users/{id}',
      operationId: 'updateUser',
      summary: 'Change a user’s roles, or deactivate (sessions end at once) or reactivate them',
      description: 'The organisation always keeps one active admin: a change that would leave none is refused with 409.',
      tag: 'Users',
      params: idParams,
      body: z.object({ roles: rolesInput.optional(), active: z.boolean().optional() }).refine((body) => body.roles || body.active !== undefined, 'give roles or active'),
      response: userResponse,
    },
    async ({ principal, params, body, actor }) => {
      const target = { organisationId: principal.organisationId, userId: params.id, actor };
      let user = await getOrganisationUser(deps.connection, principal.organisationId, params.id);
      if (body.roles) user = await changeRoles(deps, { ...target, roles: body.roles });
      if (body.active !== undefined) user = await setUserActive(deps, { ...target, active: body.active });
      return userJson(user);
    },
  );

  api.route(
    { method: 'get', path: '/invitations', operationId: 'listInvitations', summary: 'Invitations not yet accepted or withdrawn', tag: 'Users', response: z.array(invitationResponse) },
    async ({ principal }) => {
      const now = deps.clock.now();
      return (await listOpenInvitations(deps.connection, principal.organisationId)).map((invitation) => invitationJson(invitation, now));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/invitations',
      operationId: 'inviteUser',
      summary: 'Invite a colleague by email (a single-use link valid for seven days)',
      description: 'Refused with 409 when the address already has an account (on this platform, whichever organisation) or a waiting invitation.',
      tag: 'Users',
      body: inviteInput,
      response: invitationResponse,
      status: 201,
    },
    async ({ principal, body, actor }) => invitationJson(await inviteUser(deps, { organisationId: principal.organisationId, ...body, actor }), deps.clock.now()),
  );

  api.route(
    { method: 'post', path: '/invitations/{id}/resend', operationId: 'resendInvitation', summary: 'Send an invitation again with a new link (the old one stops working)', tag: 'Users', params: idParams, response: invitationResponse },
    async ({ principal, params, actor }) => invitationJson(await resendInvitation(deps, { organisationId: principal.organisationId, invitationId: params.id, actor }), deps.clock.now()),
  );

  api.route(
    { method: 'post', path: '/invitations/{id}/revoke', operationId: 'revokeInvitation', summary: 'Withdraw an invitation (its link stops working)', tag: 'Users', params: idParams, response: invitationResponse },
    async ({ principal, params, actor }) => invitationJson(await revokeUserInvitation(deps, { organisationId: principal.organisationId, invitationId: params.id, actor }), deps.clock.now()),
  );

  api.route(
    {
      method: 'get',
      path: '/activity',
      operationId: 'listActivity',
      summary: 'The organisation’s activity log, newest first, 50 a page',
      description: 'Filters: action (`user.invited`) or family (`user.`), actor (`user:<id>`, `api`, `supplier`, `system`), ref (`kind:id`), from and to (dates, Europe/Stockholm). Descriptions are in English, or Swedish with Accept-Language: sv.',
      tag: 'Activity',
      query: activityQuery,
      response: z.object({ entries: z.array(activityEntryResponse), total: z.number(), page: z.number(), pages: z.number() }),
    },
    async ({ principal, query, req }) => {
      const lang = callerLanguage(req.acceptsLanguages('en', 'sv') === 'sv');
      const { rows, ...paging } = await activityPage(deps.connection, deps.i18n, principal.organisationId, query, lang);
      return {
        ...paging,
        entries: rows.map((row) => ({ id: row.id, at: row.at.toISOString(), action: row.action, description: row.sentence, actor: row.actor, subject: row.subject, refs: row.refs })),
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/activity/export.csv',
      operationId: 'exportActivity',
      summary: 'The filtered activity log as CSV (UTF-8 with BOM; `;`-separated with Accept-Language: sv, `,` otherwise)',
      tag: 'Activity',
      query: activityQuery,
      produces: 'text/csv',
    },
    async ({ principal, query, req, res, actor }) => {
      const lang = callerLanguage(req.acceptsLanguages('en', 'sv') === 'sv');
      const now = deps.clock.now();
      await sendCsv(res, `activity-${now.toISOString().slice(0, 10)}.csv`, lang, activityCsvRows(deps, principal.organisationId, query, lang, { actor, at: now }));
    },
  );
}
