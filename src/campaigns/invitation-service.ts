import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { noteSupplierInvited } from '../suppliers';
import { invitationModel, INVITATION_LANGUAGES, type InvitationData, type InvitationDocument } from './invitation-model';

export const DEFAULT_INVITATION_DAYS = 60;
const TOKEN_BYTES = 32; // 256 random bits; the brief asks for at least 128
const DAY_MS = 24 * 60 * 60 * 1000;
/** base64url of 16 to 64 random bytes; anything else is rejected before touching the database. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,88}$/;

export interface InvitationDeps {
  connection: mongoose.Connection;
  clock: { now(): Date };
  config: { baseUrl: string };
}

export const createInvitationInput = z.object({
  organisationId: objectIdInput,
  campaignId: objectIdInput,
  supplierId: objectIdInput,
  questionnaireId: z.string().min(1).max(100),
  questionnaireVersion: z.number().int().positive(),
  language: z.enum(INVITATION_LANGUAGES),
  buyerContact: z.object({ name: z.string().trim().min(1).max(200), email: z.email().max(320) }).optional(),
  expiresInDays: z.number().int().min(1).max(366).default(DEFAULT_INVITATION_DAYS),
});
export type CreateInvitationInput = z.input<typeof createInvitationInput>;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** A new link secret and the hash that is stored in its place. */
export function newLinkToken(): { token: string; tokenHash: string } {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}

