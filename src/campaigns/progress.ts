/**
 * Where a campaign stands: its suppliers' states as they move (a link opened, answering started, submitted, noted
 * here by the supplier's pages), the counts behind the progress chart, one page of the supplier list with filters and
 * sorting, and each invitation's status. Counting, filtering, sorting and paging run in the database on
 * `campaign_suppliers`; only the page shown is read in full.
 */
import { LRUCache } from 'lru-cache';
import mongoose from 'mongoose';
import { recordActivity, ref, type Actor } from '../platform/activity';
import type { Outbox } from '../platform/mail/outbox';
import { invitationModel, type InvitationData } from './invitation-model';
import { effectiveExpiry, noteOpenedInCache } from './invitation-service';
import type { ProgressQuery } from './inputs';
import { campaignModel, type CampaignDocument, type CampaignStatus } from './model';
import { participantModel, stateFields, PARTICIPANT_STATES, type ParticipantRecord, type ParticipantState } from './participant-model';

type Id = mongoose.Types.ObjectId | string;

function toObjectId(id: Id): mongoose.Types.ObjectId {
  return typeof id === 'string' ? new mongoose.Types.ObjectId(id) : id;
}

export interface ParticipantKey {
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
}

type Session = { session?: mongoose.ClientSession };

function supplierActor(invitation: Pick<InvitationData, '_id' | 'contact'>): Actor {
  return { kind: 'supplier', id: invitation._id.toHexString(), name: invitation.contact?.name };
}

/**
 * Records the first time a link of an invitation was opened (once: later visits write nothing). Returns true when
 * this call recorded it.
 */
export async function recordLinkOpened(conn: mongoose.Connection, invitation: InvitationData, now: Date): Promise<boolean> {
  if (invitation.firstOpenedAt) return false;
  const recorded = await conn.transaction(async (session) => {
    const marked = await invitationModel(conn).updateOne({ _id: invitation._id, firstOpenedAt: null }, { $set: { firstOpenedAt: now } }, { session });
    if (marked.modifiedCount === 0) return false;
    await participantModel(conn).updateOne(
      { campaignId: invitation.campaignId, supplierId: invitation.supplierId, state: { $in: ['notInvited', 'invited'] } },
      { $set: { ...stateFields('opened'), openedAt: now, lastActivityAt: now } },
      { session },
    );
    await recordActivity(
      conn,
      {
        organisationId: invitation.organisationId,
        actor: supplierActor(invitation),
        action: 'invitation.opened',
        subject: ref('invitation', invitation._id),
        refs: [ref('supplier', invitation.supplierId), ref('campaign', invitation.campaignId)],
        at: now,
      },
      { session },
    );
    return true;
  });
  // The cached copy still says "never opened".
  noteOpenedInCache(conn, invitation._id, now);
  return recorded;
}

/** The supplier saved a first answer. */
export async function recordResponseStarted(conn: mongoose.Connection, key: ParticipantKey, now: Date): Promise<void> {
  await participantModel(conn).updateOne(
    { ...key, state: { $in: ['notInvited', 'invited', 'opened'] } },
    { $set: { ...stateFields('inProgress'), startedAt: now, lastActivityAt: now } },
  );
}

/** The supplier is still at work (callers note this at most every few minutes per response). */
export async function recordResponseActivity(conn: mongoose.Connection, key: ParticipantKey, now: Date): Promise<void> {
  await participantModel(conn).updateOne(key, { $max: { lastActivityAt: now } });
}

/**
 * In the submission's transaction: the supplier counts as submitted, and reminders still waiting in the outbox for
 * it in this campaign are withdrawn (a reminder must never reach a supplier that has submitted).
 */
export async function recordSubmission(conn: mongoose.Connection, outbox: Outbox, key: ParticipantKey, now: Date, options: Session = {}): Promise<void> {
  await participantModel(conn).updateOne(key, { $set: { ...stateFields('submitted'), submittedAt: now, lastActivityAt: now } }, { session: options.session });
  await outbox.withdraw({ refs: [ref('supplier', key.supplierId), ref('campaign', key.campaignId)], categories: ['reminder', 'due_date_extended'] }, options);
}

/** A submitted response was opened again for changes (the buyer's "request changes"): the supplier is answering again. */
export async function recordResponseReopened(conn: mongoose.Connection, key: ParticipantKey, now: Date, options: Session = {}): Promise<void> {
  await participantModel(conn).updateOne(
    { ...key, state: 'submitted' },
    { $set: { ...stateFields('inProgress'), submittedAt: null, lastActivityAt: now } },
    { session: options.session },
  );
}

