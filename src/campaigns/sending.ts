/**
 * Sending a campaign: one invitation per contact of every supplier not invited yet, in the contact's language, each
 * with its email queued in the outbox and its activity entry, and issuing a link again. Suppliers are sent to in
 * chunks, each chunk one transaction (its invitations, their mail and their log entries commit together or not at
 * all), so a campaign to 10,000 contacts never builds one huge transaction, and a send that stopped half-way (a crash,
 * a lost database) is finished by sending again: only suppliers still "not invited" are sent to. Sending twice sends
 * nothing twice: a send holds the campaign's send lock, and a contact can have only one live link per campaign
 * (`activeKey`, unique).
 */
import mongoose from 'mongoose';
import { findOrganisationById } from '../accounts';
import type { AppDeps } from '../deps';
import { recordActivities, recordActivity, ref, type Actor, type ActivityInput } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { NewMessage } from '../platform/mail/outbox';
import { supplierModel } from '../suppliers';
import { DAY_MS } from './dates';
import { invitationModel, type InvitationContact, type InvitationData, type InvitationLanguage } from './invitation-model';
import { forgetInvitationById, newLinkToken, supplierUrl } from './invitation-service';
import { invitationMail, noticeMail, outgoing, type MailContext } from './mail';
import { campaignModel, type CampaignDocument } from './model';
import { participantModel, stateFields } from './participant-model';
import { scheduleReminders } from './reminders';
import { requireCampaign, requirePublished, assertDueDateAhead, type CampaignDeps, type Id } from './service';

export type SendDeps = CampaignDeps & Pick<AppDeps, 'outbox' | 'scheduler' | 'config'>;

/** A link works until this long after the campaign's due date (late answers are welcome), or until it is closed. */
export const LINK_GRACE_DAYS = 60;
/** Suppliers per transaction. */
const SEND_CHUNK = 250;
/** How long a send holds the campaign; a send that died is taken over after this. */
const SEND_LOCK_MS = 10 * 60 * 1000;

export function linkExpiry(dueDate: Date): Date {
  return new Date(dueDate.getTime() + LINK_GRACE_DAYS * DAY_MS);
}

export interface SentLink {
  invitationId: string;
  supplierId: string;
  email: string;
  /** The working link; it exists only in the email (and here, for the demo seed's banner). */
  url: string;
}

export interface SendResult {
  suppliers: number;
  invitations: number;
  /** Suppliers archived since they were added: not sent to. */
  skipped: number;
  links: SentLink[];
}

interface SupplierForSending {
  _id: mongoose.Types.ObjectId;
  name: string;
  contacts: Array<{ name: string; email: string; language?: string | null }>;
}

function languageOf(value: string | null | undefined): InvitationLanguage {
  return value === 'en' ? 'en' : 'sv';
}

/** A supplier's contacts, one per address (a contact listed twice gets one link). */
function uniqueContacts(supplier: SupplierForSending): InvitationContact[] {
  const seen = new Set<string>();
  const contacts: InvitationContact[] = [];
  for (const contact of supplier.contacts) {
    const email = contact.email.toLowerCase();
    if (seen.has(email)) continue;
    seen.add(email);
    contacts.push({ name: contact.name, email, language: languageOf(contact.language) });
  }
  return contacts;
}

function activeKeyOf(campaignId: mongoose.Types.ObjectId, supplierId: mongoose.Types.ObjectId, email: string): string {
  return `${campaignId.toHexString()}:${supplierId.toHexString()}:${email}`;
}

export async function mailContextOf(deps: SendDeps, campaign: CampaignDocument): Promise<MailContext> {
  const organisation = await findOrganisationById(deps.connection, campaign.organisationId);
  return { campaign, organisationName: organisation?.name ?? '', questionnaires: deps.questionnaires, i18n: deps.i18n };
}

interface PreparedInvitation {
  doc: Record<string, unknown> & { _id: mongoose.Types.ObjectId };
  link: SentLink;
  message: NewMessage;
  activity: ActivityInput;
}

