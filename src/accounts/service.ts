import bcrypt from 'bcryptjs';
import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { organisationModel, ROLES, USER_LOCALES, userModel, type OrganisationDocument, type Role, type UserDocument } from './model';

/** bcrypt cost: 12 in production; tests pass a lower one through `createUser` options to stay fast. */
export const DEFAULT_BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 72; // bcrypt ignores bytes beyond 72

/** What the session knows about a logged-in user (passport puts it on `req.user`). */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  organisationId: string;
  locale: 'sv' | 'en';
}

export const createOrganisationInput = z.object({
  name: z.string().trim().min(1).max(200),
  contactName: z.string().trim().min(1).max(200).optional(),
  contactEmail: z.email().max(320).optional(),
});

export const createUserInput = z.object({
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
  roles: z.array(z.enum(ROLES)).min(1).transform((roles) => [...new Set(roles)]),
  organisationId: objectIdInput,
  locale: z.enum(USER_LOCALES).default('sv'),
});

export async function createOrganisation(conn: mongoose.Connection, input: z.input<typeof createOrganisationInput>): Promise<OrganisationDocument> {
  return organisationModel(conn).create(createOrganisationInput.parse(input));
}

export async function findOrganisationByName(conn: mongoose.Connection, name: string): Promise<OrganisationDocument | null> {
  return organisationModel(conn).findOne({ name });
}

export async function findOrganisationById(conn: mongoose.Connection, id: string | mongoose.Types.ObjectId): Promise<OrganisationDocument | null> {
  if (!mongoose.isValidObjectId(id)) return null;
  return organisationModel(conn).findById(id);
}

export async function hashPassword(password: string, cost: number = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password, cost);
}

export async function createUser(
  conn: mongoose.Connection,
  input: z.input<typeof createUserInput>,
  options: { bcryptCost?: number } = {},
): Promise<UserDocument> {
  const { password, ...fields } = createUserInput.parse(input);
  const passwordHash = await hashPassword(password, options.bcryptCost);
  return userModel(conn).create({ ...fields, passwordHash });
}

export function toSessionUser(user: UserDocument): SessionUser {
  return {
    id: user._id.toString(),
    email: user.email,
    name: user.name,
    roles: [...user.roles],
    organisationId: user.organisationId.toString(),
    locale: user.locale === 'en' ? 'en' : 'sv',
  };
}

// Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
const DUMMY_HASH = bcrypt.hashSync('not-a-real-password', 10);

/** The user for these credentials, or null; never says which of the two was wrong. */
export async function authenticate(conn: mongoose.Connection, email: string, password: string, now: Date): Promise<SessionUser | null> {
  const user = await userModel(conn).findOne({ email: email.trim().toLowerCase() });
  const matches = await bcrypt.compare(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !matches || !user.active) return null;
  await userModel(conn).updateOne({ _id: user._id }, { $set: { lastLoginAt: now } });
  return toSessionUser(user);
}

export async function findSessionUser(conn: mongoose.Connection, id: string): Promise<SessionUser | null> {
  if (!mongoose.isValidObjectId(id)) return null;
  const user = await userModel(conn).findById(id);
  return user?.active ? toSessionUser(user) : null;
}
