/**
 * Inviting colleagues: an admin names an email address and roles; the person gets a single-use link, valid for seven
 * days, where they choose their own name and password. Only the link's SHA-256 hash is stored. Resending issues a
 * new link (the old one stops working); revoking stops it at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { formatDateTime } from '../platform/i18n';
import { renderMail } from '../platform/mail/render';
import { ROLES, USER_LOCALES, userModel, type Role } from './model';
import { hashPassword, passwordHashingFor } from './passwords';
import { findOrganisationById, insertUser, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, singleLine, toSessionUser, type SessionUser } from './service';
import { rolesInput } from './users';

export const INVITATION_VALID_MS = 7 * 24 * 60 * 60 * 1000;
export const JOIN_PATH = '/join';

const userInvitationSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    email: { type: String, required: true, lowercase: true, trim: true, maxlength: 320 },
    roles: { type: [{ type: String, enum: ROLES }], required: true },
    /** Language of the invitation mail, and the new user's language. */
    locale: { type: String, enum: USER_LOCALES, required: true },
    tokenHash: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    invitedBy: { id: { type: String }, name: { type: String, maxlength: 320 } },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, required: true },
    sendCount: { type: Number, required: true, default: 1 },
    acceptedAt: { type: Date, default: null },
    acceptedUserId: { type: Schema.Types.ObjectId, default: null },
    revokedAt: { type: Date, default: null },
  },
  { collection: 'user_invitations', versionKey: false },
);
userInvitationSchema.index({ tokenHash: 1 }, { unique: true });
userInvitationSchema.index({ organisationId: 1, email: 1 });

function registerUserInvitationModel(conn: mongoose.Connection) {
  return conn.model('UserInvitation', userInvitationSchema);
}
type UserInvitationModel = ReturnType<typeof registerUserInvitationModel>;

export function userInvitationModel(conn: mongoose.Connection): UserInvitationModel {
  return (conn.models.UserInvitation as UserInvitationModel | undefined) ?? registerUserInvitationModel(conn);
}

export interface UserInvitationRecord {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  email: string;
  roles: Role[];
  locale: 'sv' | 'en';
  tokenHash: string;
  expiresAt: Date;
  invitedBy: { id?: string; name?: string };
  createdAt: Date;
  sentAt: Date;
  sendCount: number;
  acceptedAt: Date | null;
  acceptedUserId: mongoose.Types.ObjectId | null;
  revokedAt: Date | null;
}

export type InvitationStatus = 'pending' | 'expired' | 'accepted' | 'revoked';

export function invitationStatus(invitation: Pick<UserInvitationRecord, 'acceptedAt' | 'revokedAt' | 'expiresAt'>, now: Date): InvitationStatus {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.revokedAt) return 'revoked';
  return invitation.expiresAt > now ? 'pending' : 'expired';
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}

export const inviteInput = z.object({
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  roles: rolesInput,
  locale: z.enum(USER_LOCALES),
});

export type InvitationDeps = Pick<AppDeps, 'connection' | 'clock' | 'config' | 'outbox' | 'i18n'>;

/** Writes the invitation mail into the outbox inside the caller's transaction. */
async function enqueueInvitationMail(
  deps: InvitationDeps,
  invitation: Pick<UserInvitationRecord, '_id' | 'organisationId' | 'email' | 'roles' | 'locale' | 'expiresAt' | 'invitedBy' | 'sendCount'>,
  token: string,
  session: mongoose.ClientSession,
): Promise<void> {
  const organisation = await findOrganisationById(deps.connection, invitation.organisationId);
  const t = deps.i18n.getFixedT(invitation.locale);
  const locals = {
    lang: invitation.locale,
    t,
    organisationName: organisation?.name ?? '',
    inviterName: invitation.invitedBy.name ?? '',
    roles: invitation.roles.map((role) => t(`common:roles.${role}`)).join(', '),
    url: `${deps.config.baseUrl}${JOIN_PATH}/${token}`,
    expiresAt: formatDateTime(invitation.locale, invitation.expiresAt),
  };
  const { html, text } = await renderMail('accounts/user-invitation', locals);
  await deps.outbox.enqueue(
    {
      organisationId: invitation.organisationId,
      to: invitation.email,
      subject: t('accounts:mail.invitation.subject', { organisation: locals.organisationName }),
      text,
      html,
      category: 'user-invitation',
      refs: [ref('user_invitation', invitation._id)],
      dedupeKey: `user-invitation:${invitation._id.toHexString()}:${invitation.sendCount}`,
    },
    { session },
  );
}

