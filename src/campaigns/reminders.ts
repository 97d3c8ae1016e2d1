/**
 * Reminders to contacts who have not submitted: automatic ones as persisted jobs timed from the due date (one job per
 * reminder day, keyed by campaign, due-date round and day, so each runs once across instances), and "remind everyone
 * who has not submitted" by hand. Whether a supplier has submitted is checked when the reminder is queued, inside the
 * transaction that queues it; a submission also withdraws reminders still waiting in the outbox.
 *
 * Exactly once per contact and round: the invitation records the round (`reminders.key`) in the same transaction
 * that queues the mail, and the mail's dedupe key is the same pair, so a job that runs again after a crash queues
 * nothing twice.
 */
import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import type { AppDeps } from '../deps';
import { recordActivities, recordActivity, ref, SYSTEM_ACTOR, type Actor, type ActivityInput } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { NewMessage } from '../platform/mail/outbox';
import type { JobRecord } from '../platform/jobs';
import { supplierModel } from '../suppliers';
import { DAY_MS } from './dates';
import { invitationModel, type InvitationContact, type InvitationData } from './invitation-model';
import { newLinkToken, supplierUrl } from './invitation-service';
import { noticeMail, outgoing, type MailContext } from './mail';
import { campaignModel, type CampaignDocument } from './model';
import { BY_SUPPLIER, participantModel } from './participant-model';
import { mailContextOf, type SendDeps } from './sending';
import { requireCampaign, type Id } from './service';

export const REMINDER_JOB = 'campaigns.reminder';
/** Invitations per transaction (kept small, as sending's chunks are). */
const REMIND_CHUNK = 50;

type SchedulerDeps = Pick<AppDeps, 'scheduler' | 'clock'>;

export interface PlannedReminder {
  key: string;
  runAt: Date;
  overdue: boolean;
}

/** The automatic reminders of a campaign's policy still ahead of `now`. */
export function plannedReminders(campaign: CampaignDocument, now: Date): PlannedReminder[] {
  const policy = campaign.reminderPolicy;
  if (!policy?.enabled || policy.maxCount <= 0) return [];
  const due = campaign.deadline.getTime();
  const id = campaign._id.toHexString();
  const planned = [
    ...policy.beforeDays.map((days) => ({ key: `${id}:${campaign.dueRound}:before:${days}`, runAt: new Date(due - days * DAY_MS), overdue: false })),
    ...policy.afterDays.map((days) => ({ key: `${id}:${campaign.dueRound}:after:${days}`, runAt: new Date(due + days * DAY_MS), overdue: true })),
  ];
  // A reminder day already behind us when the campaign goes out is skipped, not sent at once.
  return planned.filter((reminder) => reminder.runAt.getTime() > now.getTime()).sort((a, b) => a.runAt.getTime() - b.runAt.getTime());
}

export async function scheduleReminders(deps: SchedulerDeps, campaign: CampaignDocument, options: { session?: mongoose.ClientSession } = {}): Promise<void> {
  for (const reminder of plannedReminders(campaign, deps.clock.now())) {
    await deps.scheduler.schedule(REMINDER_JOB, reminder.key, reminder.runAt, {
      payload: { campaignId: campaign._id.toHexString(), organisationId: campaign.organisationId.toHexString(), dueRound: campaign.dueRound, overdue: reminder.overdue },
      session: options.session,
    });
  }
}

export async function cancelReminders(deps: SchedulerDeps, campaignId: mongoose.Types.ObjectId, options: { session?: mongoose.ClientSession } = {}): Promise<number> {
  return deps.scheduler.cancelMatching(REMINDER_JOB, `${campaignId.toHexString()}:`, options);
}

export interface ReminderRound {
  /** Recorded on each invitation reminded; a contact gets one reminder per round. */
  key: string;
  automatic: boolean;
  overdue: boolean;
}

export interface ReminderReport {
  reminded: number;
  /** Contacts left out because they were reminded or invited too recently (the policy's minimum gap). */
  tooSoon: number;
}

/** The automatic reminder job: runs once per reminder day; stale (the due date moved, the campaign closed) does nothing. */
export function registerReminderJobs(deps: SendDeps): void {
  deps.scheduler.define(REMINDER_JOB, async (job: JobRecord) => {
    const payload = job.payload;
    const campaignId = typeof payload.campaignId === 'string' ? payload.campaignId : '';
    const organisationId = typeof payload.organisationId === 'string' ? payload.organisationId : '';
    if (!mongoose.isValidObjectId(campaignId) || !mongoose.isValidObjectId(organisationId)) return;
    const campaign = await campaignModel(deps.connection).findOne({ _id: campaignId, organisationId }).select('-supplierIds');
    if (!campaign || campaign.status !== 'open' || campaign.dueRound !== payload.dueRound) return;
    await sendReminders(deps, campaign, { key: `auto:${job.key}`, automatic: true, overdue: payload.overdue === true }, SYSTEM_ACTOR);
  });
}