async function prepareInvitation(
  deps: SendDeps,
  mail: MailContext,
  supplier: SupplierForSending,
  contact: InvitationContact,
  now: Date,
  actor: Actor,
  extra: { replaces?: mongoose.Types.ObjectId } = {},
): Promise<PreparedInvitation> {
  const { campaign } = mail;
  const { token, tokenHash } = newLinkToken();
  const _id = new mongoose.Types.ObjectId();
  const url = supplierUrl(deps.config.baseUrl, token);
  const doc = {
    _id,
    tokenHash,
    organisationId: campaign.organisationId,
    campaignId: campaign._id,
    supplierId: supplier._id,
    questionnaireId: campaign.questionnaireId,
    questionnaireVersion: campaign.questionnaireVersion,
    language: contact.language,
    buyerContact: campaign.buyerContact ? { name: campaign.buyerContact.name, email: campaign.buyerContact.email } : undefined,
    contact,
    dueAt: campaign.deadline,
    expiresAt: linkExpiry(campaign.deadline),
    revokedAt: null,
    closedAt: null,
    firstOpenedAt: null,
    sentAt: now,
    reminders: [],
    lastRemindedAt: null,
    replaces: extra.replaces ?? null,
    replacedBy: null,
    activeKey: activeKeyOf(campaign._id, supplier._id, contact.email),
    createdAt: now,
    updatedAt: now,
  };
  const recipient = { supplierName: supplier.name, contact, url };
  const rendered = extra.replaces ? await noticeMail(mail, recipient, 'linkReissued') : await invitationMail(mail, recipient);
  const ids = { organisationId: campaign.organisationId.toHexString(), campaignId: campaign._id.toHexString(), supplierId: supplier._id.toHexString(), invitationId: _id.toHexString() };
  return {
    doc,
    link: { invitationId: ids.invitationId, supplierId: ids.supplierId, email: contact.email, url },
    message: outgoing(rendered, contact.email, 'invitation', ids, `invitation:${ids.invitationId}`),
    activity: {
      organisationId: campaign.organisationId,
      actor,
      action: extra.replaces ? 'invitation.reissued' : 'invitation.sent',
      subject: ref('invitation', _id),
      refs: [ref('supplier', supplier._id), ref('campaign', campaign._id)],
      details: { contact: contact.name, email: contact.email, language: contact.language, ...(extra.replaces ? { replaces: extra.replaces.toHexString() } : {}) },
      at: now,
    },
  };
}

/** What a draft needs before it can go out; the buyer is told what is missing (400 naming the field). */
async function assertReadyToSend(deps: SendDeps, campaign: CampaignDocument, now: Date): Promise<void> {
  requirePublished(deps.questionnaires, campaign.questionnaireId, campaign.questionnaireVersion);
  assertDueDateAhead(campaign.deadline, now);
  if (!campaign.buyerContact) throw new HttpError(400, 'campaigns:errors.buyerContactMissing', {}, { field: 'buyerContact' });
  const suppliers = await participantModel(deps.connection).countDocuments({ campaignId: campaign._id });
  if (suppliers === 0) throw new HttpError(400, 'campaigns:errors.noSuppliers', {}, { field: 'supplierIds' });
}

async function acquireSendLock(deps: SendDeps, campaign: CampaignDocument, now: Date): Promise<void> {
  const locked = await campaignModel(deps.connection).updateOne(
    { _id: campaign._id, status: { $ne: 'closed' }, $or: [{ sendingUntil: null }, { sendingUntil: { $lte: now } }] },
    { $set: { sendingUntil: new Date(now.getTime() + SEND_LOCK_MS) } },
  );
  if (locked.matchedCount === 0) throw new HttpError(409, 'campaigns:errors.sendInProgress');
}

