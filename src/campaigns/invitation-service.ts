import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { noteSupplierInvited } from '../suppliers';
import { invitationModel, INVITATION_LANGUAGES, type InvitationData, type InvitationDocument } from './invitation-model';
import { campaignModel } from './model';

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
  /** The person the link is for (campaigns always give one; see sending.ts). */
  contact: z.object({ name: z.string().trim().min(1).max(200), email: z.email().max(320), language: z.enum(INVITATION_LANGUAGES) }).optional(),
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
    contact: input.contact,
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

/** Drops every cached link (first and reminder links) of one invitation. */
export function forgetInvitationById(connection: mongoose.Connection, invitationId: mongoose.Types.ObjectId): void {
  const cache = resolvedInvitations.get(connection);
  if (!cache) return;
  cache.revocations += 1;
  for (const [tokenHash, invitation] of cache.entries.entries()) {
    if (invitation._id.equals(invitationId)) cache.entries.delete(tokenHash);
  }
}

/** This process's cached copies of an invitation learn that it was opened (so the next request does not record it again). */
export function noteOpenedInCache(connection: mongoose.Connection, invitationId: mongoose.Types.ObjectId, at: Date): void {
  const cache = resolvedInvitations.get(connection);
  if (!cache) return;
  for (const [tokenHash, invitation] of cache.entries.entries()) {
    if (!invitation._id.equals(invitationId) || invitation.firstOpenedAt) continue;
    const ttl = cache.entries.getRemainingTTL(tokenHash);
    if (ttl > 0) cache.entries.set(tokenHash, Object.freeze({ ...invitation, firstOpenedAt: at }), { ttl });
  }
}

/** Revokes an invitation of the given organisation; false when there is no such invitation. */
export async function revokeInvitation(
  deps: Pick<InvitationDeps, 'connection' | 'clock'>,
  invitationId: mongoose.Types.ObjectId | string,
  organisationId: mongoose.Types.ObjectId | string,
): Promise<boolean> {
  if (!mongoose.isValidObjectId(invitationId) || !mongoose.isValidObjectId(organisationId)) return false;
  const revoked = await invitationModel(deps.connection)
    .findOneAndUpdate({ _id: invitationId, organisationId, revokedAt: null }, { $set: { revokedAt: deps.clock.now() }, $unset: { activeKey: '' } }, { projection: { _id: 1 } })
    .lean<Pick<InvitationData, '_id'>>();
  if (revoked) forgetInvitationById(deps.connection, revoked._id);
  return revoked !== null;
}

/** A link a campaign sent works until this long after the campaign's due date (late answers are welcome), or until the campaign is closed. */
export const LINK_GRACE_DAYS = 60;

export function linkExpiry(dueDate: Date): Date {
  return new Date(dueDate.getTime() + LINK_GRACE_DAYS * DAY_MS);
}

/** What a link needs to know about its campaign: whether it is closed, and the due date the supplier is given. */
interface CampaignState {
  deadline: Date;
  status: string;
}

/**
 * Campaign states this process recently read, per database, for the same time as links (`supplierCacheMs`): every
 * supplier request checks its campaign, and closing or extending a campaign drops its entry here at once
 * (`forgetCampaignState`); another instance's change is seen within the cache time, as a revocation is.
 */
const campaignStates = new WeakMap<mongoose.Connection, LRUCache<string, CampaignState>>();

function campaignStatesOf(connection: mongoose.Connection): LRUCache<string, CampaignState> {
  let cache = campaignStates.get(connection);
  if (!cache) {
    cache = new LRUCache<string, CampaignState>({ max: 1_000, ttl: 1, ttlAutopurge: false });
    campaignStates.set(connection, cache);
  }
  return cache;
}

export function forgetCampaignState(connection: mongoose.Connection, campaignId: mongoose.Types.ObjectId): void {
  campaignStates.get(connection)?.delete(campaignId.toHexString());
}

async function campaignStateOf(deps: ResolveDeps, campaignId: mongoose.Types.ObjectId): Promise<CampaignState | undefined> {
  const maxAgeMs = deps.config?.supplierCacheMs ?? 0;
  const key = campaignId.toHexString();
  const cached = maxAgeMs > 0 ? campaignStatesOf(deps.connection).get(key) : undefined;
  if (cached) return cached;
  const campaign = await campaignModel(deps.connection).collection.findOne<CampaignState>({ _id: campaignId }, { projection: { deadline: 1, status: 1 } });
  if (!campaign) return undefined;
  const state = Object.freeze({ deadline: campaign.deadline, status: campaign.status });
  if (maxAgeMs > 0) campaignStatesOf(deps.connection).set(key, state, { ttl: maxAgeMs });
  return state;
}

/** When a link stops working: its own expiry, or its campaign's due date and grace period. */
export function effectiveExpiry(invitation: Pick<InvitationData, 'expiresAt'>, campaign: { deadline: Date } | undefined): Date | undefined {
  return invitation.expiresAt ?? (campaign ? linkExpiry(campaign.deadline) : undefined);
}

/**
 * A further working link to a live invitation of the organisation, for a mail that sends the link again (a request
 * for changes); the link works at least until `validUntil`, even if the campaign is closed or its links lapsed. Null
 * when the invitation is revoked or not the organisation's. Pass the session of the transaction that queues the mail.
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
    { $push: { aliasHashes: tokenHash }, $max: { keepOpenUntil: validUntil } },
    { session: options.session },
  );
  forgetInvitationById(deps.connection, invitationId);
  return updated.matchedCount === 1 ? { token, url: supplierUrl(deps.config.baseUrl, token) } : null;
}

export type BuyerContact = { name: string; email: string };
export type InvitationResolution =
  /** `dueAt`: the campaign's due date, shown to the supplier. */
  | { status: 'valid'; invitation: InvitationData; dueAt: Date }
  | { status: 'unknown' }
  | { status: 'expired' | 'revoked' | 'closed'; contact?: BuyerContact };

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
  // further link (a reminder's, a request for changes') is looked up second: two simple indexed lookups cost less
  // than one $or.
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
 * Looks a link's token up. Expired, revoked and closed links only reveal the buyer's contact, never the
 * questionnaire. Expiry is checked on every call, also for a cached invitation.
 */
export async function resolveInvitation(deps: ResolveDeps, token: string): Promise<InvitationResolution> {
  if (!isWellFormedToken(token)) return { status: 'unknown' };
  const invitation = await findInvitation(deps, hashToken(token));
  if (!invitation) return { status: 'unknown' };
  const contact = contactOf(invitation);
  if (invitation.revokedAt) return { status: 'revoked', contact };
  const campaign = await campaignStateOf(deps, invitation.campaignId);
  const now = deps.clock.now().getTime();
  if (invitation.keepOpenUntil && invitation.keepOpenUntil.getTime() > now) return { status: 'valid', invitation, dueAt: campaign?.deadline ?? invitation.keepOpenUntil };
  if (campaign?.status === 'closed') return { status: 'closed', contact };
  const expiresAt = effectiveExpiry(invitation, campaign);
  if (!expiresAt || expiresAt.getTime() <= now) return { status: 'expired', contact };
  return { status: 'valid', invitation, dueAt: campaign?.deadline ?? expiresAt };
}

function contactOf(invitation: InvitationData): BuyerContact | undefined {
  const contact = invitation.buyerContact;
  return contact ? { name: contact.name, email: contact.email } : undefined;
}