/** The same refusal whichever organisation the account belongs to: an admin learns nothing about other organisations. */
async function refuseExistingAccount(conn: mongoose.Connection, email: string, session?: mongoose.ClientSession): Promise<void> {
  const existing = await userModel(conn).exists({ email }).session(session ?? null);
  if (existing) throw new HttpError(409, 'accounts:invite.accountExists', { email }, { field: 'email' });
}

/** The invitation's entry in the activity log, in the transaction of the change. */
async function recordInvitationActivity(
  deps: InvitationDeps,
  invitation: Pick<UserInvitationRecord, '_id' | 'organisationId' | 'email' | 'roles'>,
  action: 'user.invited' | 'user.invitation_resent' | 'user.invitation_revoked',
  actor: Actor,
  at: Date,
  session: mongoose.ClientSession,
): Promise<void> {
  await recordActivity(
    deps.connection,
    { organisationId: invitation.organisationId, actor, action, subject: ref('user_invitation', invitation._id), details: { email: invitation.email, roles: invitation.roles }, at },
    { session },
  );
}

export interface InviteUserInput {
  organisationId: string;
  email: string;
  roles: Role[];
  locale: 'sv' | 'en';
  actor: Actor;
}

export async function inviteUser(deps: InvitationDeps, rawInput: InviteUserInput): Promise<UserInvitationRecord> {
  const input = inviteInput.parse(rawInput);
  const organisationId = new mongoose.Types.ObjectId(rawInput.organisationId);
  const now = deps.clock.now();
  const { token, tokenHash } = newToken();
  return deps.connection.transaction(async (session) => {
    await refuseExistingAccount(deps.connection, input.email, session);
    const pending = await userInvitationModel(deps.connection).exists({ organisationId, email: input.email, acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } }).session(session);
    if (pending) throw new HttpError(409, 'accounts:invite.alreadyInvited', { email: input.email }, { field: 'email' });
    const invitation: UserInvitationRecord = {
      _id: new mongoose.Types.ObjectId(),
      organisationId,
      email: input.email,
      roles: input.roles,
      locale: input.locale,
      tokenHash,
      expiresAt: new Date(now.getTime() + INVITATION_VALID_MS),
      invitedBy: { id: rawInput.actor.id, name: rawInput.actor.name },
      createdAt: now,
      sentAt: now,
      sendCount: 1,
      acceptedAt: null,
      acceptedUserId: null,
      revokedAt: null,
    };
    await userInvitationModel(deps.connection).create([invitation], { session });
    await enqueueInvitationMail(deps, invitation, token, session);
    await recordInvitationActivity(deps, invitation, 'user.invited', rawInput.actor, now, session);
    return invitation;
  });
}

function parseId(id: string): mongoose.Types.ObjectId {
  if (!/^[0-9a-f]{24}$/i.test(id)) throw new HttpError(404, 'common:errors.notFound');
  return new mongoose.Types.ObjectId(id);
}

/** Invitations not accepted or revoked (pending and expired ones, which can be sent again), newest first. */
export async function listOpenInvitations(conn: mongoose.Connection, organisationId: string): Promise<UserInvitationRecord[]> {
  return userInvitationModel(conn)
    .collection.find<UserInvitationRecord>({ organisationId: new mongoose.Types.ObjectId(organisationId), acceptedAt: null, revokedAt: null }, { projection: { tokenHash: 0 } })
    .sort({ sentAt: -1, _id: -1 })
    .limit(500)
    .toArray();
}

export interface InvitationActionInput {
  organisationId: string;
  invitationId: string;
  actor: Actor;
}

async function openInvitation(conn: mongoose.Connection, input: InvitationActionInput, session: mongoose.ClientSession): Promise<UserInvitationRecord> {
  const invitation = await userInvitationModel(conn).collection.findOne<UserInvitationRecord>(
    { _id: parseId(input.invitationId), organisationId: new mongoose.Types.ObjectId(input.organisationId) },
    { session },
  );
  if (!invitation) throw new HttpError(404, 'common:errors.notFound');
  if (invitation.acceptedAt || invitation.revokedAt) throw new HttpError(409, 'accounts:invite.closed');
  return invitation;
}