/** "Remind everyone who has not submitted": every contact of a supplier that has not submitted, outside the minimum gap. */
export async function remindNonSubmitted(deps: SendDeps, organisationId: Id, campaignId: Id, actor: Actor): Promise<ReminderReport> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  if (campaign.status !== 'open') throw new HttpError(409, campaign.status === 'closed' ? 'campaigns:errors.closed' : 'campaigns:errors.notOpen');
  const now = deps.clock.now();
  const report = await sendReminders(deps, campaign, { key: `manual:${now.toISOString()}:${randomUUID().slice(0, 8)}`, automatic: false, overdue: now.getTime() > campaign.deadline.getTime() }, actor);
  await recordActivity(deps.connection, {
    organisationId: campaign.organisationId,
    actor,
    action: 'campaign.reminded',
    subject: ref('campaign', campaign._id),
    details: { ...report },
    at: now,
  });
  return report;
}

type ReminderCandidate = Pick<InvitationData, '_id' | 'supplierId' | 'contact' | 'reminders' | 'lastRemindedAt' | 'sentAt' | 'language'> & {
  createdAt?: Date;
};

/** Whether the policy lets this contact be reminded now (gap since the invitation or last reminder, automatic count). */
function allowedNow(invitation: ReminderCandidate, round: ReminderRound, campaign: CampaignDocument, now: Date): 'yes' | 'tooSoon' | 'no' {
  const reminders = invitation.reminders ?? [];
  if (reminders.some((r) => r.key === round.key)) return 'no';
  const policy = campaign.reminderPolicy;
  if (round.automatic && reminders.filter((r) => r.automatic).length >= (policy?.maxCount ?? 0)) return 'no';
  const gapMs = (policy?.minGapDays ?? 1) * DAY_MS;
  const last = invitation.lastRemindedAt ?? invitation.sentAt ?? invitation.createdAt;
  if (last && now.getTime() - last.getTime() < gapMs) return 'tooSoon';
  return 'yes';
}

async function submittedSuppliers(deps: SendDeps, campaign: CampaignDocument, supplierIds: mongoose.Types.ObjectId[], session?: mongoose.ClientSession): Promise<Set<string>> {
  const submitted = await participantModel(deps.connection)
    .find({ campaignId: campaign._id, supplierId: { $in: supplierIds }, state: 'submitted' }, { supplierId: 1 }, { session })
    .hint(BY_SUPPLIER)
    .lean();
  return new Set(submitted.map((p) => p.supplierId.toHexString()));
}

interface PreparedReminder {
  invitation: ReminderCandidate;
  /** The reminder's own link to the invitation (the first link exists only as its hash and cannot be repeated). */
  tokenHash: string;
  message: NewMessage;
  activity: ActivityInput;
}

async function prepareReminder(
  deps: SendDeps,
  mail: MailContext,
  invitation: ReminderCandidate,
  recipient: { contact: InvitationContact; supplierName: string },
  round: ReminderRound,
  now: Date,
  actor: Actor,
): Promise<PreparedReminder> {
  const { campaign } = mail;
  const { contact, supplierName } = recipient;
  const { token, tokenHash } = newLinkToken();
  const url = supplierUrl(deps.config.baseUrl, token);
  const rendered = await noticeMail(mail, { supplierName, contact, url }, round.overdue ? 'overdueReminder' : 'reminder');
  const ids = {
    organisationId: campaign.organisationId.toHexString(),
    campaignId: campaign._id.toHexString(),
    supplierId: invitation.supplierId.toHexString(),
    invitationId: invitation._id.toHexString(),
  };
  return {
    invitation,
    tokenHash,
    message: outgoing(rendered, contact.email, 'reminder', ids, `reminder:${ids.invitationId}:${round.key}`),
    activity: {
      organisationId: campaign.organisationId,
      actor,
      action: 'reminder.sent',
      subject: ref('invitation', invitation._id),
      refs: [ref('supplier', invitation.supplierId), ref('campaign', campaign._id)],
      details: { email: contact.email, automatic: round.automatic, overdue: round.overdue },
      at: now,
    },
  };
}

