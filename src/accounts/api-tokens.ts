/**
 * API tokens: per organisation, named, revocable, created by admins. The token is shown once; only its SHA-256
 * hash is stored (256 random bits, so a plain hash is enough: nothing to brute-force).
 */
import { createHash, randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import type { ApiPrincipal, ApiRequestInfo } from '../platform/api';
import { HttpError } from '../platform/errors';
import { objectIdInput } from '../platform/ids';
import { userModel } from './model';

const TOKEN_PREFIX = 'ssa_';
/** lastUsedAt is written at most this often per token, so a busy integration does not write on every call. */
const USE_RECORD_INTERVAL_MS = 60 * 1000;
/**
 * A token's use goes into the activity log at its first call and then at the first call of each following hour (with
 * what was called), so the log shows when and how a token is used without an entry per call.
 */
export const USE_LOG_INTERVAL_MS = 60 * 60 * 1000;

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
    /** When a use was last written to the activity log. */
    useLoggedAt: { type: Date, default: null },
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
  useLoggedAt?: Date | null;
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
export async function resolveApiToken(conn: mongoose.Connection, token: string, now: Date, call?: ApiRequestInfo): Promise<ApiPrincipal | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const record = await apiTokenModel(conn).collection.findOne<ApiTokenRecord>({ tokenHash: hashApiToken(token) });
  if (!record || record.revokedAt) return null;
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() >= USE_RECORD_INTERVAL_MS) {
    await apiTokenModel(conn).collection.updateOne({ _id: record._id }, { $set: { lastUsedAt: now } });
  }
  if (call && (!record.useLoggedAt || now.getTime() - record.useLoggedAt.getTime() >= USE_LOG_INTERVAL_MS)) await logTokenUse(conn, record, call, now);
  return { organisationId: record.organisationId.toHexString(), tokenId: record._id.toHexString(), tokenName: record.name };
}

/** Claims the hour's log entry atomically, so instances serving the same token at once write one entry between them. */
async function logTokenUse(conn: mongoose.Connection, record: ApiTokenRecord, call: ApiRequestInfo, now: Date): Promise<void> {
  const due = new Date(now.getTime() - USE_LOG_INTERVAL_MS);
  const claimed = await apiTokenModel(conn).collection.updateOne(
    { _id: record._id, $or: [{ useLoggedAt: null }, { useLoggedAt: { $exists: false } }, { useLoggedAt: { $lte: due } }] },
    { $set: { useLoggedAt: now } },
  );
  if (claimed.modifiedCount === 0) return;
  await recordActivity(conn, {
    organisationId: record.organisationId,
    actor: { kind: 'api', id: record._id.toHexString(), name: record.name },
    action: 'api_token.used',
    subject: ref('api_token', record._id),
    details: { name: record.name, method: call.method, path: call.path.slice(0, 300), firstUse: !record.useLoggedAt },
    at: now,
  });
}

/** The organisation's tokens, live ones first, each with the name of the admin who created it. */
export async function listApiTokens(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId | string): Promise<Array<ApiTokenRecord & { createdByName: string }>> {
  if (!/^[0-9a-f]{24}$/i.test(String(organisationId))) return [];
  const tokens = await apiTokenModel(conn)
    .collection.find<ApiTokenRecord>({ organisationId: new mongoose.Types.ObjectId(String(organisationId)) }, { projection: { tokenHash: 0 } })
    .sort({ revokedAt: 1, createdAt: -1 })
    .toArray();
  const creatorIds = [...new Set(tokens.flatMap((token) => (token.createdBy ? [token.createdBy.toHexString()] : [])))];
  const creators = await userModel(conn)
    .collection.find<{ _id: mongoose.Types.ObjectId; name: string }>({ _id: { $in: creatorIds.map((id) => new mongoose.Types.ObjectId(id)) } }, { projection: { name: 1 } })
    .toArray();
  const names = new Map(creators.map((creator) => [creator._id.toHexString(), creator.name]));
  return tokens.map((token) => ({ ...token, createdByName: (token.createdBy && names.get(token.createdBy.toHexString())) ?? '' }));
}

/** Revokes a token of the organisation; null when there is no such live token. */
export async function revokeApiToken(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  tokenId: mongoose.Types.ObjectId | string,
  revokedBy: mongoose.Types.ObjectId | string | undefined,
  now: Date,
  options: { session?: mongoose.ClientSession } = {},
): Promise<ApiTokenRecord | null> {
  if (!/^[0-9a-f]{24}$/i.test(String(organisationId)) || !/^[0-9a-f]{24}$/i.test(String(tokenId))) return null;
  return apiTokenModel(conn).collection.findOneAndUpdate(
    { _id: new mongoose.Types.ObjectId(String(tokenId)), organisationId: new mongoose.Types.ObjectId(String(organisationId)), revokedAt: null },
    { $set: { revokedAt: now, revokedBy: revokedBy ? new mongoose.Types.ObjectId(String(revokedBy)) : null } },
    { returnDocument: 'after', projection: { tokenHash: 0 }, session: options.session },
  ) as Promise<ApiTokenRecord | null>;
}

export type ApiTokenDeps = Pick<AppDeps, 'connection' | 'clock'>;

/** An admin creates a token: the token, and the activity entry saying who made it. */
export async function issueApiToken(deps: ApiTokenDeps, input: { organisationId: string; name: string; actor: Actor }): Promise<{ token: string; record: ApiTokenRecord }> {
  const now = deps.clock.now();
  return deps.connection.transaction(async (session) => {
    const issued = await createApiToken(deps.connection, { organisationId: input.organisationId, name: input.name, createdBy: input.actor.id }, now, { session });
    await recordActivity(
      deps.connection,
      { organisationId: input.organisationId, actor: input.actor, action: 'api_token.created', subject: ref('api_token', issued.record._id), details: { name: issued.record.name, hint: issued.record.hint }, at: now },
      { session },
    );
    return issued;
  });
}

/** An admin revokes a token: it stops working at once. 404 for another organisation's token or a revoked one. */
export async function withdrawApiToken(deps: ApiTokenDeps, input: { organisationId: string; tokenId: string; actor: Actor }): Promise<ApiTokenRecord> {
  const now = deps.clock.now();
  return deps.connection.transaction(async (session) => {
    const revoked = await revokeApiToken(deps.connection, input.organisationId, input.tokenId, input.actor.id, now, { session });
    if (!revoked) throw new HttpError(404, 'common:errors.notFound');
    await recordActivity(
      deps.connection,
      { organisationId: input.organisationId, actor: input.actor, action: 'api_token.revoked', subject: ref('api_token', revoked._id), details: { name: revoked.name, hint: revoked.hint }, at: now },
      { session },
    );
    return revoked;
  });
}
