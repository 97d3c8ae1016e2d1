/**
 * The organisation's users as its admins manage them: list, change roles, deactivate and reactivate. The
 * organisation always keeps at least one active admin; a deactivated user's sessions end at once.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { endSessionsOf } from '../platform/session';
import { organisationModel, ROLES, userModel, type Role } from './model';

export const USERS_PAGE_SIZE = 50;

/** One to all three roles, each once, in a fixed order (so "changed" is a plain comparison). */
export const rolesInput = z
  .array(z.enum(ROLES))
  .min(1)
  .max(ROLES.length * 2)
  .transform((roles) => ROLES.filter((role) => roles.includes(role)));

export interface UserSummary {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  active: boolean;
  deactivatedAt: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date | null;
  locale: 'sv' | 'en';
}

interface StoredUser {
  _id: mongoose.Types.ObjectId;
  name: string;
  email: string;
  roles: Role[];
  active: boolean;
  deactivatedAt?: Date | null;
  lastLoginAt?: Date | null;
  createdAt?: Date | null;
  locale?: string;
}

const USER_FIELDS = { name: 1, email: 1, roles: 1, active: 1, deactivatedAt: 1, lastLoginAt: 1, createdAt: 1, locale: 1 } as const;

function toSummary(user: StoredUser): UserSummary {
  return {
    id: user._id.toHexString(),
    name: user.name,
    email: user.email,
    roles: ROLES.filter((role) => user.roles.includes(role)),
    active: user.active,
    deactivatedAt: user.deactivatedAt ?? null,
    lastLoginAt: user.lastLoginAt ?? null,
    createdAt: user.createdAt ?? null,
    locale: user.locale === 'en' ? 'en' : 'sv',
  };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const userListQuery = z.object({
  q: z.string().trim().max(200).optional(),
  status: z.enum(['active', 'deactivated']).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type UserListQuery = z.output<typeof userListQuery>;

export async function listUsers(
  conn: mongoose.Connection,
  organisationId: string,
  query: Partial<UserListQuery> = {},
): Promise<{ users: UserSummary[]; total: number; page: number; pages: number }> {
  const filter: Record<string, unknown> = { organisationId: new mongoose.Types.ObjectId(organisationId) };
  if (query.q) {
    const pattern = { $regex: escapeRegex(query.q), $options: 'i' };
    filter.$or = [{ name: pattern }, { email: pattern }];
  }
  if (query.status) filter.active = query.status === 'active';
  const page = query.page ?? 1;
  const collection = userModel(conn).collection;
  const [users, total] = await Promise.all([
    collection
      .find<StoredUser>(filter, { projection: USER_FIELDS })
      .sort({ name: 1, _id: 1 })
      .skip((page - 1) * USERS_PAGE_SIZE)
      .limit(USERS_PAGE_SIZE)
      .toArray(),
    collection.countDocuments(filter),
  ]);
  return { users: users.map(toSummary), total, page, pages: Math.max(1, Math.ceil(total / USERS_PAGE_SIZE)) };
}

/** Every user's id and name, by name (for choosing a person in a filter). */
export async function listUserNames(conn: mongoose.Connection, organisationId: string): Promise<Array<{ id: string; name: string }>> {
  const users = await userModel(conn)
    .collection.find<{ _id: mongoose.Types.ObjectId; name: string }>({ organisationId: new mongoose.Types.ObjectId(organisationId) }, { projection: { name: 1 } })
    .sort({ name: 1, _id: 1 })
    .toArray();
  return users.map((user) => ({ id: user._id.toHexString(), name: user.name }));
}

/** A user of the organisation; 404 for another organisation's user and for a malformed id alike. */
export async function getOrganisationUser(conn: mongoose.Connection, organisationId: string, userId: string, session?: mongoose.ClientSession): Promise<UserSummary> {
  if (!/^[0-9a-f]{24}$/i.test(userId)) throw new HttpError(404, 'common:errors.notFound');
  const user = await userModel(conn).collection.findOne<StoredUser>(
    { _id: new mongoose.Types.ObjectId(userId), organisationId: new mongoose.Types.ObjectId(organisationId) },
    { projection: USER_FIELDS, session },
  );
  if (!user) throw new HttpError(404, 'common:errors.notFound');
  return toSummary(user);
}

/**
 * Refuses a change that would leave no active admin. The organisation document is written in the same transaction, so
 * two admins demoting each other at the same moment conflict instead of both succeeding.
 */
async function keepAnActiveAdmin(conn: mongoose.Connection, organisationId: string, userId: string, session: mongoose.ClientSession): Promise<void> {
  const others = await userModel(conn).countDocuments(
    { organisationId: new mongoose.Types.ObjectId(organisationId), _id: { $ne: new mongoose.Types.ObjectId(userId) }, active: true, roles: 'admin' },
    { session },
  );
  if (others === 0) throw new HttpError(409, 'accounts:users.lastAdmin', {}, { field: 'roles' });
  await organisationModel(conn).updateOne({ _id: organisationId }, { $inc: { adminsVersion: 1 } }, { session });
}

export type UserAdminDeps = Pick<AppDeps, 'connection' | 'clock'>;

export interface ChangeRolesInput {
  organisationId: string;
  userId: string;
  roles: Role[];
  actor: Actor;
}

export async function changeRoles(deps: UserAdminDeps, input: ChangeRolesInput): Promise<UserSummary> {
  const { roles } = z.object({ roles: rolesInput }).parse({ roles: input.roles });
  const now = deps.clock.now();
  return deps.connection.transaction(async (session) => {
    const user = await getOrganisationUser(deps.connection, input.organisationId, input.userId, session);
    if (user.roles.join() === roles.join()) return user;
    if (user.active && user.roles.includes('admin') && !roles.includes('admin')) await keepAnActiveAdmin(deps.connection, input.organisationId, user.id, session);
    await userModel(deps.connection).updateOne({ _id: user.id }, { $set: { roles } }, { session });
    await recordActivity(
      deps.connection,
      {
        organisationId: input.organisationId,
        actor: input.actor,
        action: 'user.roles_changed',
        subject: ref('user', user.id),
        details: { name: user.name, email: user.email, from: user.roles, to: roles },
        at: now,
      },
      { session },
    );
    return { ...user, roles };
  });
}

export interface SetActiveInput {
  organisationId: string;
  userId: string;
  active: boolean;
  actor: Actor;
}

/** Deactivating ends the user's sessions at once (stored sessions are deleted; passport refuses inactive users). */
export async function setUserActive(deps: UserAdminDeps, input: SetActiveInput): Promise<UserSummary> {
  const now = deps.clock.now();
  const updated = await deps.connection.transaction(async (session) => {
    const user = await getOrganisationUser(deps.connection, input.organisationId, input.userId, session);
    if (user.active === input.active) return user;
    if (!input.active && user.roles.includes('admin')) await keepAnActiveAdmin(deps.connection, input.organisationId, user.id, session);
    const deactivatedAt = input.active ? null : now;
    await userModel(deps.connection).updateOne({ _id: user.id }, { $set: { active: input.active, deactivatedAt } }, { session });
    await recordActivity(
      deps.connection,
      {
        organisationId: input.organisationId,
        actor: input.actor,
        action: input.active ? 'user.reactivated' : 'user.deactivated',
        subject: ref('user', user.id),
        details: { name: user.name, email: user.email },
        at: now,
      },
      { session },
    );
    return { ...user, active: input.active, deactivatedAt };
  });
  if (!updated.active) await endSessionsOf(deps.connection, updated.id);
  return updated;
}
