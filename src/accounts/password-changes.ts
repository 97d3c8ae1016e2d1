/**
 * Forgotten and changed passwords. A reset link is single-use and valid for an hour; only its SHA-256 hash is kept,
 * on the user, so a newer request replaces it and using it or changing the password removes it. Every password
 * change ends the user's other sessions and is confirmed by mail.
 *
 * No account enumeration: a reset request for an unknown address gets the same answer after the same work (one user
 * lookup and one job scheduled); the job for a known, active account writes the link and its mail.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { formatDateTime, isLang, type Lang } from '../platform/i18n';
import type { JobRecord } from '../platform/jobs';
import { renderMail } from '../platform/mail/render';
import { endSessionsOf } from '../platform/session';
import { RESET_FORM_ACTOR, userActor } from './actors';
import { userModel, type UserDocument } from './model';
import { hashPassword, passwordHashingFor, verifyPassword } from './passwords';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type SessionUser } from './service';
import { accountKey, blockedFor, clearKey, countEvents, ipKey, LOGIN_PER_ACCOUNT, RESET_PER_ACCOUNT, RESET_PER_IP } from './throttle';

export const RESET_VALID_MS = 60 * 60 * 1000;
export const PASSWORD_RESET_JOB = 'accounts.password-reset';
export const RESET_PATH = '/password/reset';

export type PasswordDeps = Pick<AppDeps, 'connection' | 'clock' | 'config' | 'outbox' | 'i18n' | 'scheduler'>;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const LINK_TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

export const newPasswordInput = z
  .object({
    password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
    confirm: z.string().max(MAX_PASSWORD_LENGTH),
  })
  .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'mismatch' });

export interface ResetRequest {
  email: string;
  ip: string | undefined;
  lang: Lang;
}

function minutes(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

/**
 * Takes a reset request. Too many requests from one address are refused (429); too many for one account are
 * silently not sent, since saying so would tell that the account exists.
 */
export async function requestPasswordReset(deps: PasswordDeps, request: ResetRequest): Promise<void> {
  const now = deps.clock.now();
  const address = ipKey(RESET_PER_IP, request.ip);
  const account = accountKey(RESET_PER_ACCOUNT, request.email);
  const addressWait = await blockedFor(deps.connection, [address], now);
  if (addressWait > 0) throw new HttpError(429, 'accounts:forgot.tooMany', { minutes: minutes(addressWait) }, { field: 'email' });
  const accountWait = await blockedFor(deps.connection, [account], now);
  await countEvents(deps.connection, deps.scheduler, [address, account], now);
  if (accountWait > 0) return;
  const user = await userModel(deps.connection).findOne({ email: request.email.trim().toLowerCase(), active: true }, { _id: 1 });
  // Scheduled for unknown addresses too (with no user), so both cost the same; the job then has nothing to do.
  const requestId = randomUUID();
  await deps.scheduler.schedule(PASSWORD_RESET_JOB, requestId, now, {
    payload: { userId: user ? String(user._id) : null, requestId, lang: request.lang, ip: request.ip ?? null },
  });
}

const resetJobPayload = z.object({
  userId: z.string().regex(/^[0-9a-f]{24}$/).nullable(),
  requestId: z.string().min(1).max(100),
  lang: z.string(),
  ip: z.string().max(100).nullable(),
});

/** The job behind a reset request: writes the link and its mail, once per request (it may run again after a crash). */
export async function sendPasswordReset(deps: PasswordDeps, job: JobRecord): Promise<void> {
  const payload = resetJobPayload.parse(job.payload);
  if (!payload.userId) return;
  const user = await userModel(deps.connection).findOne({ _id: payload.userId, active: true });
  if (!user || user.passwordReset?.requestId === payload.requestId) return;
  const now = deps.clock.now();
  const token = randomBytes(32).toString('base64url');
  const lang: Lang = isLang(payload.lang) ? payload.lang : 'sv';
  const expiresAt = new Date(now.getTime() + RESET_VALID_MS);
  await deps.connection.transaction(async (session) => {
    await userModel(deps.connection).updateOne({ _id: user._id }, { $set: { passwordReset: { tokenHash: hashToken(token), requestId: payload.requestId, expiresAt } } }, { session });
    const t = deps.i18n.getFixedT(lang);
    const { html, text } = await renderMail('accounts/password-reset', {
      lang,
      t,
      name: user.name,
      url: `${deps.config.baseUrl}${RESET_PATH}/${token}`,
      expiresAt: formatDateTime(lang, expiresAt),
    });
    await deps.outbox.enqueue(
      {
        organisationId: user.organisationId,
        to: user.email,
        subject: t('accounts:mail.reset.subject'),
        text,
        html,
        category: 'password-reset',
        refs: [ref('user', user._id)],
        dedupeKey: `password-reset:${payload.requestId}`,
      },
      { session },
    );
    await recordActivity(
      deps.connection,
      {
        organisationId: user.organisationId,
        actor: RESET_FORM_ACTOR,
        action: 'user.password_reset_requested',
        subject: ref('user', user._id),
        details: { name: user.name, ip: payload.ip },
        at: now,
      },
      { session },
    );
  });
}

