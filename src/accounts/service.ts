import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { organisationModel, ROLES, USER_LOCALES, userModel, type OrganisationDocument, type Role, type UserDocument } from './model';
import { dummyHash, hashPassword, PASSWORD_HASHING, verifyPassword, type ScryptCost } from './passwords';

export const MIN_PASSWORD_LENGTH = 10;
/** Long enough for any passphrase or password manager, short enough that hashing it costs nothing extra. */
export const MAX_PASSWORD_LENGTH = 200;

/** What the session knows about a logged-in user (passport puts it on `req.user`). */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  organisationId: string;
  locale: 'sv' | 'en';
}

/** Text shown on one line (names in headers, mail subjects): no line breaks or other control characters. */
export function singleLine(max: number) {
  // eslint-disable-next-line no-control-regex
  return z.string().trim().min(1).max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be one line of text');
}

export const createOrganisationInput = z.object({
  name: singleLine(200),
  contactName: z.string().trim().min(1).max(200).optional(),
  contactEmail: z.email().max(320).optional(),
});

export const createUserInput = z.object({
  email: z.email().max(320).transform((email) => email.toLowerCase()),
  name: singleLine(200),
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

export const newUserFields = createUserInput.omit({ password: true });

/** Stores a user whose password was hashed already (so a transaction never waits for the hash). */
export async function insertUser(
  conn: mongoose.Connection,
  input: z.input<typeof newUserFields>,
  passwordHash: string,
  options: { session?: mongoose.ClientSession; id?: mongoose.Types.ObjectId } = {},
): Promise<UserDocument> {
  const fields = newUserFields.parse(input);
  const [user] = await userModel(conn).create([{ ...fields, ...(options.id ? { _id: options.id } : {}), passwordHash }], { session: options.session });
  if (!user) throw new Error('user not created');
  return user;
}

export async function createUser(
  conn: mongoose.Connection,
  input: z.input<typeof createUserInput>,
  options: { hashing?: ScryptCost; session?: mongoose.ClientSession } = {},
): Promise<UserDocument> {
  const { password, ...fields } = createUserInput.parse(input);
  return insertUser(conn, fields, await hashPassword(password, options.hashing), { session: options.session });
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

/** What a login attempt found: the account (when the email is known) and whether it may log in. */
export interface CredentialCheck {
  /** The user, when the email belongs to an active account and the password matches. */
  user: SessionUser | null;
  /** The account the email belongs to (active or not), for the activity log of a failed attempt. */
  account: { id: string; organisationId: string; name: string; active: boolean } | null;
}

/**
 * Checks an email and password; never says which of the two was wrong. An unknown email is compared against a dummy
 * hash of the same cost, so it takes as long as a wrong password. A matching bcrypt hash (or a weaker scrypt one) is
 * replaced by a hash at `hashing`.
 */
export async function checkCredentials(
  conn: mongoose.Connection,
  email: string,
  password: string,
  now: Date,
  hashing: ScryptCost = PASSWORD_HASHING,
): Promise<CredentialCheck> {
  const user = await userModel(conn).findOne({ email: email.trim().toLowerCase() });
  const check = await verifyPassword(password, user?.passwordHash ?? (await dummyHash(hashing)), hashing);
  if (!user) return { user: null, account: null };
  const account = { id: user._id.toString(), organisationId: user.organisationId.toString(), name: user.name, active: user.active };
  if (!check.matches || !user.active) return { user: null, account };
  const update: Record<string, unknown> = { lastLoginAt: now };
  if (check.needsRehash) update.passwordHash = await hashPassword(password, hashing);
  // Only over the hash that was checked: a password changed meanwhile is not overwritten with the old one.
  await userModel(conn).updateOne({ _id: user._id, passwordHash: user.passwordHash }, { $set: update });
  return { user: toSessionUser(user), account };
}

export async function findSessionUser(conn: mongoose.Connection, id: string): Promise<SessionUser | null> {
  if (!mongoose.isValidObjectId(id)) return null;
  const user = await userModel(conn).findById(id);
  return user?.active ? toSessionUser(user) : null;
}