export type CountKey = ParticipantState | 'overdue';
export type ProgressCounts = Record<CountKey, number> & { total: number };

function emptyCounts(): ProgressCounts {
  return { notInvited: 0, invited: 0, opened: 0, inProgress: 0, submitted: 0, overdue: 0, total: 0 };
}

export function isOverdue(campaign: Pick<CampaignDocument, 'deadline' | 'status'>, now: Date): boolean {
  return campaign.status !== 'draft' && now.getTime() > campaign.deadline.getTime();
}

function countsFrom(byState: Array<{ _id: unknown; n: number }>, overdue: boolean): ProgressCounts {
  const counts = emptyCounts();
  for (const { _id, n } of byState) {
    if (typeof _id === 'string' && (PARTICIPANT_STATES as readonly string[]).includes(_id)) counts[_id as ParticipantState] += n;
    counts.total += n;
  }
  // Past the due date everyone invited who has not submitted is overdue.
  if (overdue) counts.overdue = counts.invited + counts.opened + counts.inProgress;
  return counts;
}

export async function campaignCounts(conn: mongoose.Connection, campaign: CampaignDocument, now: Date): Promise<ProgressCounts> {
  const byState = await participantModel(conn)
    .collection.aggregate<{ _id: unknown; n: number }>([{ $match: { campaignId: campaign._id } }, { $group: { _id: '$state', n: { $sum: 1 } } }])
    .toArray();
  return countsFrom(byState, isOverdue(campaign, now));
}

export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  questionnaireId: string;
  questionnaireVersion: number;
  deadline: Date;
  sentAt: Date | null;
  counts: ProgressCounts;
}

/** The organisation's campaigns (optionally of one status) with their counts, soonest due first. */
export async function campaignSummaries(conn: mongoose.Connection, organisationId: Id, filter: { status?: CampaignStatus } = {}, now: Date): Promise<CampaignSummary[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  const orgId = toObjectId(organisationId);
  const campaigns = await campaignModel(conn)
    .find({ organisationId: orgId, ...(filter.status ? { status: filter.status } : {}) }, { supplierIds: 0 })
    .sort({ deadline: 1, name: 1 })
    .lean<CampaignDocument[]>();
  if (campaigns.length === 0) return [];
  const grouped = await participantModel(conn)
    .collection.aggregate<{ _id: { campaignId: mongoose.Types.ObjectId; state: string }; n: number }>([
      { $match: { organisationId: orgId, campaignId: { $in: campaigns.map((c) => c._id) } } },
      { $group: { _id: { campaignId: '$campaignId', state: '$state' }, n: { $sum: 1 } } },
    ])
    .toArray();
  const byCampaign = new Map<string, Array<{ _id: unknown; n: number }>>();
  for (const row of grouped) {
    const key = row._id.campaignId.toHexString();
    byCampaign.set(key, [...(byCampaign.get(key) ?? []), { _id: row._id.state, n: row.n }]);
  }
  return campaigns.map((campaign) => ({
    id: campaign._id.toHexString(),
    name: campaign.name,
    status: campaign.status,
    questionnaireId: campaign.questionnaireId,
    questionnaireVersion: campaign.questionnaireVersion,
    deadline: campaign.deadline,
    sentAt: campaign.sentAt ?? null,
    counts: countsFrom(byCampaign.get(campaign._id.toHexString()) ?? [], isOverdue(campaign, now)),
  }));
}

export interface ProgressRow {
  supplierId: string;
  name: string;
  country: string;
  tags: string[];
  state: ParticipantState;
  overdue: boolean;
  invitedAt: Date | null;
  lastActivityAt: Date | null;
  /** Sections answered of the sections the supplier sees, when it has started. */
  sections: { answered: number; visible: number } | undefined;
  responseId: string | undefined;
}