/**
 * Sends the campaign to every supplier in it that was not invited yet: the first send opens a draft, a later one
 * reaches suppliers added since. Returns what was sent (`links` for the demo seed; pages and the API never show them).
 */
export async function sendCampaign(deps: SendDeps, organisationId: Id, campaignId: Id, actor: Actor): Promise<SendResult> {
  let campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  if (campaign.status === 'closed') throw new HttpError(409, 'campaigns:errors.closed');
  const started = deps.clock.now();
  if (campaign.status === 'draft') await assertReadyToSend(deps, campaign, started);
  await acquireSendLock(deps, campaign, started);
  const firstSend = campaign.status === 'draft';
  const result: SendResult = { suppliers: 0, invitations: 0, skipped: 0, links: [] };
  try {
    const mail = await mailContextOf(deps, campaign);
    let after: mongoose.Types.ObjectId | undefined;
    for (;;) {
      const chunk = await participantModel(deps.connection)
        .find({ campaignId: campaign._id, state: 'notInvited', ...(after ? { _id: { $gt: after } } : {}) }, { supplierId: 1 })
        .sort({ _id: 1 })
        .limit(SEND_CHUNK)
        .lean();
      if (chunk.length === 0) break;
      after = chunk.at(-1)?._id;
      await sendChunk(deps, mail, chunk.map((p) => p.supplierId), actor, result);
      campaign = (await campaignModel(deps.connection).findById(campaign._id)) ?? campaign;
      mail.campaign = campaign;
    }
    if (result.invitations === 0) throw new HttpError(400, 'campaigns:errors.nothingToSend');
    const now = deps.clock.now();
    await recordActivity(deps.connection, {
      organisationId: campaign.organisationId,
      actor,
      action: 'campaign.sent',
      subject: ref('campaign', campaign._id),
      details: { suppliers: result.suppliers, invitations: result.invitations, skipped: result.skipped, firstSend },
      at: now,
    });
    if (firstSend) await scheduleReminders(deps, campaign);
    return result;
  } finally {
    await campaignModel(deps.connection).updateOne({ _id: campaign._id }, { $set: { sendingUntil: null } });
  }
}

async function sendChunk(deps: SendDeps, mail: MailContext, supplierIds: mongoose.Types.ObjectId[], actor: Actor, result: SendResult): Promise<void> {
  const { campaign } = mail;
  const now = deps.clock.now();
  const suppliers = await supplierModel(deps.connection)
    .find({ organisationId: campaign.organisationId, archivedAt: null, _id: { $in: supplierIds } }, { name: 1, contacts: 1 })
    .lean<SupplierForSending[]>();
  result.skipped += supplierIds.length - suppliers.length;
  const prepared: PreparedInvitation[] = [];
  for (const supplier of suppliers) {
    for (const contact of uniqueContacts(supplier)) prepared.push(await prepareInvitation(deps, mail, supplier, contact, now, actor));
  }
  if (prepared.length === 0) return;
  const sentTo = suppliers.map((s) => s._id);
  await deps.connection.transaction(async (session) => {
    if (campaign.status === 'draft') {
      const opened = await campaignModel(deps.connection).updateOne({ _id: campaign._id, status: 'draft' }, { $set: { status: 'open', sentAt: now }, $inc: { revision: 1 } }, { session });
      if (opened.matchedCount === 0) throw new HttpError(409, 'campaigns:errors.staleEdit');
    }
    await invitationModel(deps.connection).collection.insertMany(
      prepared.map((p) => p.doc),
      { session, ordered: true },
    );
    await participantModel(deps.connection).updateMany(
      { campaignId: campaign._id, supplierId: { $in: sentTo }, state: 'notInvited' },
      { $set: { ...stateFields('invited'), invitedAt: now, lastActivityAt: now } },
      { session },
    );
    await deps.outbox.enqueueMany(
      prepared.map((p) => p.message),
      { session },
    );
    await recordActivities(
      deps.connection,
      prepared.map((p) => p.activity),
      { session },
    );
  });
  result.suppliers += suppliers.length;
  result.invitations += prepared.length;
  result.links.push(...prepared.map((p) => p.link));
}