/** Reminds every live invitation of the campaign the policy allows, in chunks of one transaction each. */
async function sendReminders(deps: SendDeps, campaign: CampaignDocument, round: ReminderRound, actor: Actor): Promise<ReminderReport> {
  const report: ReminderReport = { reminded: 0, tooSoon: 0 };
  const mail = await mailContextOf(deps, campaign);
  let after: mongoose.Types.ObjectId | undefined;
  for (;;) {
    const chunk = await invitationModel(deps.connection)
      .find(
        { campaignId: campaign._id, organisationId: campaign.organisationId, revokedAt: null, ...(after ? { _id: { $gt: after } } : {}) },
        { supplierId: 1, contact: 1, reminders: 1, lastRemindedAt: 1, sentAt: 1, createdAt: 1, language: 1 },
      )
      .hint({ campaignId: 1, _id: 1 })
      .sort({ _id: 1 })
      .limit(REMIND_CHUNK)
      .lean<ReminderCandidate[]>();
    if (chunk.length === 0) return report;
    after = chunk.at(-1)?._id;
    await remindChunk(deps, mail, chunk, round, actor, report);
  }
}

async function remindChunk(deps: SendDeps, mail: MailContext, chunk: ReminderCandidate[], round: ReminderRound, actor: Actor, report: ReminderReport): Promise<void> {
  const { campaign } = mail;
  const now = deps.clock.now();
  const submitted = await submittedSuppliers(deps, campaign, chunk.map((i) => i.supplierId));
  const candidates = chunk.filter((invitation) => {
    if (submitted.has(invitation.supplierId.toHexString())) return false;
    const allowed = allowedNow(invitation, round, campaign, now);
    if (allowed === 'tooSoon') report.tooSoon += 1;
    return allowed === 'yes';
  });
  if (candidates.length === 0) return;
  const names = await supplierNames(deps, campaign, candidates);
  const prepared: PreparedReminder[] = [];
  for (const invitation of candidates) {
    const recipient = recipientOf(invitation, names.get(invitation.supplierId.toHexString()));
    if (recipient) prepared.push(await prepareReminder(deps, mail, invitation, recipient, round, now, actor));
  }
  const reminded = await deps.connection.transaction(async (session) => {
    const supplierIds = [...new Set(prepared.map((p) => p.invitation.supplierId.toHexString()))].map((id) => new mongoose.Types.ObjectId(id));
    // Writing the rows first makes a submission committing meanwhile conflict with this transaction (one of the two
    // is retried), so the check below sees every submission that committed before this reminder is queued.
    await participantModel(deps.connection).updateMany(
      { campaignId: campaign._id, supplierId: { $in: supplierIds }, state: { $ne: 'submitted' } },
      { $set: { lastRemindedAt: now } },
      { session, hint: BY_SUPPLIER },
    );
    const submittedNow = await submittedSuppliers(deps, campaign, supplierIds, session);
    const due = prepared.filter((p) => !submittedNow.has(p.invitation.supplierId.toHexString()));
    if (due.length === 0) return 0;
    const written = await invitationModel(deps.connection).bulkWrite(
      due.map((p) => ({
        updateOne: {
          filter: { _id: p.invitation._id, revokedAt: null, 'reminders.key': { $ne: round.key } },
          update: { $push: { reminders: { key: round.key, at: now, automatic: round.automatic }, aliasHashes: p.tokenHash }, $set: { lastRemindedAt: now } },
        },
      })),
      { session, ordered: false },
    );
    // Another run of the same round got there first (a job taken over after its lock expired): abort, so no mail
    // goes out with a link that was never stored; the retry reads the invitations again.
    if (written.modifiedCount !== due.length) throw new Error(`reminder round ${round.key} met a concurrent run`);
    await deps.outbox.enqueueMany(
      due.map((p) => p.message),
      { session },
    );
    await recordActivities(
      deps.connection,
      due.map((p) => p.activity),
      { session },
    );
    return due.length;
  });
  report.reminded += reminded;
}

async function supplierNames(deps: SendDeps, campaign: CampaignDocument, invitations: ReminderCandidate[]): Promise<Map<string, { name: string; firstContact?: InvitationContact }>> {
  const suppliers = await supplierModel(deps.connection)
    .find({ organisationId: campaign.organisationId, _id: { $in: [...new Set(invitations.map((i) => i.supplierId.toHexString()))] } }, { name: 1, contacts: 1 })
    .lean<Array<{ _id: mongoose.Types.ObjectId; name: string; contacts: Array<{ name: string; email: string; language?: string }> }>>();
  return new Map(
    suppliers.map((s) => {
      const first = s.contacts[0];
      return [s._id.toHexString(), { name: s.name, firstContact: first ? { name: first.name, email: first.email, language: first.language === 'en' ? 'en' : 'sv' } : undefined }];
    }),
  );
}

function recipientOf(invitation: ReminderCandidate, supplier: { name: string; firstContact?: InvitationContact } | undefined): { contact: InvitationContact; supplierName: string } | undefined {
  if (!supplier) return undefined;
  const contact = invitation.contact ?? supplier.firstContact;
  return contact ? { contact, supplierName: supplier.name } : undefined;
}
