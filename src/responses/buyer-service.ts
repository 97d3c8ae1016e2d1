/**
 * The buyer's side of responses: reading a response of the organisation with its submissions, its evidence files and
 * its history, and asking the supplier for changes. Every function is scoped to the caller's organisation: a response
 * of another organisation, like a malformed id, is a 404. Plain functions over injected deps; no req/res.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import { findOrganisationById } from '../accounts';
import { getCampaign, issueAdditionalLink } from '../campaigns';
import { invitationModel, type InvitationData } from '../campaigns/invitation-model';
import type { AppDeps } from '../deps';
import { recordActivity, timelineOf, ref, type ActivityEntry, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { formatDate, type Lang } from '../platform/i18n';
import { renderMail } from '../platform/mail/render';
import type { QuestionnaireDefinition } from '../questionnaires';
import { getSupplier } from '../suppliers';
import { answerSetOf, type AnswerSet } from './answer-set';
import { findEvidenceFile, openEvidenceDownload } from './evidence-store';
import { EVIDENCE_MIME } from './file-type';
import { responseModel, type EvidenceRef, type ResponseData } from './model';
import { rememberResponse } from './response-cache';
import { withResponseLock } from './response-lock';
import { responseRefs, submissionRecord, submissionsOf } from './submission';
import { submissionModel, type SubmissionData } from './submission-model';

export type BuyerDeps = Pick<AppDeps, 'connection' | 'clock' | 'questionnaires' | 'config' | 'outbox' | 'i18n' | 'responseHooks'>;
type Id = mongoose.Types.ObjectId | string;

/** A link sent with a request for changes works at least this long, even when the original link was about to expire. */
export const CHANGE_REQUEST_LINK_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function toObjectId(id: Id, notFoundKey = 'responses:errors.notFound'): mongoose.Types.ObjectId {
  if (id instanceof mongoose.Types.ObjectId) return id;
  if (!/^[0-9a-f]{24}$/i.test(id)) throw new HttpError(404, notFoundKey);
  return new mongoose.Types.ObjectId(id);
}

/** A response of the organisation; 404 for any other id. */
export async function findResponse(conn: mongoose.Connection, organisationId: Id, responseId: Id): Promise<ResponseData> {
  const response = await responseModel(conn).collection.findOne<ResponseData>({ _id: toObjectId(responseId), organisationId: toObjectId(organisationId) });
  if (!response) throw new HttpError(404, 'responses:errors.notFound');
  return response;
}

export interface SupplierSummary {
  id: string;
  name: string;
  country: string;
  organisationNumber: string;
}

export interface CampaignSummary {
  id: string;
  name: string;
  deadline: Date;
}

/** A response with what the buyer reads beside it. */
export interface BuyerResponse {
  response: ResponseData;
  definition: QuestionnaireDefinition;
  supplier: SupplierSummary | undefined;
  campaign: CampaignSummary | undefined;
  submissions: SubmissionData[];
  /** The response as it is now. */
  current: AnswerSet;
}

export type ResponseState = 'draft' | 'submitted' | 'changesRequested';

export function stateOf(response: Pick<ResponseData, 'status' | 'changeRequest'>): ResponseState {
  if (response.status === 'submitted') return 'submitted';
  return response.changeRequest ? 'changesRequested' : 'draft';
}

export function definitionOf(deps: Pick<AppDeps, 'questionnaires'>, record: Pick<ResponseData, 'questionnaireId' | 'questionnaireVersion'>): QuestionnaireDefinition {
  const definition = deps.questionnaires.get(record.questionnaireId, record.questionnaireVersion);
  // Published versions are never removed, so a response always finds its own.
  if (!definition) throw new Error(`Questionnaire ${record.questionnaireId}@${record.questionnaireVersion} is not loaded`);
  return definition;
}