export interface ReissueInput {
  contactEmail?: string;
}

/**
 * Revokes a link and sends a new one, to the same person or another of the supplier's contacts. The old link stops
 * at once (on other app instances within SUPPLIER_CACHE_MS); the answers stay: every link of a supplier in a campaign
 * opens the same response.
 */
export async function reissueInvitation(
  deps: SendDeps,
  organisationId: Id,
  campaignId: Id,
  invitationId: Id,
  input: ReissueInput,
  actor: Actor,
): Promise<{ invitationId: string; link: SentLink }> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  if (!mongoose.isValidObjectId(invitationId)) throw new HttpError(404, 'common:errors.notFound');
  const old = await invitationModel(deps.connection)
    .findOne({ _id: invitationId, campaignId: campaign._id, organisationId: campaign.organisationId })
    .lean<InvitationData>();
  if (!old) throw new HttpError(404, 'common:errors.notFound');
  if (campaign.status !== 'open') throw new HttpError(409, campaign.status === 'closed' ? 'campaigns:errors.closed' : 'campaigns:errors.notOpen');
  if (old.revokedAt) throw new HttpError(409, 'campaigns:errors.alreadyRevoked');
  const supplier = await supplierModel(deps.connection).findOne({ _id: old.supplierId, organisationId: campaign.organisationId }, { name: 1, contacts: 1 }).lean<SupplierForSending>();
  if (!supplier) throw new HttpError(404, 'common:errors.notFound');
  const contact = chooseContact(supplier, old, input.contactEmail);
  const otherLive = await invitationModel(deps.connection).exists({ activeKey: activeKeyOf(campaign._id, supplier._id, contact.email), _id: { $ne: old._id } });
  if (otherLive) throw new HttpError(409, 'campaigns:errors.contactHasLink', {}, { field: 'contactEmail' });
  const now = deps.clock.now();
  const mail = await mailContextOf(deps, campaign);
  const prepared = await prepareInvitation(deps, mail, supplier, contact, now, actor, { replaces: old._id });
  await deps.connection.transaction(async (session) => {
    const revoked = await invitationModel(deps.connection).updateOne(
      { _id: old._id, revokedAt: null },
      { $set: { revokedAt: now, replacedBy: prepared.doc._id }, $unset: { activeKey: '' } },
      { session },
    );
    if (revoked.matchedCount === 0) throw new HttpError(409, 'campaigns:errors.alreadyRevoked');
    await invitationModel(deps.connection).collection.insertOne(prepared.doc, { session });
    await deps.outbox.enqueue(prepared.message, { session });
    await recordActivities(
      deps.connection,
      [
        {
          organisationId: campaign.organisationId,
          actor,
          action: 'invitation.revoked',
          subject: ref('invitation', old._id),
          refs: [ref('supplier', old.supplierId), ref('campaign', campaign._id)],
          details: { replacedBy: prepared.doc._id.toHexString(), email: old.contact?.email },
          at: now,
        },
        prepared.activity,
      ],
      { session },
    );
  });
  forgetInvitationById(deps.connection, old._id);
  return { invitationId: prepared.link.invitationId, link: prepared.link };
}

function chooseContact(supplier: SupplierForSending, old: InvitationData, email: string | undefined): InvitationContact {
  const current = uniqueContacts(supplier);
  if (email) {
    const wanted = email.toLowerCase();
    const found = current.find((c) => c.email === wanted) ?? (old.contact?.email === wanted ? old.contact : undefined);
    if (!found) throw new HttpError(400, 'campaigns:errors.unknownContact', {}, { field: 'contactEmail' });
    return found;
  }
  const fallback = old.contact ?? current[0];
  if (!fallback) throw new HttpError(400, 'campaigns:errors.unknownContact', {}, { field: 'contactEmail' });
  return fallback;
}
