import { createHash, randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { z } from 'zod';
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

const objectIdLike = z.union([
  z.instanceof(mongoose.Types.ObjectId),
  z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id'),
]);

export const createInvitationInput = z.object({
  organisationId: objectIdLike,
  campaignId: objectIdLike,
  supplierId: objectIdLike,
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

export function supplierUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/s/${token}`;
}

export async function createInvitation(
  deps: InvitationDeps,
  rawInput: CreateInvitationInput,
): Promise<{ invitation: InvitationDocument; token: string; url: string }> {
  const input = createInvitationInput.parse(rawInput);
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  const expiresAt = new Date(deps.clock.now().getTime() + input.expiresInDays * DAY_MS);
  const invitation = await invitationModel(deps.connection).create({
    tokenHash: hashToken(token),
    organisationId: input.organisationId,
    campaignId: input.campaignId,
    supplierId: input.supplierId,
    questionnaireId: input.questionnaireId,
    questionnaireVersion: input.questionnaireVersion,
    language: input.language,
    buyerContact: input.buyerContact,
    expiresAt,
  });
  return { invitation, token, url: supplierUrl(deps.config.baseUrl, token) };
}

/** Revokes an invitation of the given organisation; false when there is no such invitation. */
export async function revokeInvitation(
  deps: Pick<InvitationDeps, 'connection' | 'clock'>,
  invitationId: mongoose.Types.ObjectId | string,
  organisationId: mongoose.Types.ObjectId | string,
): Promise<boolean> {
  if (!mongoose.isValidObjectId(invitationId) || !mongoose.isValidObjectId(organisationId)) return false;
  const result = await invitationModel(deps.connection).updateOne(
    { _id: invitationId, organisationId, revokedAt: null },
    { $set: { revokedAt: deps.clock.now() } },
  );
  return result.matchedCount === 1;
}

export type BuyerContact = { name: string; email: string };
export type InvitationResolution =
  | { status: 'valid'; invitation: InvitationData }
  | { status: 'unknown' }
  | { status: 'expired' | 'revoked'; contact?: BuyerContact };

/** Looks a link's token up. Expired and revoked links only reveal the buyer's contact, never the questionnaire. */
export async function resolveInvitation(
  deps: Pick<InvitationDeps, 'connection' | 'clock'>,
  token: string,
): Promise<InvitationResolution> {
  if (!isWellFormedToken(token)) return { status: 'unknown' };
  const invitation = await invitationModel(deps.connection).findOne({ tokenHash: hashToken(token) }).lean<InvitationData>();
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