export async function loadBuyerResponse(deps: Pick<AppDeps, 'connection' | 'questionnaires'>, organisationId: Id, responseId: Id): Promise<BuyerResponse> {
  const response = await findResponse(deps.connection, organisationId, responseId);
  const definition = definitionOf(deps, response);
  const [supplier, campaign, submissions] = await Promise.all([
    getSupplier(deps.connection, response.organisationId, response.supplierId),
    getCampaign(deps.connection, response.organisationId, response.campaignId),
    submissionsOf(deps.connection, response),
  ]);
  return {
    response,
    definition,
    supplier: supplier
      ? { id: supplier._id.toHexString(), name: supplier.name, country: supplier.country, organisationNumber: supplier.organisationNumber }
      : undefined,
    campaign: campaign ? { id: campaign._id.toHexString(), name: campaign.name, deadline: campaign.deadline } : undefined,
    submissions,
    current: answerSetOf(deps, definition, response),
  };
}

/** Submission `number` of the response; 404 when there is none. */
export function submissionOf(record: BuyerResponse, number: number): SubmissionData {
  const submission = record.submissions.find((s) => s.number === number);
  if (!submission) throw new HttpError(404, 'responses:errors.noSuchSubmission');
  return submission;
}

export function submissionSet(deps: Pick<AppDeps, 'questionnaires'>, submission: SubmissionData): AnswerSet {
  return answerSetOf(deps, definitionOf(deps, submission), submission);
}

export interface EvidenceDownload {
  ref: EvidenceRef;
  contentType: string;
  length: number;
  stream: NodeJS.ReadableStream;
}

/**
 * A file of the response, as it is now or as an earlier submission held it. 404 for a file of another response and
 * for one no longer stored.
 */
export async function evidenceForBuyer(conn: mongoose.Connection, record: BuyerResponse, fileId: string): Promise<EvidenceDownload> {
  const id = toObjectId(fileId, 'responses:errors.noSuchFile');
  const ref = [...record.response.evidence, ...record.submissions.flatMap((s) => s.evidence)].find((r) => r.fileId.equals(id));
  if (!ref) throw new HttpError(404, 'responses:errors.noSuchFile');
  const stored = await findEvidenceFile(conn, ref.fileId);
  if (!stored) throw new HttpError(404, 'responses:errors.noSuchFile');
  const contentType = ref.detectedType in EVIDENCE_MIME ? EVIDENCE_MIME[ref.detectedType as keyof typeof EVIDENCE_MIME] : 'application/octet-stream';
  return { ref, contentType, length: stored.length, stream: openEvidenceDownload(conn, ref.fileId) };
}

/** The response's history from the activity log (submissions, requests for changes, exports), oldest first. */
export async function responseHistory(conn: mongoose.Connection, response: ResponseData): Promise<ActivityEntry[]> {
  return timelineOf(conn, response.organisationId, ref('response', response._id));
}

export const changeRequestInput = z.object({
  message: z
    .string({ error: 'responses:errors.messageRequired' })
    .trim()
    .min(1, 'responses:errors.messageRequired')
    .max(4000, 'responses:errors.messageTooLong')
    .refine((text) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text), 'responses:errors.messageCharacters'),
});
export type ChangeRequestInput = z.input<typeof changeRequestInput>;

export interface ChangeRequestCall {
  organisationId: Id;
  responseId: Id;
  actor: Actor;
  input: unknown;
}

/** The message of a failed check, as an HttpError naming the field. */
function invalidMessage(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const key = issue?.message.startsWith('responses:') ? issue.message : 'responses:errors.messageRequired';
  return new HttpError(422, key, {}, { field: 'message' });
}

interface Recipient {
  name: string;
  email: string;
  language: Lang;
}

/** Who the request for changes goes to: the person the invitation was sent to, in the invitation's language. */
function recipientOf(invitation: InvitationData, supplier: Awaited<ReturnType<typeof getSupplier>>): Recipient | undefined {
  const contact = supplier?.contacts.find((c) => c.language === invitation.language) ?? supplier?.contacts[0];
  return contact ? { name: contact.name, email: contact.email, language: invitation.language } : undefined;
}

/**
 * Reopens a submitted response so the supplier can change it, with the buyer's message, which is mailed to the
 * invitation's contact with a working link and shown on the form until the supplier submits again. The submission
 * stays on record. One transaction: the response, the link, the log entry, the mail and the hooks' writes.
 */
