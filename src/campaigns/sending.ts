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
import { noteSupplierInvited, supplierModel } from '../suppliers';
import { invitationModel, type InvitationContact, type InvitationData, type InvitationLanguage } from './invitation-model';
import { forgetInvitationById, newLinkToken, supplierUrl } from './invitation-service';
import { invitationMail, noticeMail, outgoing, type MailContext } from './mail';
import { campaignModel, type CampaignDocument } from './model';
import { participantModel, stateFields } from './participant-model';
import { scheduleReminders } from './reminders';
import { requireCampaign, requirePublished, assertDueDateAhead, type CampaignDeps, type Id } from './service';

export type SendDeps = CampaignDeps & Pick<AppDeps, 'outbox' | 'scheduler' | 'config'>;

/**
 * Suppliers per transaction (each takes about four writes per contact). The embedded server's transactions cost more
 * per write the more writes they hold (about 0.3 ms at 200, 6 ms at 4,000), so they stay small.
 */
const SEND_CHUNK = 100;
/** How long a send holds the campaign; a send that died is taken over after this. */
const SEND_LOCK_MS = 10 * 60 * 1000;

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
    // The link follows its campaign: its due date, its grace period, its closing.
    expiresAt: null,
    revokedAt: null,
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
    // No dedupe key: the message is queued in the transaction that creates its (new, unique) invitation, so it
    // exists exactly when the invitation does; a plain insert costs the outbox less than a keyed upsert.
    message: outgoing(rendered, contact.email, 'invitation', ids),
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
  // The next chunk is read and its mail rendered while the previous chunk's transaction is on its way, so the app
  // and the database work at the same time.
  let writing: Promise<void> = Promise.resolve();
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
      const prepared = await prepareChunk(deps, mail, chunk, actor, result);
      await writing;
      // The first chunk opens a draft: the ones after it must see the campaign open.
      if (mail.campaign.status === 'draft' && result.invitations > 0) mail.campaign = (await campaignModel(deps.connection).findById(campaign._id).select('-supplierIds')) ?? mail.campaign;
      writing = writeChunk(deps, mail.campaign, prepared, result);
      // Handled here so a failure while the next chunk is prepared is not an unhandled rejection; awaited above.
      writing.catch(() => undefined);
      if (mail.campaign.status === 'draft') await writing;
    }
    await writing;
    campaign = mail.campaign;
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
    await writing.catch(() => undefined);
    await campaignModel(deps.connection).updateOne({ _id: campaign._id }, { $set: { sendingUntil: null } });
  }
}

interface PreparedChunk {
  invitations: PreparedInvitation[];
  /** The suppliers' rows in the campaign (by their own ids, so the write that marks them invited takes the _id index). */
  rows: mongoose.Types.ObjectId[];
  supplierIds: mongoose.Types.ObjectId[];
  suppliers: number;
  now: Date;
}

/** The invitations and mail of a chunk of suppliers, made without writing anything. */
async function prepareChunk(
  deps: SendDeps,
  mail: MailContext,
  rows: Array<{ _id: mongoose.Types.ObjectId; supplierId: mongoose.Types.ObjectId }>,
  actor: Actor,
  result: SendResult,
): Promise<PreparedChunk> {
  const { campaign } = mail;
  const supplierIds = rows.map((row) => row.supplierId);
  const now = deps.clock.now();
  // By id alone, so the lookup takes the _id index; the organisation and the archive mark are checked on what it finds.
  const found = await supplierModel(deps.connection)
    .find({ _id: { $in: supplierIds } }, { organisationId: 1, archivedAt: 1, name: 1, contacts: 1 })
    .lean<Array<SupplierForSending & { organisationId: mongoose.Types.ObjectId; archivedAt?: Date | null }>>();
  const suppliers = found.filter((s) => s.organisationId.equals(campaign.organisationId) && !s.archivedAt);
  result.skipped += supplierIds.length - suppliers.length;
  const invitations: PreparedInvitation[] = [];
  for (const supplier of suppliers) {
    for (const contact of uniqueContacts(supplier)) invitations.push(await prepareInvitation(deps, mail, supplier, contact, now, actor));
  }
  const sentTo = new Set(suppliers.map((s) => s._id.toHexString()));
  const sent = rows.filter((row) => sentTo.has(row.supplierId.toHexString()));
  return { invitations, rows: sent.map((row) => row._id), supplierIds: sent.map((row) => row.supplierId), suppliers: suppliers.length, now };
}

/** A chunk's invitations, their mail and their log entries, and its suppliers counted as invited: all in one transaction. */
async function writeChunk(deps: SendDeps, campaign: CampaignDocument, chunk: PreparedChunk, result: SendResult): Promise<void> {
  const { invitations, now } = chunk;
  if (invitations.length === 0) return;
  await deps.connection.transaction(async (session) => {
    if (campaign.status === 'draft') {
      const opened = await campaignModel(deps.connection).updateOne({ _id: campaign._id, status: 'draft' }, { $set: { status: 'open', sentAt: now }, $inc: { revision: 1 } }, { session });
      if (opened.matchedCount === 0) throw new HttpError(409, 'campaigns:errors.staleEdit');
    }
    await invitationModel(deps.connection).collection.insertMany(
      invitations.map((p) => p.doc),
      { session, ordered: true },
    );
    await participantModel(deps.connection).updateMany(
      { _id: { $in: chunk.rows }, state: 'notInvited' },
      { $set: { ...stateFields('invited'), invitedAt: now, lastActivityAt: now } },
      { session },
    );
    // The register's "never invited" filter and its history guard read this.
    await noteSupplierInvited(deps.connection, campaign.organisationId, chunk.supplierIds, now, { session });
    await deps.outbox.enqueueMany(
      invitations.map((p) => p.message),
      { session },
    );
    await recordActivities(
      deps.connection,
      invitations.map((p) => p.activity),
      { session },
    );
  });
  result.suppliers += chunk.suppliers;
  result.invitations += invitations.length;
  result.links.push(...invitations.map((p) => p.link));
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
