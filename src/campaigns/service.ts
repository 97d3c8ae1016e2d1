import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { findSuppliersByIds } from '../suppliers';
import { invitationModel } from './invitation-model';
import { CAMPAIGN_STATUSES, campaignModel, type CampaignDocument, type CampaignStatus } from './model';

type Id = mongoose.Types.ObjectId | string;

/** The part of the questionnaire registry campaigns need: does this exact id@version exist? */
export interface QuestionnaireLookup {
  get(id: string, version: number): unknown;
}

export const createCampaignInput = z.object({
  organisationId: objectIdInput,
  name: z.string().trim().min(1).max(200),
  questionnaireId: z.string().trim().min(1).max(100),
  questionnaireVersion: z.number().int().positive(),
  deadline: z.coerce.date(),
  status: z.enum(CAMPAIGN_STATUSES).default('draft'),
  supplierIds: z.array(objectIdInput).default([]),
});
export type CreateCampaignInput = z.input<typeof createCampaignInput>;

export class CampaignError extends Error {
  override name = 'CampaignError';
}

export async function createCampaign(
  deps: { connection: mongoose.Connection; questionnaires: QuestionnaireLookup },
  rawInput: CreateCampaignInput,
): Promise<CampaignDocument> {
  const input = createCampaignInput.parse(rawInput);
  if (!deps.questionnaires.get(input.questionnaireId, input.questionnaireVersion)) {
    throw new CampaignError(`Unknown questionnaire ${input.questionnaireId}@${input.questionnaireVersion}`);
  }
  const suppliers = await findSuppliersByIds(deps.connection, input.organisationId, input.supplierIds);
  if (suppliers.length !== new Set(input.supplierIds.map(String)).size) {
    throw new CampaignError('Every supplier of a campaign must belong to the campaign’s organisation');
  }
  return campaignModel(deps.connection).create(input);
}

export async function listCampaigns(conn: mongoose.Connection, organisationId: Id): Promise<CampaignDocument[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  return campaignModel(conn).find({ organisationId }).sort({ deadline: 1, name: 1 });
}

/** One campaign, only if it belongs to the organisation. */
export async function getCampaign(conn: mongoose.Connection, organisationId: Id, campaignId: Id): Promise<CampaignDocument | null> {
  if (!mongoose.isValidObjectId(organisationId) || !mongoose.isValidObjectId(campaignId)) return null;
  return campaignModel(conn).findOne({ _id: campaignId, organisationId });
}

const ALLOWED_TRANSITIONS: Record<CampaignStatus, CampaignStatus[]> = {
  draft: ['open'],
  open: ['closed'],
  closed: [],
};

/** Moves a campaign forward (draft → open → closed); returns the updated campaign or throws on a bad transition. */
export async function setCampaignStatus(conn: mongoose.Connection, organisationId: Id, campaignId: Id, status: CampaignStatus): Promise<CampaignDocument> {
  const campaign = await getCampaign(conn, organisationId, campaignId);
  if (!campaign) throw new CampaignError('No such campaign');
  if (!ALLOWED_TRANSITIONS[campaign.status].includes(status)) {
    throw new CampaignError(`A ${campaign.status} campaign cannot become ${status}`);
  }
  const updated = await campaignModel(conn).findOneAndUpdate(
    { _id: campaign._id, organisationId, status: campaign.status },
    { $set: { status } },
    { returnDocument: 'after' },
  );
  if (!updated) throw new CampaignError('The campaign changed meanwhile; try again');
  return updated;
}

export const SUPPLIER_STATUSES = ['notInvited', 'invited', 'inProgress', 'submitted', 'expired', 'revoked'] as const;
export type SupplierStatus = (typeof SUPPLIER_STATUSES)[number];

export interface SupplierProgress {
  supplierId: string;
  name: string;
  country: string;
  status: SupplierStatus;
  /** Last time the supplier saved or submitted, when known. */
  lastActivityAt: Date | undefined;
}