export async function requestChanges(deps: BuyerDeps, call: ChangeRequestCall): Promise<ResponseData> {
  const parsed = changeRequestInput.safeParse(call.input);
  if (!parsed.success) throw invalidMessage(parsed.error);
  const message = parsed.data.message;
  const response = await findResponse(deps.connection, call.organisationId, call.responseId);
  if (response.status !== 'submitted') throw new HttpError(409, 'responses:errors.notSubmitted');
  const invitation = await invitationModel(deps.connection)
    .collection.findOne<InvitationData>({ _id: response.invitationId, organisationId: response.organisationId });
  if (!invitation || invitation.revokedAt) throw new HttpError(409, 'responses:errors.linkRevoked');
  const [supplier, campaign, organisation] = await Promise.all([
    getSupplier(deps.connection, response.organisationId, response.supplierId),
    getCampaign(deps.connection, response.organisationId, response.campaignId),
    findOrganisationById(deps.connection, response.organisationId),
  ]);
  const recipient = recipientOf(invitation, supplier);
  if (!recipient) throw new HttpError(409, 'responses:errors.noContact');
  const definition = definitionOf(deps, response);
  const now = deps.clock.now();
  const reopened = { kind: call.actor.kind, id: call.actor.id, name: call.actor.name };
  const submissionNumber = Math.max(1, response.submissionCount ?? 0);

  const updated = await withResponseLock(deps.connection, response._id, () =>
    deps.connection.transaction(async (session) => {
      const after = (await responseModel(deps.connection).collection.findOneAndUpdate(
        // The state read above: the response has not been changed meanwhile (another buyer, another instance).
        { _id: response._id, status: 'submitted', revision: response.revision ?? null },
        {
          $set: {
            status: 'draft',
            submittedAt: null,
            updatedAt: now,
            changeRequest: { message, requestedAt: now, requestedBy: reopened },
            submissionCount: submissionNumber,
            lastSubmittedAt: response.lastSubmittedAt ?? response.submittedAt ?? null,
          },
          $inc: { revision: 1 },
        },
        { returnDocument: 'after', session },
      )) as unknown as ResponseData | null;
      if (!after) throw new HttpError(409, 'responses:errors.changedMeanwhile');
      // Submitted before submissions were kept: the record starts with the response as it was submitted.
      if ((response.submissionCount ?? 0) === 0) {
        const declaration = response.declaration ?? { name: '', role: '' };
        await submissionModel(deps.connection).collection.insertOne(submissionRecord(response, 1, response.submittedAt ?? now, declaration), { session });
      }
      const link = await issueAdditionalLink(deps, invitation._id, response.organisationId, new Date(now.getTime() + CHANGE_REQUEST_LINK_DAYS * DAY_MS), { session });
      if (!link) throw new HttpError(409, 'responses:errors.linkRevoked');
      const t = deps.i18n.getFixedT(recipient.language);
      const locals = {
        t,
        lang: recipient.language,
        recipientName: recipient.name,
        organisationName: organisation?.name ?? '',
        buyerName: call.actor.name ?? '',
        supplierName: supplier?.name ?? '',
        questionnaireTitle: definition.title[recipient.language],
        message,
        url: link.url,
        deadline: campaign ? formatDate(recipient.language, campaign.deadline, 'long') : '',
        contact: invitation.buyerContact ?? undefined,
      };
      const mail = await renderMail('responses/change-request', locals);
      await deps.outbox.enqueue(
        {
          organisationId: response.organisationId,
          to: recipient.email,
          subject: t('responses:mail.changeRequest.subject', { title: locals.questionnaireTitle }),
          text: mail.text,
          html: mail.html,
          category: 'change_request',
          refs: [ref('response', response._id), ref('supplier', response.supplierId), ref('invitation', response.invitationId)],
          dedupeKey: `change_request:${response._id.toHexString()}:${submissionNumber}`,
        },
        { session },
      );
      await recordActivity(
        deps.connection,
        {
          organisationId: response.organisationId,
          actor: call.actor,
          action: 'response.reopened',
          ...responseRefs(response),
          details: { submission: submissionNumber, message, recipient: recipient.email },
          at: now,
        },
        { session },
      );
      await deps.responseHooks.reopened(
        {
          responseId: response._id,
          organisationId: response.organisationId,
          campaignId: response.campaignId,
          supplierId: response.supplierId,
          invitationId: response.invitationId,
          submissionNumber,
          reopenedAt: now,
          actor: call.actor,
        },
        { session },
      );
      return after;
    }),
  );
  return rememberResponse(deps.connection, updated, deps.config.supplierCacheMs);
}