/** The account a reset link is for, while the link is valid. */
export async function findResetAccount(conn: mongoose.Connection, token: string, now: Date): Promise<{ email: string } | null> {
  if (!LINK_TOKEN.test(token)) return null;
  const user = await userModel(conn).findOne({ 'passwordReset.tokenHash': hashToken(token), 'passwordReset.expiresAt': { $gt: now }, active: true }, { email: 1 });
  return user ? { email: user.email } : null;
}

async function enqueuePasswordChangedMail(deps: PasswordDeps, user: UserDocument, at: Date, session: mongoose.ClientSession): Promise<void> {
  const lang: Lang = user.locale === 'en' ? 'en' : 'sv';
  const t = deps.i18n.getFixedT(lang);
  const { html, text } = await renderMail('accounts/password-changed', {
    lang,
    t,
    name: user.name,
    email: user.email,
    at: formatDateTime(lang, at),
    resetUrl: `${deps.config.baseUrl}/password/forgot`,
  });
  await deps.outbox.enqueue(
    { organisationId: user.organisationId, to: user.email, subject: t('accounts:mail.changed.subject'), text, html, category: 'password-changed', refs: [ref('user', user._id)] },
    { session },
  );
}

/** Sets the new password through a reset link; the link works once. Ends every session of the user. */
export async function completePasswordReset(deps: PasswordDeps, token: string, form: z.input<typeof newPasswordInput>): Promise<{ email: string }> {
  const { password } = newPasswordInput.parse(form);
  const now = deps.clock.now();
  if (!(await findResetAccount(deps.connection, token, now))) throw new HttpError(410, 'accounts:reset.linkInvalid');
  const passwordHash = await hashPassword(password, passwordHashingFor(deps.config));
  const user = await deps.connection.transaction(async (session) => {
    const updated = await userModel(deps.connection).findOneAndUpdate(
      { 'passwordReset.tokenHash': hashToken(token), 'passwordReset.expiresAt': { $gt: now }, active: true },
      { $set: { passwordHash, passwordReset: null } },
      { session, new: true },
    );
    if (!updated) throw new HttpError(410, 'accounts:reset.linkInvalid');
    await recordActivity(
      deps.connection,
      { organisationId: updated.organisationId, actor: userActor({ id: updated._id.toHexString(), name: updated.name }), action: 'user.password_reset_completed', subject: ref('user', updated._id), details: { name: updated.name }, at: now },
      { session },
    );
    await enqueuePasswordChangedMail(deps, updated, now, session);
    return updated;
  });
  await endSessionsOf(deps.connection, user._id.toHexString());
  // Whoever guessed at the account before is shut out by the new password; its owner may log in at once.
  await clearKey(deps.connection, accountKey(LOGIN_PER_ACCOUNT, user.email));
  return { email: user.email };
}

export const changePasswordInput = z
  .object({
    current: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
    confirm: z.string().max(MAX_PASSWORD_LENGTH),
  })
  .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'mismatch' });

export interface ChangePasswordInput {
  user: SessionUser;
  /** The session that stays logged in; every other session of the user ends. */
  sessionId: string;
  ip: string | undefined;
  form: z.input<typeof changePasswordInput>;
}

/**
 * A logged-in user changes their password. The current password is checked under the same per-account throttle as
 * logins, so a session left open cannot be used to guess it.
 */
export async function changePassword(deps: PasswordDeps, input: ChangePasswordInput): Promise<void> {
  const form = changePasswordInput.parse(input.form);
  const now = deps.clock.now();
  const throttle = accountKey(LOGIN_PER_ACCOUNT, input.user.email);
  const wait = await blockedFor(deps.connection, [throttle], now);
  if (wait > 0) throw new HttpError(429, 'accounts:password.tooMany', { minutes: minutes(wait) }, { field: 'current' });
  const user = await userModel(deps.connection).findOne({ _id: input.user.id, active: true });
  if (!user) throw new HttpError(401, 'common:errors.unauthenticated');
  const hashing = passwordHashingFor(deps.config);
  const check = await verifyPassword(form.current, user.passwordHash, hashing);
  if (!check.matches) {
    await countEvents(deps.connection, deps.scheduler, [throttle], now);
    throw new HttpError(400, 'accounts:password.currentWrong', {}, { field: 'current' });
  }
  const passwordHash = await hashPassword(form.password, hashing);
  await deps.connection.transaction(async (session) => {
    const updated = await userModel(deps.connection).findOneAndUpdate(
      { _id: user._id, passwordHash: user.passwordHash },
      { $set: { passwordHash, passwordReset: null } },
      { session, new: true },
    );
    // Changed in another tab meanwhile: the current password checked above is no longer current.
    if (!updated) throw new HttpError(409, 'accounts:password.changedMeanwhile', {}, { field: 'current' });
    await recordActivity(
      deps.connection,
      { organisationId: user.organisationId, actor: userActor(input.user), action: 'user.password_changed', subject: ref('user', user._id), details: { name: user.name }, at: now },
      { session },
    );
    await enqueuePasswordChangedMail(deps, updated, now, session);
  });
  await endSessionsOf(deps.connection, input.user.id, { exceptSessionId: input.sessionId });
  await clearKey(deps.connection, throttle);
}
