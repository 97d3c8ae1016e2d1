/**
 * Recording a submission: the response becomes read-only, the submitted answers are kept as they are in
 * `response_submissions`, the activity log gets `response.submitted` (or `response.resubmitted` after a request for
 * changes) and the domains listening on `responseHooks` act, all in one transaction.
 */
import type mongoose from 'mongoose';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { NewMessage, Outbox } from '../platform/mail/outbox';
import type { ResponseHooks } from './hooks';
import { responseModel, type ResponseData } from './model';
import { forgetResponse, rememberResponse } from './response-cache';
import { withResponseLock } from './response-lock';
import { submissionModel, type SubmissionData } from './submission-model';

export interface SubmissionDeps {
  connection: mongoose.Connection;
  clock: { now(): Date };
  responseHooks: ResponseHooks;
  /** Where the submission's own mail (the receipt) is queued, in its transaction. */
  outbox: Pick<Outbox, 'enqueueMany'>;
  config?: { supplierCacheMs: number };
}

/** The refs every activity entry about a response carries, so the supplier's and the campaign's timelines find it. */
export function responseRefs(response: Pick<ResponseData, '_id' | 'supplierId' | 'campaignId' | 'invitationId'>) {
  return {
    subject: ref('response', response._id),
    refs: [ref('supplier', response.supplierId), ref('campaign', response.campaignId), ref('invitation', response.invitationId)],
  };
}

/** A submission record of the response in the state given (answers, evidence and declaration as they are). */
export function submissionRecord(response: ResponseData, number: number, submittedAt: Date, declaration: { name: string; role: string }): Omit<SubmissionData, '_id'> {
  return {
    organisationId: response.organisationId,
    responseId: response._id,
    campaignId: response.campaignId,
    supplierId: response.supplierId,
    invitationId: response.invitationId,
    number,
    questionnaireId: response.questionnaireId,
    questionnaireVersion: response.questionnaireVersion,
    definitionHash: response.definitionHash,
    answers: (response.answers ?? {}) as SubmissionData['answers'],
    evidence: response.evidence,
    declaration,
    submittedAt,
  };
}

/**
 * Submits a draft with the declaration. 409 when it is no longer a draft (submitted meanwhile, from another tab or
 * instance). Returns the submitted response, which this process caches.
 */
export async function commitSubmission(
  deps: SubmissionDeps,
  response: ResponseData,
  declaration: { name: string; role: string },
  actor: Actor,
  options: { at?: Date; mail?: NewMessage[] } = {},
): Promise<ResponseData> {
  const now = options.at ?? deps.clock.now();
  const Responses = responseModel(deps.connection).collection;
  const cacheMs = deps.config?.supplierCacheMs ?? 0;
  return withResponseLock(deps.connection, response._id, async () => {
    const submitted = await deps.connection.transaction(async (session) => {
      const updated = (await Responses.findOneAndUpdate(
        { _id: response._id, status: 'draft' },
        {
          $set: { status: 'submitted', submittedAt: now, lastSubmittedAt: now, updatedAt: now, declaration, changeRequest: null },
          $inc: { revision: 1, submissionCount: 1 },
        },
        { returnDocument: 'after', session },
      )) as unknown as ResponseData | null;
      if (!updated) throw new HttpError(409, 'supplier:errors.alreadySubmitted');
      const number = updated.submissionCount ?? 1;
      await submissionModel(deps.connection).collection.insertOne(submissionRecord(updated, number, now, declaration), { session });
      const resubmission = number > 1;
      await recordActivity(
        deps.connection,
        {
          organisationId: updated.organisationId,
          actor,
          action: resubmission ? 'response.resubmitted' : 'response.submitted',
          ...responseRefs(updated),
          details: { submission: number, questionnaire: `${updated.questionnaireId}@${updated.questionnaireVersion}` },
          at: now,
        },
        { session },
      );
      await deps.responseHooks.submitted(
        {
          responseId: updated._id,
          organisationId: updated.organisationId,
          campaignId: updated.campaignId,
          supplierId: updated.supplierId,
          invitationId: updated.invitationId,
          questionnaireId: updated.questionnaireId,
          questionnaireVersion: updated.questionnaireVersion,
          submissionNumber: number,
          resubmission,
          submittedAt: now,
          actor,
        },
        { session },
      );
      await deps.outbox.enqueueMany(options.mail ?? [], { session });
      return updated;
    });
    return rememberResponse(deps.connection, submitted, cacheMs);
  }).catch((error: unknown) => {
    // Whatever this process cached may be behind the database now (another instance submitted, say).
    forgetResponse(deps.connection, response);
    throw error;
  });
}

/** Every submission of a response, first to last. */
export async function submissionsOf(conn: mongoose.Connection, response: Pick<ResponseData, '_id' | 'organisationId'>): Promise<SubmissionData[]> {
  return submissionModel(conn)
    .collection.find<SubmissionData>({ responseId: response._id, organisationId: response.organisationId })
    .sort({ number: 1 })
    .toArray();
}
