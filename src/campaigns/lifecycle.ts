/**
 * An open campaign's later life: extending its due date (links, reminders and, if asked, the contacts follow) and
 * closing it (links stop accepting answers, reminders stop). Each step is logged.
 */
import mongoose from 'mongoose';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { supplierModel } from '../suppliers';
import { invitationModel, type InvitationContact } from './invitation-model';
import { forgetCampaignState, newLinkToken, supplierUrl } from './invitation-service';
import { noticeMail, outgoing } from './mail';
import { campaignModel, type CampaignDocument } from './model';
import { BY_SUPPLIER, participantModel } from './participant-model';
import { cancelReminders, scheduleReminders } from './reminders';
import { mailContextOf, type SendDeps } from './sending';
import { assertDueDateAhead, requireCampaign, type Id } from './service';

/** Contacts told about a new due date per transaction (kept small, as sending's chunks are). */
const NOTIFY_CHUNK = 100;

function assertOpen(campaign: CampaignDocument): void {
  if (campaign.status === 'closed') throw new HttpError(409, 'campaigns:errors.closed');
  if (campaign.status !== 'open') throw new HttpError(409, 'campaigns:errors.notOpen');
}

export interface ExtendResult {
  campaign: CampaignDocument;
  notified: number;
}

/**
 * Moves the due date later. Links follow their campaign (they show the new date and last until its grace period),
 * reminders are planned again from the new date (those of the old one are cancelled), and, with `notify`, every
 * contact of a supplier that has not submitted is told the new date.
 */
export async function extendDueDate(deps: SendDeps, organisationId: Id, campaignId: Id, input: { dueDate: Date; notify: boolean }, actor: Actor): Promise<ExtendResult> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  assertOpen(campaign);
  const now = deps.clock.now();
  assertDueDateAhead(input.dueDate, now);
  if (input.dueDate.getTime() <= campaign.deadline.getTime()) throw new HttpError(400, 'campaigns:errors.dueDateNotLater', {}, { field: 'dueDate' });
  const previous = campaign.deadline;
  const updated = await deps.connection.transaction(async (session) => {
    const moved = await campaignModel(deps.connection).findOneAndUpdate(
      { _id: campaign._id, status: 'open', deadline: previous },
      { $set: { deadline: input.dueDate }, $inc: { dueRound: 1, revision: 1 } },
      { returnDocument: 'after', session },
    ).select('-supplierIds');
    if (!moved) throw new HttpError(409, 'campaigns:errors.staleEdit');
    await cancelReminders(deps, campaign._id, { session });
    await scheduleReminders(deps, moved, { session });
    await recordActivity(
      deps.connection,
      {
        organisationId: campaign.organisationId,
        actor,
        action: 'campaign.due_date_extended',
        subject: ref('campaign', campaign._id),
        details: { from: previous, to: input.dueDate, notify: input.notify },
        at: now,
      },
      { session },
    );
    return moved;
  });
  forgetCampaignState(deps.connection, campaign._id);
  const notified = input.notify ? await notifyNewDueDate(deps, updated) : 0;
  return { campaign: updated, notified };
}

