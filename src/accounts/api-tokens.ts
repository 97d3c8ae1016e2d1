/**
 * API tokens: per organisation, named, revocable, created by admins. The token is shown once; only its SHA-256
 * hash is stored (256 random bits, so a plain hash is enough: nothing to brute-force).
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { z } from 'zod';
import type { ApiPrincipal } from '../platform/api';
import { objectIdInput } from '../platform/ids';

const TOKEN_PREFIX = 'ssa_';
/** lastUsedAt is written at most this often per token, so a busy integration does not write on every call. */
const USE_RECORD_INTERVAL_MS = 60 * 1000;

const apiTokenSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true, trim: true, maxlength: 100 },
    tokenHash: { type: String, required: true },
    /** The first characters, shown in lists so admins can tell tokens apart. */
    hint: { type: String, required: true },
    createdBy: { type: Schema.Types.ObjectId, default: null },
    createdAt: { type: Date, required: true },
    lastUsedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    revokedBy: { type: Schema.Types.ObjectId, default: null },
  },
  { collection: 'api_tokens', versionKey: false },
);
apiTokenSchema.index({ tokenHash: 1 }, { unique: true });

function registerApiTokenModel(conn: mongoose.Connection) {
  return conn.model('ApiToken', apiTokenSchema);
}
export type ApiTokenModel = ReturnType<typeof registerApiTokenModel>;

export function apiTokenModel(conn: mongoose.Connection): ApiTokenModel {
  return (conn.models.ApiToken as ApiTokenModel | undefined) ?? registerApiTokenModel(conn);
}

export interface ApiTokenRecord {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  name: string;
  tokenHash: string;
  hint: string;
  createdBy: mongoose.Types.ObjectId | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: mongoose.Types.ObjectId | null;
}

function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export const createApiTokenInput = z.object({
  organisationId: objectIdInput,
  name: z.string().trim().min(1).max(100),
  createdBy: objectIdInput.optional(),
});

/** Creates a token; the plain token is returned here only. */
export async function createApiToken(
  conn: mongoose.Connection,
  rawInput: z.input<typeof createApiTokenInput>,
  now: Date,
  options: { session?: mongoose.ClientSession } = {},
): Promise<{ token: string; record: ApiTokenRecord }> {
  const input = createApiTokenInput.parse(rawInput);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const [doc] = await apiTokenModel(conn).create(
    [{ organisationId: input.organisationId, name: input.name, tokenHash: hashApiToken(token), hint: token.slice(0, TOKEN_PREFIX.length + 4), createdBy: input.createdBy ?? null, createdAt: now }],
    { session: options.session },
  );
  if (!doc) throw new Error('token not created');
  return { token, record: doc.toObject() as ApiTokenRecord };
}

/** The organisation behind a token, or null for unknown and revoked ones. */
export async function resolveApiToken(conn: mongoose.Connection, token: string, now: Date): Promise<ApiPrincipal | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const record = await apiTokenModel(conn).collection.findOne<ApiTokenRecord>({ tokenHash: hashApiToken(token) });
  if (!record || record.revokedAt) return null;
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= USE_RECORD_INTERVAL_MS) {
    await apiTokenModel(conn).collection.updateOne({ _id: record._id }, { $set: { lastUsedAt: now } });
  }
  return { organisationId: record.organisationId.toHexString(), tokenId: record._id.toHexString(), tokenName: record.name };
}

export async function listApiTokens(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId | string): Promise<ApiTokenRecord[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  return apiTokenModel(conn)
    .collection.find<ApiTokenRecord>({ organisationId: new mongoose.Types.ObjectId(String(organisationId)) }, { projection: { tokenHash: 0 } })
    .sort({ revokedAt: 1, createdAt: -1 })
    .toArray();
}

/** Revokes a token of the organisation; null when there is no such live token. */
export async function revokeApiToken(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  tokenId: mongoose.Types.ObjectId | string,
  revokedBy: mongoose.Types.ObjectId | string | undefined,
  now: Date,
): Promise<ApiTokenRecord | null> {
  if (!mongoose.isValidObjectId(organisationId) || !mongoose.isValidObjectId(tokenId)) return null;
  return apiTokenModel(conn).collection.findOneAndUpdate(
    { _id: new mongoose.Types.ObjectId(String(tokenId)), organisationId: new mongoose.Types.ObjectId(String(organisationId)), revokedAt: null },
    { $set: { revokedAt: now, revokedBy: revokedBy ? new mongoose.Types.ObjectId(String(revokedBy)) : null } },
    { returnDocument: 'after', projection: { tokenHash: 0 } },
  ) as Promise<ApiTokenRecord | null>;
}