export function supplierUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/s/${token}`;
}

export async function createInvitation(
  deps: InvitationDeps,
  rawInput: CreateInvitationInput,
): Promise<{ invitation: InvitationDocument; token: string; url: string }> {
  const input = createInvitationInput.parse(rawInput);
  const { token, tokenHash } = newLinkToken();
  const expiresAt = new Date(deps.clock.now().getTime() + input.expiresInDays * DAY_MS);
  const invitation = await invitationModel(deps.connection).create({
    tokenHash,
    organisationId: input.organisationId,
    campaignId: input.campaignId,
    supplierId: input.supplierId,
    questionnaireId: input.questionnaireId,
    questionnaireVersion: input.questionnaireVersion,
    language: input.language,
    buyerContact: input.buyerContact,
    expiresAt,
  });
  // The register's "never invited" filter and its history guard read this.
  await noteSupplierInvited(deps.connection, input.organisationId, [input.supplierId], deps.clock.now());
  return { invitation, token, url: supplierUrl(deps.config.baseUrl, token) };
}

/**
 * Invitations this process recently looked up by token hash, per database (see `resolveInvitation`). Revoking
 * through `revokeInvitation` drops the entry at once; a revocation made by another app instance is seen once the
 * entry is older than the caller's cache time.
 */
interface InvitationCache {
  entries: LRUCache<string, InvitationData>;
  /**
   * Counts this process's revocations. A lookup whose read overlapped one does not cache what it read: its reply may
   * hold the invitation as it was before the revocation, and caching it would undo the revocation's eviction.
   */
  revocations: number;
}
const resolvedInvitations = new WeakMap<mongoose.Connection, InvitationCache>();
const MAX_CACHED_INVITATIONS = 5_000;

function invitationCacheOf(connection: mongoose.Connection): InvitationCache {
  let cache = resolvedInvitations.get(connection);
  if (!cache) {
    cache = { entries: new LRUCache<string, InvitationData>({ max: MAX_CACHED_INVITATIONS, ttl: 1, ttlAutopurge: false }), revocations: 0 };
    resolvedInvitations.set(connection, cache);
  }
  return cache;
}

function forgetInvitation(connection: mongoose.Connection, tokenHash: string): void {
  const cache = resolvedInvitations.get(connection);
  if (!cache) return;
  cache.revocations += 1;
  cache.entries.delete(tokenHash);
}

/** Revokes an invitation of the given organisation; false when there is no such invitation. */
export async function revokeInvitation(
  deps: Pick<InvitationDeps, 'connection' | 'clock'>,
  invitationId: mongoose.Types.ObjectId | string,
  organisationId: mongoose.Types.ObjectId | string,
): Promise<boolean> {
  if (!mongoose.isValidObjectId(invitationId) || !mongoose.isValidObjectId(organisationId)) return false;
  const revoked = await invitationModel(deps.connection)
    .findOneAndUpdate({ _id: invitationId, organisationId, revokedAt: null }, { $set: { revokedAt: deps.clock.now() } }, { projection: { tokenHash: 1 } })
    .lean<Pick<InvitationData, 'tokenHash'>>();
  if (revoked) forgetInvitation(deps.connection, revoked.tokenHash);
  return revoked !== null;
}

/**
 * A further working link to a live invitation of the organisation, for a mail that sends the link again; the link
 * stays valid at least until `validUntil` (an expired link is extended). Null when the invitation is revoked or not
 * the organisation's. Pass the session of the transaction that queues the mail.
 */
export async function issueAdditionalLink(
  deps: Pick<InvitationDeps, 'connection' | 'config'>,
  invitationId: mongoose.Types.ObjectId,
  organisationId: mongoose.Types.ObjectId,
  validUntil: Date,
  options: { session?: mongoose.ClientSession } = {},
): Promise<{ token: string; url: string } | null> {
  const { token, tokenHash } = newLinkToken();
  const updated = await invitationModel(deps.connection).updateOne(
    { _id: invitationId, organisationId, revokedAt: null },
    { $push: { aliasHashes: tokenHash }, $max: { expiresAt: validUntil } },
    { session: options.session },
  );
  return updated.matchedCount === 1 ? { token, url: supplierUrl(deps.config.baseUrl, token) } : null;
}

export type BuyerContact = { name: string; email: string };
export type InvitationResolution =
  | { status: 'valid'; invitation: InvitationData }
  | { status: 'unknown' }
  | { status: 'expired' | 'revoked'; contact?: BuyerContact };

export interface ResolveDeps extends Pick<InvitationDeps, 'connection' | 'clock'> {
  /** With a cache time, a link looked up less than that long ago is answered from memory (supplier pages). */
  config?: { supplierCacheMs: number };
}

async function findInvitation(deps: ResolveDeps, tokenHash: string): Promise<InvitationData | null> {
  const maxAgeMs = deps.config?.supplierCacheMs ?? 0;
  const cache = maxAgeMs > 0 ? invitationCacheOf(deps.connection) : undefined;
  const cached = cache?.entries.get(tokenHash);
  if (cached) return cached;
  const revocationsBefore = cache?.revocations;
  // The driver's collection directly: every supplier request may come here, and the filter needs no casting. A
  // further link is looked up second: two simple indexed lookups cost less than one $or.
  const collection = invitationModel(deps.connection).collection;
  const invitation = (await collection.findOne<InvitationData>({ tokenHash })) ?? (await collection.findOne<InvitationData>({ aliasHashes: tokenHash }));
  // Unknown tokens are not cached: guesses must not fill the cache.
  if (invitation && cache && cache.revocations === revocationsBefore) {
    // Every request shares the cached object: frozen, so no handler can change it for the others.
    cache.entries.set(tokenHash, Object.freeze(invitation), { ttl: maxAgeMs });
  }
  return invitation;
}

/**
 * Looks a link's token up. Expired and revoked links only reveal the buyer's contact, never the questionnaire.
 * Expiry is checked on every call, also for a cached invitation.
 */
export async function resolveInvitation(deps: ResolveDeps, token: string): Promise<InvitationResolution> {
  if (!isWellFormedToken(token)) return { status: 'unknown' };
  const invitation = await findInvitation(deps, hashToken(token));
  if (!invitation) return { status: 'unknown' };
  const contact = contactOf(invitation);
  if (invitation.revokedAt) return { status: 'revoked', contact };
  if (invitation.expiresAt.getTime() <= deps.clock.now().getTime()) return { status: 'expired', contact };
  return { status: 'valid', invitation };
}

function contactOf(invitation: InvitationData): BuyerContact | undefined {
  const contact = invitation.buyerContact;
  return contact ? { name: contact.name, email: contact.email } : undefined;
}