/** Tells each live invitation of a supplier that has not submitted about the new date (once per due-date round). */
async function notifyNewDueDate(deps: SendDeps, campaign: CampaignDocument): Promise<number> {
  const mail = await mailContextOf(deps, campaign);
  let notified = 0;
  let after: mongoose.Types.ObjectId | undefined;
  for (;;) {
    const chunk = await invitationModel(deps.connection)
      .find({ campaignId: campaign._id, revokedAt: null, ...(after ? { _id: { $gt: after } } : {}) }, { supplierId: 1, contact: 1 })
      .hint({ campaignId: 1, _id: 1 })
      .sort({ _id: 1 })
      .limit(NOTIFY_CHUNK)
      .lean<Array<{ _id: mongoose.Types.ObjectId; supplierId: mongoose.Types.ObjectId; contact?: InvitationContact }>>();
    if (chunk.length === 0) return notified;
    after = chunk.at(-1)?._id;
    const supplierIds = [...new Set(chunk.map((i) => i.supplierId.toHexString()))].map((id) => new mongoose.Types.ObjectId(id));
    const [submitted, suppliers] = await Promise.all([
      participantModel(deps.connection).find({ campaignId: campaign._id, supplierId: { $in: supplierIds }, state: 'submitted' }, { supplierId: 1 }).hint(BY_SUPPLIER).lean(),
      supplierModel(deps.connection).find({ organisationId: campaign.organisationId, _id: { $in: supplierIds } }, { name: 1 }).lean<Array<{ _id: mongoose.Types.ObjectId; name: string }>>(),
    ]);
    const done = new Set(submitted.map((p) => p.supplierId.toHexString()));
    const names = new Map(suppliers.map((s) => [s._id.toHexString(), s.name]));
    const due = chunk.filter((i) => i.contact && !done.has(i.supplierId.toHexString()) && names.has(i.supplierId.toHexString()));
    // Like a reminder, the notice carries a link of its own to the same invitation.
    const prepared = await Promise.all(
      due.map(async (invitation) => {
        const { token, tokenHash } = newLinkToken();
        const contact = invitation.contact as InvitationContact;
        const rendered = await noticeMail(mail, { supplierName: names.get(invitation.supplierId.toHexString()) ?? '', contact, url: supplierUrl(deps.config.baseUrl, token) }, 'dueDateExtended');
        const ids = {
          organisationId: campaign.organisationId.toHexString(),
          campaignId: campaign._id.toHexString(),
          supplierId: invitation.supplierId.toHexString(),
          invitationId: invitation._id.toHexString(),
        };
        return { invitation, tokenHash, message: outgoing(rendered, contact.email, 'due_date_extended', ids, `extended:${ids.invitationId}:${campaign.dueRound}`) };
      }),
    );
    if (prepared.length === 0) continue;
    await deps.connection.transaction(async (session) => {
      await invitationModel(deps.connection).bulkWrite(
        prepared.map((p) => ({ updateOne: { filter: { _id: p.invitation._id, revokedAt: null }, update: { $push: { aliasHashes: p.tokenHash } } } })),
        { session, ordered: false },
      );
      await deps.outbox.enqueueMany(
        prepared.map((p) => p.message),
        { session },
      );
    });
    notified += prepared.length;
  }
}

/**
 * Closes an open campaign: its links stop accepting answers (the supplier sees a page saying so, with the buyer's
 * contact), reminders are cancelled, and reminders still waiting in the outbox are withdrawn.
 */
export async function closeCampaign(deps: SendDeps, organisationId: Id, campaignId: Id, actor: Actor): Promise<CampaignDocument> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  assertOpen(campaign);
  const now = deps.clock.now();
  const closed = await deps.connection.transaction(async (session) => {
    const updated = await campaignModel(deps.connection).findOneAndUpdate(
      { _id: campaign._id, status: 'open' },
      { $set: { status: 'closed', closedAt: now }, $inc: { revision: 1 } },
      { returnDocument: 'after', session },
    ).select('-supplierIds');
    if (!updated) throw new HttpError(409, 'campaigns:errors.closed');
    await cancelReminders(deps, campaign._id, { session });
    const withdrawn = await deps.outbox.withdraw({ refs: [ref('campaign', campaign._id)], categories: ['reminder', 'due_date_extended'] }, { session });
    const submitted = await participantModel(deps.connection).countDocuments({ campaignId: campaign._id, state: 'submitted' }, { session });
    const total = await participantModel(deps.connection).countDocuments({ campaignId: campaign._id }, { session });
    await recordActivity(
      deps.connection,
      { organisationId: campaign.organisationId, actor, action: 'campaign.closed', subject: ref('campaign', campaign._id), details: { submitted, suppliers: total, withdrawnMail: withdrawn }, at: now },
      { session },
    );
    return updated;
  });
  forgetCampaignState(deps.connection, campaign._id);
  return closed;
}