/** A new link, valid for seven days from now; the previous link stops working. */
export async function resendInvitation(deps: InvitationDeps, input: InvitationActionInput): Promise<UserInvitationRecord> {
  const now = deps.clock.now();
  const { token, tokenHash } = newToken();
  return deps.connection.transaction(async (session) => {
    const invitation = await openInvitation(deps.connection, input, session);
    await refuseExistingAccount(deps.connection, invitation.email, session);
    const updated: UserInvitationRecord = { ...invitation, tokenHash, expiresAt: new Date(now.getTime() + INVITATION_VALID_MS), sentAt: now, sendCount: invitation.sendCount + 1 };
    await userInvitationModel(deps.connection).updateOne(
      { _id: invitation._id, sendCount: invitation.sendCount },
      { $set: { tokenHash, expiresAt: updated.expiresAt, sentAt: now, sendCount: updated.sendCount } },
      { session },
    );
    await enqueueInvitationMail(deps, updated, token, session);
    await recordInvitationActivity(deps, invitation, 'user.invitation_resent', input.actor, now, session);
    return updated;
  });
}

export async function revokeUserInvitation(deps: InvitationDeps, input: InvitationActionInput): Promise<UserInvitationRecord> {
  const now = deps.clock.now();
  return deps.connection.transaction(async (session) => {
    const invitation = await openInvitation(deps.connection, input, session);
    await userInvitationModel(deps.connection).updateOne({ _id: invitation._id }, { $set: { revokedAt: now } }, { session });
    await recordInvitationActivity(deps, invitation, 'user.invitation_revoked', input.actor, now, session);
    return { ...invitation, revokedAt: now };
  });
}

export type InvitationLookup =
  | { status: 'pending'; invitation: UserInvitationRecord; organisationName: string }
  | { status: 'expired' | 'accepted' | 'revoked' | 'unknown' };

const LINK_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/** What a join link leads to. */
export async function lookUpInvitation(conn: mongoose.Connection, token: string, now: Date): Promise<InvitationLookup> {
  if (!LINK_TOKEN.test(token)) return { status: 'unknown' };
  const invitation = await userInvitationModel(conn).collection.findOne<UserInvitationRecord>({ tokenHash: hashToken(token) });
  if (!invitation) return { status: 'unknown' };
  const status = invitationStatus(invitation, now);
  if (status !== 'pending') return { status };
  const organisation = await findOrganisationById(conn, invitation.organisationId);
  return { status, invitation, organisationName: organisation?.name ?? '' };
}

export const acceptInput = z
  .object({
    name: singleLine(200),
    password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
    confirm: z.string().max(MAX_PASSWORD_LENGTH),
  })
  .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'mismatch' });

/**
 * Creates the account the invitation is for and marks the invitation used, both or neither: a link used twice at
 * the same moment creates one account.
 */
export async function acceptInvitation(deps: InvitationDeps, token: string, rawInput: z.input<typeof acceptInput>): Promise<SessionUser> {
  const input = acceptInput.parse(rawInput);
  const now = deps.clock.now();
  const lookup = await lookUpInvitation(deps.connection, token, now);
  if (lookup.status !== 'pending') throw new HttpError(410, 'accounts:join.linkInvalid');
  const { invitation } = lookup;
  const userId = new mongoose.Types.ObjectId();
  // Hashing takes a while on the thread pool; the transaction starts only once it is done.
  const passwordHash = await hashPassword(input.password, passwordHashingFor(deps.config));
  const created = await deps.connection.transaction(async (session) => {
    const claimed = await userInvitationModel(deps.connection).updateOne(
      { _id: invitation._id, tokenHash: invitation.tokenHash, acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } },
      { $set: { acceptedAt: now, acceptedUserId: userId } },
      { session },
    );
    if (claimed.modifiedCount === 0) throw new HttpError(410, 'accounts:join.linkInvalid');
    await refuseExistingAccount(deps.connection, invitation.email, session);
    const user = await insertUser(
      deps.connection,
      { email: invitation.email, name: input.name, roles: invitation.roles, organisationId: invitation.organisationId, locale: invitation.locale },
      passwordHash,
      { session, id: userId },
    );
    await recordActivity(
      deps.connection,
      {
        organisationId: invitation.organisationId,
        actor: { kind: 'user', id: userId.toHexString(), name: input.name },
        action: 'user.invitation_accepted',
        subject: ref('user', userId),
        refs: [ref('user_invitation', invitation._id)],
        details: { name: input.name, email: invitation.email, roles: invitation.roles },
        at: now,
      },
      { session },
    );
    return user;
  });
  return toSessionUser(created);
}