export interface CampaignOverview {
  id: string;
  name: string;
  status: CampaignStatus;
  questionnaireId: string;
  questionnaireVersion: number;
  deadline: Date;
  suppliers: SupplierProgress[];
  counts: Record<SupplierStatus, number>;
}

interface ResponseSummary {
  supplierId: string;
  status: string;
  lastActivityAt: Date | undefined;
}

function asDate(value: unknown): Date | undefined {
  return value instanceof Date ? value : undefined;
}

/**
 * Responses are written by the responses domain; the dashboard reads only their status and timestamps, straight from
 * the `responses` collection, so this read-only view does not depend on that domain's internals.
 */
async function responseSummaries(conn: mongoose.Connection, organisationId: Id, campaignId: mongoose.Types.ObjectId): Promise<Map<string, ResponseSummary>> {
  const docs = await conn
    .collection('responses')
    .find(
      { organisationId: new mongoose.Types.ObjectId(String(organisationId)), campaignId },
      { projection: { supplierId: 1, status: 1, updatedAt: 1, submittedAt: 1 } },
    )
    .toArray();
  const summaries = new Map<string, ResponseSummary>();
  for (const doc of docs) {
    const supplierId = String(doc.supplierId);
    const status = typeof doc.status === 'string' ? doc.status : 'draft';
    // A supplier with several invitations (a resent link) counts as submitted once any of its responses is.
    if (summaries.get(supplierId)?.status === 'submitted') continue;
    summaries.set(supplierId, { supplierId, status, lastActivityAt: asDate(doc.submittedAt) ?? asDate(doc.updatedAt) });
  }
  return summaries;
}

interface InvitationState {
  expiresAt: Date;
  revokedAt?: Date | null;
}

async function latestInvitations(conn: mongoose.Connection, organisationId: Id, campaignId: mongoose.Types.ObjectId): Promise<Map<string, InvitationState>> {
  const invitations = await invitationModel(conn).find({ organisationId, campaignId }).sort({ createdAt: 1 }).lean();
  const latest = new Map<string, InvitationState>();
  for (const invitation of invitations) latest.set(String(invitation.supplierId), invitation);
  return latest;
}

function supplierStatus(invitation: InvitationState | undefined, response: ResponseSummary | undefined, now: Date): SupplierStatus {
  if (response?.status === 'submitted') return 'submitted';
  if (!invitation) return response ? 'inProgress' : 'notInvited';
  if (invitation.revokedAt) return 'revoked';
  if (invitation.expiresAt.getTime() <= now.getTime()) return 'expired';
  return response ? 'inProgress' : 'invited';
}

function emptyCounts(): Record<SupplierStatus, number> {
  return Object.fromEntries(SUPPLIER_STATUSES.map((status) => [status, 0])) as Record<SupplierStatus, number>;
}

/** Every campaign of the organisation with each supplier's response status, for the buyer/auditor home page. */
export async function campaignOverviews(conn: mongoose.Connection, organisationId: Id, now: Date): Promise<CampaignOverview[]> {
  const campaigns = await listCampaigns(conn, organisationId);
  return Promise.all(
    campaigns.map(async (campaign) => {
      const [suppliers, invitations, responses] = await Promise.all([
        findSuppliersByIds(conn, organisationId, campaign.supplierIds),
        latestInvitations(conn, organisationId, campaign._id),
        responseSummaries(conn, organisationId, campaign._id),
      ]);
      const counts = emptyCounts();
      const progress = suppliers.map((supplier): SupplierProgress => {
        const id = supplier._id.toString();
        const response = responses.get(id);
        const status = supplierStatus(invitations.get(id), response, now);
        counts[status] += 1;
        return { supplierId: id, name: supplier.name, country: supplier.country, status, lastActivityAt: response?.lastActivityAt };
      });
      return {
        id: campaign._id.toString(),
        name: campaign.name,
        status: campaign.status,
        questionnaireId: campaign.questionnaireId,
        questionnaireVersion: campaign.questionnaireVersion,
        deadline: campaign.deadline,
        suppliers: progress,
        counts,
      };
    }),
  );
}
