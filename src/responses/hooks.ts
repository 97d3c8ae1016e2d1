/**
 * How other domains learn that a response was submitted (the first time or again after a request for changes) or
 * reopened: they register a listener on `deps.responseHooks` (built by `assembleDeps`, one registry per app, never a
 * module singleton), typically from their registrar in `src/background.ts`.
 *
 * Listeners run inside the transaction that records the change, with its session: whatever they write with that
 * session (a follow-up case, a job scheduled with `deps.scheduler.schedule(…, { session })`, a participant's state,
 * mail through the outbox) commits together with the submission, or not at all. A listener that throws aborts the
 * submission, so listeners must only record and schedule; slow work belongs in a job. A transaction may be retried,
 * so a listener may run more than once for one event, each time in a fresh transaction: only the last run's writes
 * commit.
 */
import type mongoose from 'mongoose';
import type { Actor } from '../platform/activity';

export interface ResponseSubmittedEvent {
  responseId: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  invitationId: mongoose.Types.ObjectId;
  questionnaireId: string;
  questionnaireVersion: number;
  /** 1 for the first submission, 2 for the first resubmission after a request for changes, … */
  submissionNumber: number;
  resubmission: boolean;
  submittedAt: Date;
  actor: Actor;
}

export interface ResponseReopenedEvent {
  responseId: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
  invitationId: mongoose.Types.ObjectId;
  /** The submission that was reopened. */
  submissionNumber: number;
  reopenedAt: Date;
  actor: Actor;
}

export interface HookContext {
  session: mongoose.ClientSession;
}

export type Listener<E> = (event: E, context: HookContext) => Promise<void>;

export interface ResponseHooks {
  onResponseSubmitted(listener: Listener<ResponseSubmittedEvent>): void;
  onResponseReopened(listener: Listener<ResponseReopenedEvent>): void;
  /** Called by the responses domain inside the submission's transaction. */
  submitted(event: ResponseSubmittedEvent, context: HookContext): Promise<void>;
  /** Called by the responses domain inside the reopening's transaction. */
  reopened(event: ResponseReopenedEvent, context: HookContext): Promise<void>;
}

export function createResponseHooks(): ResponseHooks {
  const onSubmitted: Array<Listener<ResponseSubmittedEvent>> = [];
  const onReopened: Array<Listener<ResponseReopenedEvent>> = [];
  // In registration order, one after the other: listeners share one session, which runs one operation at a time.
  const run = async <E>(listeners: Array<Listener<E>>, event: E, context: HookContext) => {
    for (const listener of listeners) await listener(event, context);
  };
  return {
    onResponseSubmitted: (listener) => void onSubmitted.push(listener),
    onResponseReopened: (listener) => void onReopened.push(listener),
    submitted: (event, context) => run(onSubmitted, event, context),
    reopened: (event, context) => run(onReopened, event, context),
  };
}