export interface ProgressPage {
  rows: ProgressRow[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

const SORT_FIELDS: Record<ProgressQuery['sort'], string[]> = {
  name: ['sortName'],
  country: ['country', 'sortName'],
  status: ['stateRank', 'sortName'],
  lastActivity: ['lastActivityAt', 'sortName'],
};

function progressFilter(campaign: CampaignDocument, query: ProgressQuery, now: Date): Record<string, unknown> {
  const filter: Record<string, unknown> = { campaignId: campaign._id };
  if (query.status === 'overdue') {
    filter.state = isOverdue(campaign, now) ? { $in: ['invited', 'opened', 'inProgress'] } : { $in: [] };
  } else if (query.status) filter.state = query.status;
  if (query.country) filter.country = query.country;
  if (query.tag) filter.tags = query.tag;
  return filter;
}

interface ResponseSummary {
  _id: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  updatedAt?: Date;
  sectionProgress?: { answered?: unknown; visible?: unknown };
}

function sectionsOf(response: ResponseSummary | undefined): ProgressRow['sections'] {
  const progress = response?.sectionProgress;
  if (!progress || typeof progress.answered !== 'number' || typeof progress.visible !== 'number') return undefined;
  return { answered: progress.answered, visible: progress.visible };
}

function latest(a: Date | null | undefined, b: Date | null | undefined): Date | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

/**
 * One page of the campaign's suppliers with their state, last activity and section progress. Responses are written
 * by the responses domain; only the page's own are read, straight from the `responses` collection.
 */
export async function progressPage(conn: mongoose.Connection, campaign: CampaignDocument, query: ProgressQuery, now: Date): Promise<ProgressPage> {
  const filter = progressFilter(campaign, query, now);
  const direction = query.order === 'desc' ? -1 : 1;
  const sort = Object.fromEntries([...SORT_FIELDS[query.sort].map((field) => [field, direction] as const), ['_id', direction] as const]);
  const collection = participantModel(conn).collection;
  const [participants, total] = await Promise.all([
    collection
      .find<ParticipantRecord>(filter)
      .sort(sort)
      .skip((query.page - 1) * query.pageSize)
      .limit(query.pageSize)
      .toArray(),
    collection.countDocuments(filter),
  ]);
  const responses = await conn
    .collection('responses')
    .find<ResponseSummary>(
      { campaignId: campaign._id, supplierId: { $in: participants.map((p) => p.supplierId) } },
      { projection: { supplierId: 1, updatedAt: 1, sectionProgress: 1 } },
    )
    .toArray();
  const bySupplier = new Map(responses.map((r) => [r.supplierId.toHexString(), r]));
  const overdue = isOverdue(campaign, now);
  const rows = participants.map((p): ProgressRow => {
    const response = bySupplier.get(p.supplierId.toHexString());
    return {
      supplierId: p.supplierId.toHexString(),
      name: p.name,
      country: p.country,
      tags: p.tags,
      state: p.state,
      overdue: overdue && p.state !== 'submitted' && p.state !== 'notInvited',
      invitedAt: p.invitedAt,
      lastActivityAt: latest(p.lastActivityAt, response?.updatedAt),
      sections: sectionsOf(response),
      responseId: response?._id.toHexString(),
    };
  });
  return { rows, total, page: query.page, pages: Math.max(1, Math.ceil(total / query.pageSize)), pageSize: query.pageSize };
}

export interface FilterOptions {
  countries: string[];
  tags: string[];
}

/**
 * The countries and tags of a campaign's suppliers, for the progress filters, kept a minute per campaign: they change
 * only when suppliers are added (this process forgets them then), and two scans of 10,000 rows per page view would
 * cost more than the rest of the page.
 */
const filterOptions = new WeakMap<mongoose.Connection, LRUCache<string, FilterOptions>>();
const FILTER_OPTIONS_MS = 60_000;

export function forgetFilterOptions(conn: mongoose.Connection, campaignId: mongoose.Types.ObjectId): void {
  filterOptions.get(conn)?.delete(campaignId.toHexString());
}

export async function progressFilterOptions(conn: mongoose.Connection, campaign: CampaignDocument): Promise<FilterOptions> {
  let cache = filterOptions.get(conn);
  if (!cache) {
    cache = new LRUCache<string, FilterOptions>({ max: 500, ttl: FILTER_OPTIONS_MS });
    filterOptions.set(conn, cache);
  }
  const key = campaign._id.toHexString();
  const cached = cache.get(key);
  if (cached) return cached;
  const collection = participantModel(conn).collection;
  const [countries, tags] = await Promise.all([collection.distinct('country', { campaignId: campaign._id }), collection.distinct('tags', { campaignId: campaign._id })]);
  const sorted = (values: unknown[]) => values.filter((v): v is string => typeof v === 'string' && v !== '').sort((a, b) => a.localeCompare(b, 'sv'));
  const options = { countries: sorted(countries), tags: sorted(tags) };
  cache.set(key, options);
  return options;
}

export const INVITATION_STATUSES = ['sent', 'opened', 'inProgress', 'submitted', 'expired', 'revoked', 'closed'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export interface InvitationStatusRow {
  id: string;
  supplierId: string;
  supplierName: string;
  contact: { name: string; email: string; language: string } | null;
  status: InvitationStatus;
  sentAt: Date | null;
  firstOpenedAt: Date | null;
  reminders: number;
  lastRemindedAt: Date | null;
  /** When the link stops working (its campaign's due date and grace period, for links a campaign sent). */
  expiresAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
  replaces: string | null;
}

function invitationStatus(invitation: InvitationData, supplierState: ParticipantState | undefined, campaign: CampaignDocument, now: Date): InvitationStatus {
  if (invitation.revokedAt) return 'revoked';
  if (supplierState === 'submitted') return 'submitted';
  if (campaign.status === 'closed') return 'closed';
  const expiresAt = effectiveExpiry(invitation, campaign);
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return 'expired';
  if (supplierState === 'inProgress' && invitation.firstOpenedAt) return 'inProgress';
  return invitation.firstOpenedAt ? 'opened' : 'sent';
}

/** One page of a campaign's invitations (optionally one supplier's), each with its status. */
export async function invitationStatuses(
  conn: mongoose.Connection,
  campaign: CampaignDocument,
  options: { supplierId?: mongoose.Types.ObjectId; page: number; pageSize: number },
  now: Date,
): Promise<{ invitations: InvitationStatusRow[]; total: number }> {
  const filter = { campaignId: campaign._id, organisationId: campaign.organisationId, ...(options.supplierId ? { supplierId: options.supplierId } : {}) };
  const collection = invitationModel(conn).collection;
  const [invitations, total] = await Promise.all([
    collection
      .find<InvitationData>(filter, { projection: { tokenHash: 0, aliasHashes: 0, activeKey: 0 } })
      .sort({ _id: 1 })
      .skip((options.page - 1) * options.pageSize)
      .limit(options.pageSize)
      .toArray(),
    collection.countDocuments(filter),
  ]);
  const participants = await participantModel(conn)
    .collection.find<Pick<ParticipantRecord, 'supplierId' | 'state' | 'name'>>(
      { campaignId: campaign._id, supplierId: { $in: [...new Set(invitations.map((i) => i.supplierId.toHexString()))].map((id) => new mongoose.Types.ObjectId(id)) } },
      { projection: { supplierId: 1, state: 1, name: 1 } },
    )
    .toArray();
  const bySupplier = new Map(participants.map((p) => [p.supplierId.toHexString(), p]));
  return {
    total,
    invitations: invitations.map((invitation) => {
      const participant = bySupplier.get(invitation.supplierId.toHexString());
      return {
        id: invitation._id.toHexString(),
        supplierId: invitation.supplierId.toHexString(),
        supplierName: participant?.name ?? '',
        contact: invitation.contact ? { name: invitation.contact.name, email: invitation.contact.email, language: invitation.contact.language } : null,
        status: invitationStatus(invitation, participant?.state, campaign, now),
        sentAt: invitation.sentAt ?? null,
        firstOpenedAt: invitation.firstOpenedAt ?? null,
        reminders: invitation.reminders?.length ?? 0,
        lastRemindedAt: invitation.lastRemindedAt ?? null,
        expiresAt: effectiveExpiry(invitation, campaign) ?? null,
        revokedAt: invitation.revokedAt ?? null,
        replacedBy: invitation.replacedBy?.toHexString() ?? null,
        replaces: invitation.replaces?.toHexString() ?? null,
      };
    }),
  };
}

/** One supplier's row of a campaign, or undefined when it is not in the campaign. */
export async function participantOf(conn: mongoose.Connection, campaign: CampaignDocument, supplierId: Id): Promise<ParticipantRecord | undefined> {
  if (!mongoose.isValidObjectId(supplierId)) return undefined;
  const participant = await participantModel(conn).collection.findOne<ParticipantRecord>({ campaignId: campaign._id, supplierId: toObjectId(supplierId) });
  return participant ?? undefined;
}

/** The id of the supplier's response in the campaign (its page is /responses/<id>), once it has one. */
export async function responseIdOf(conn: mongoose.Connection, campaign: CampaignDocument, supplierId: mongoose.Types.ObjectId): Promise<string | undefined> {
  const response = await conn.collection('responses').findOne({ campaignId: campaign._id, supplierId }, { projection: { _id: 1 } });
  return response ? String(response._id) : undefined;
}