/** An earlier submission of the same supplier the response can be compared with. */
export interface ComparisonCandidate {
  /** `<responseId>-<number>`, as the comparison page's `with` parameter writes it. */
  key: string;
  responseId: mongoose.Types.ObjectId;
  number: number;
  submittedAt: Date;
  campaignName: string | undefined;
  /** An earlier submission of this same response (before a request for changes). */
  sameResponse: boolean;
}

const MAX_CANDIDATES = 50;

export function candidateKey(responseId: mongoose.Types.ObjectId, number: number): string {
  return `${responseId.toHexString()}-${number}`;
}

/**
 * The supplier's submissions before this response's own (for a draft: all of them), newest first: earlier versions of
 * this response and responses to earlier campaigns.
 */
export async function comparisonCandidates(conn: mongoose.Connection, record: BuyerResponse): Promise<ComparisonCandidate[]> {
  const { response } = record;
  const submittedAt = response.status === 'submitted' ? (response.lastSubmittedAt ?? response.submittedAt) : undefined;
  const filter: mongoose.mongo.Filter<mongoose.mongo.Document> = { organisationId: response.organisationId, supplierId: response.supplierId };
  if (submittedAt) filter.submittedAt = { $lt: submittedAt };
  const submissions = await submissionModel(conn)
    .collection.find<Pick<SubmissionData, 'responseId' | 'number' | 'submittedAt' | 'campaignId'>>(filter, {
      projection: { responseId: 1, number: 1, submittedAt: 1, campaignId: 1 },
    })
    .sort({ submittedAt: -1, number: -1 })
    .limit(MAX_CANDIDATES)
    .toArray();
  const campaignIds = [...new Set(submissions.map((s) => s.campaignId.toHexString()))];
  const campaigns = await Promise.all(campaignIds.map((id) => getCampaign(conn, response.organisationId, id)));
  const names = new Map(campaigns.flatMap((c) => (c ? [[c._id.toHexString(), c.name] as const] : [])));
  return submissions.map((s) => ({
    key: candidateKey(s.responseId, s.number),
    responseId: s.responseId,
    number: s.number,
    submittedAt: s.submittedAt,
    campaignName: names.get(s.campaignId.toHexString()),
    sameResponse: s.responseId.equals(response._id),
  }));
}

const candidateKeyPattern = /^([0-9a-f]{24})-([1-9][0-9]{0,5})$/i;

/** The earlier submission to compare with: the one asked for (it must be a candidate), else the newest candidate. */
export async function baselineSubmission(conn: mongoose.Connection, record: BuyerResponse, candidates: ComparisonCandidate[], requested: string | undefined): Promise<SubmissionData | undefined> {
  let chosen: ComparisonCandidate | undefined = candidates[0];
  if (requested !== undefined) {
    const match = candidateKeyPattern.exec(requested);
    chosen = match ? candidates.find((c) => c.key === requested.toLowerCase()) : undefined;
    if (!chosen) throw new HttpError(404, 'responses:errors.noSuchSubmission');
  }
  if (!chosen) return undefined;
  const submission = await submissionModel(conn)
    .collection.findOne<SubmissionData>({ organisationId: record.response.organisationId, responseId: chosen.responseId, number: chosen.number });
  if (!submission) throw new HttpError(404, 'responses:errors.noSuchSubmission');
  return submission;
}
