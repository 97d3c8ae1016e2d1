/**
 * The supplier's answering of one questionnaire: opening the response behind an invitation, saving answers section
 * by section or field by field, evidence files and submission. Plain functions over injected deps; no req/res.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import {
  allQuestions,
  computeVisibility,
  definitionHash,
  missingRequired,
  parseAnswer,
  type AnswerValue,
  type Answers,
  type EvidenceFile,
  type Locale,
  type Question,
  type QuestionnaireDefinition,
  type QuestionnaireRegistry,
  type Section,
  type Visibility,
} from '../questionnaires';
import type { InvitationData } from '../campaigns/invitation-model';
import { HttpError } from '../platform/errors';
import { recordResponseActivity, recordResponseStarted } from '../campaigns';
import type { NewMessage } from '../platform/mail/outbox';
import { noteSupplierResponded } from '../suppliers';
import { responseModel, type ResponseData, type ResponseUpdate, type SectionProgressSummary, type StoredAnswer } from './model';
import { answerWriterFor } from './answer-writer';
import { cachedResponse, forgetResponse, rememberResponse, revisionOf } from './response-cache';
import { withResponseLock } from './response-lock';
import { commitSubmission, type SubmissionDeps } from './submission';

export interface ResponseDeps {
  connection: mongoose.Connection;
  clock: { now(): Date };
  questionnaires: QuestionnaireRegistry;
  /** With a cache time, responses are kept in memory between requests (response-cache.ts); without, none is. */
  config?: { supplierCacheMs: number };
  /** Where a failure to note progress for the campaign's list is reported (it never fails the save itself). */
  logger?: { warn(object: object, message: string): void };
}

function cacheMsOf(deps: ResponseDeps): number {
  return deps.config?.supplierCacheMs ?? 0;
}

/** Everything a supplier page needs about the link it was opened with. */
export interface SupplierContext {
  invitation: InvitationData;
  response: ResponseData;
  definition: QuestionnaireDefinition;
  /** The date the supplier is asked to answer by: the campaign's due date. */
  dueAt: Date;
}

export interface FieldError {
  key: string;
  params: Record<string, unknown>;
}
export type FieldErrors = Record<string, FieldError>;

export type SaveOutcome =
  | { ok: true; answers: Answers; visibility: Visibility }
  | { ok: false; errors: FieldErrors; answers: Answers };

export function definitionFor(deps: Pick<ResponseDeps, 'questionnaires'>, invitation: InvitationData): QuestionnaireDefinition {
  const definition = deps.questionnaires.get(invitation.questionnaireId, invitation.questionnaireVersion);
  if (!definition) {
    throw new Error(`Questionnaire ${invitation.questionnaireId}@${invitation.questionnaireVersion} is not loaded`);
  }
  return definition;
}

/**
 * The supplier's response in the invitation's campaign, created on the first visit (an upsert, so two first visits
 * create one). Every link of the supplier in the campaign (each contact's, one issued again) opens this same response.
 */
export async function openResponse(deps: ResponseDeps, invitation: InvitationData, dueAt: Date = invitation.expiresAt ?? deps.clock.now()): Promise<SupplierContext> {
  const definition = definitionFor(deps, invitation);
  const cached = cachedResponse(deps.connection, invitation, cacheMsOf(deps));
  if (cached) return { invitation, response: cached, definition, dueAt };
  const Responses = responseModel(deps.connection);
  const owner = { campaignId: invitation.campaignId, supplierId: invitation.supplierId };
  // Every supplier page may run this: the driver's collection directly, without building a mongoose Query (the
  // filter is already ObjectIds, nothing to cast).
  const existing = await Responses.collection.findOne<ResponseData>(owner);
  if (existing) return { invitation, response: rememberResponse(deps.connection, existing, cacheMsOf(deps)), definition, dueAt };
  const response = await Responses.findOneAndUpdate(
    owner,
    {
      $setOnInsert: {
        invitationId: invitation._id,
        organisationId: invitation.organisationId,
        campaignId: invitation.campaignId,
        supplierId: invitation.supplierId,
        questionnaireId: definition.id,
        questionnaireVersion: definition.version,
        definitionHash: definitionHash(definition),
        status: 'draft',
        answers: {},
        evidence: [],
        revision: 0,
        // The buyer's page shows when the supplier started: the injected clock's time, not mongoose's.
        createdAt: deps.clock.now(),
        updatedAt: deps.clock.now(),
      },
    },
    { upsert: true, returnDocument: 'after', timestamps: false },
  ).lean<ResponseData>();
  if (!response) throw new Error('Upsert of the response returned nothing');
  return { invitation, response: rememberResponse(deps.connection, response, cacheMsOf(deps)), definition, dueAt };
}

/**
 * Every write to a response other than an answer save (those go through `saveAnswers`): one round trip that applies
 * the update, bumps the revision and returns the new state, which is cached. Null when the filter matched nothing
 * (the cached copy is then dropped: it was stale).
 */
async function updateResponse(
  deps: ResponseDeps,
  response: ResponseData,
  filter: mongoose.mongo.Filter<mongoose.mongo.Document>,
  update: ResponseUpdate,
): Promise<ResponseData | null> {
  return withResponseLock(deps.connection, response._id, async () => {
    const updated = await responseModel(deps.connection).collection.findOneAndUpdate(
      { ...filter, _id: response._id },
      { ...update, $inc: { revision: 1 } } as mongoose.mongo.UpdateFilter<mongoose.mongo.Document>,
      { returnDocument: 'after' },
    );
    if (!updated) {
      forgetResponse(deps.connection, response);
      return null;
    }
    return rememberResponse(deps.connection, updated as unknown as ResponseData, cacheMsOf(deps));
  });
}

/** Applies an update to a response that must still be a draft; 409 once it was submitted. */
export async function updateDraft(
  deps: ResponseDeps,
  response: ResponseData,
  update: ResponseUpdate,
): Promise<ResponseData> {
  const updated = await updateResponse(deps, response, { status: 'draft' }, update);
  if (!updated) throw new HttpError(409, 'supplier:errors.alreadySubmitted');
  return updated;
}

function storedAnswers(response: Pick<ResponseData, 'answers'>): Record<string, StoredAnswer> {
  const raw: unknown = response.answers;
  if (raw === null || typeof raw !== 'object') return {};
  const result: Record<string, StoredAnswer> = {};
  for (const [id, entry] of Object.entries(raw)) {
    if (entry !== null && typeof entry === 'object' && 'value' in entry && 'updatedAt' in entry && entry.updatedAt instanceof Date) {
      result[id] = { value: entry.value, updatedAt: entry.updatedAt };
    }
  }
  return result;
}

/** Answer values by question id; evidence questions are answered by the files stored for them. */
export function answersOf(response: Pick<ResponseData, 'answers' | 'evidence'>, definition: QuestionnaireDefinition): Answers {
  const answers: Answers = {};
  for (const [id, stored] of Object.entries(storedAnswers(response))) answers[id] = stored.value as AnswerValue;
  for (const question of allQuestions(definition)) {
    if (question.type !== 'evidence') continue;
    const files = evidenceFilesFor(response, question.id);
    if (files.length > 0) answers[question.id] = files;
  }
  return answers;
}

export function evidenceFilesFor(response: Pick<ResponseData, 'evidence'>, questionId: string): EvidenceFile[] {
  return response.evidence
    .filter((ref) => ref.questionId === questionId)
    .map((ref) => ({ fileId: ref.fileId.toHexString(), filename: ref.filename, size: ref.size, contentType: ref.detectedType }));
}

export function findSection(definition: QuestionnaireDefinition, sectionId: string): Section {
  const section = definition.sections.find((s) => s.id === sectionId);
  if (!section) throw new HttpError(404, 'supplier:errors.unknownSection');
  return section;
}

export function findQuestion(definition: QuestionnaireDefinition, questionId: string): { section: Section; question: Question } {
  for (const section of definition.sections) {
    const question = section.questions.find((q) => q.id === questionId);
    if (question) return { section, question };
  }
  throw new HttpError(404, 'supplier:errors.unknownQuestion');
}

/** Sections the supplier currently sees (a section hidden by its condition, or with nothing visible, is skipped). */
export function visibleSections(definition: QuestionnaireDefinition, visibility: Visibility): Section[] {
  return definition.sections.filter((section) => visibility.progress(section).total > 0);
}

/** Where a returning supplier continues: the last section saved, else the first. */
export function resumeSectionId(ctx: SupplierContext): string {
  const sections = visibleSections(ctx.definition, computeVisibility(ctx.definition, answersOf(ctx.response, ctx.definition)));
  const last = ctx.response.lastSectionId;
  if (last && sections.some((s) => s.id === last)) return last;
  const first = sections[0] ?? ctx.definition.sections[0];
  if (!first) throw new Error(`Questionnaire ${ctx.definition.id} has no sections`);
  return first.id;
}

export function assertDraft(response: ResponseData): void {
  if (response.status !== 'draft') throw new HttpError(409, 'supplier:errors.alreadySubmitted');
}

function isEmptyInput(raw: unknown): boolean {
  if (raw === undefined || raw === null) return true;
  if (typeof raw === 'string') return raw.trim() === '';
  if (Array.isArray(raw)) return raw.every((item) => typeof item === 'string' && item.trim() === '');
  return false;
}

function isAcceptableInput(raw: unknown): boolean {
  if (typeof raw === 'string') return raw.length <= 20_000;
  if (typeof raw === 'number') return Number.isFinite(raw);
  if (typeof raw === 'boolean') return true;
  if (Array.isArray(raw)) return raw.length <= 200 && raw.every((item) => typeof item === 'string' && item.length <= 1000);
  return raw === undefined || raw === null;
}

export interface SaveRequest {
  sectionId: string;
  /** Raw values by question id, as posted (strings, or string arrays for multiple choice). */
  input: Record<string, unknown>;
  /**
   * 'section': a whole-section form post; a visible question missing from the input was left empty.
   * 'fields': an autosave of changed fields only; questions not in the input are untouched.
   */
  mode: 'section' | 'fields';
  locale: Locale;
  /** When the posted form was rendered: an empty field does not clear an answer saved after that (another tab). */
  renderedAt?: Date;
}

/** Attempts of a save whose response another app instance changed in between (each one starts from the new state). */
const SAVE_ATTEMPTS = 5;

/**
 * Validates and saves answers of one section. All or nothing: any invalid visible answer saves nothing and returns
 * the errors. Answers to questions hidden by a condition are discarded, including stored ones that became hidden.
 * One save per response at a time in this process, each computed from the newest state known and written only if
 * the response is still at that state (answer-writer.ts); the cache then applies the same changes to its copy.
 */
export async function saveAnswers(deps: ResponseDeps, ctx: SupplierContext, request: SaveRequest): Promise<SaveOutcome> {
  assertDraft(ctx.response);
  const section = findSection(ctx.definition, request.sectionId);
  assertKnownQuestions(section, request.input);
  return withResponseLock(deps.connection, ctx.response._id, async () => {
    let response = newestCopy(deps, ctx.response);
    for (let attempt = 1; ; attempt += 1) {
      assertDraft(response);
      const plan = planSave(deps, ctx.definition, response, section, request);
      if (!plan.ok) return plan;
      const result = await answerWriterFor(deps.connection, responseModel(deps.connection).collection).write({
        responseId: response._id,
        revision: response.revision ?? undefined,
        update: answerChangesUpdate(plan.changes),
      });
      if (result.status === 'written') {
        rememberResponse(deps.connection, withAnswerChanges(response, plan.changes, result.revision), cacheMsOf(deps));
        await noteProgress(deps, response, plan.changes.updatedAt);
        return { ok: true, answers: plan.answers, visibility: plan.visibility };
      }
      if (result.status === 'missing') throw new Error('The response disappeared');
      response = rememberResponse(deps.connection, result.current, cacheMsOf(deps));
      if (result.status === 'not-draft') throw new HttpError(409, 'supplier:errors.alreadySubmitted');
      if (attempt >= SAVE_ATTEMPTS) throw new Error(`Saving to response ${response._id.toHexString()} conflicted ${attempt} times`);
    }
  });
}

/** Last time this process told the campaign a response was being worked on, per response (see `noteProgress`). */
const progressNoted = new WeakMap<mongoose.Connection, Map<string, number>>();
const PROGRESS_NOTE_MS = 5 * 60 * 1000;
const MAX_NOTED = 10_000;

/**
 * Tells the campaign's progress list that the supplier is answering: at once on the first save, then at most every
 * few minutes per response (the list sorts by last activity; a write per autosave would double the save's cost).
 */
async function noteProgress(deps: ResponseDeps, before: ResponseData, now: Date): Promise<void> {
  const owner = { campaignId: before.campaignId, supplierId: before.supplierId };
  let noted = progressNoted.get(deps.connection);
  if (!noted) {
    noted = new Map();
    progressNoted.set(deps.connection, noted);
  }
  const key = before._id.toHexString();
  const last = noted.get(key);
  const first = !before.lastSectionId;
  if (!first && last !== undefined && now.getTime() - last < PROGRESS_NOTE_MS) return;
  if (noted.size >= MAX_NOTED) noted.clear();
  noted.set(key, now.getTime());
  try {
    if (first) await recordResponseStarted(deps.connection, owner, now);
    else await recordResponseActivity(deps.connection, owner, now);
  } catch (error) {
    deps.logger?.warn({ err: error, responseId: key }, 'campaign progress not noted');
  }
}

/** The caller's copy, or the cached one when this process has written a newer state since. */
function newestCopy(deps: ResponseDeps, response: ResponseData): ResponseData {
  const cached = cachedResponse(deps.connection, response, cacheMsOf(deps));
  return cached && cached._id.equals(response._id) && revisionOf(cached) > revisionOf(response) ? cached : response;
}

type SavePlan = { ok: true; changes: AnswerChanges; answers: Answers; visibility: Visibility } | { ok: false; errors: FieldErrors; answers: Answers };

/** What a save changes, computed from one state of the response; no I/O. */
function planSave(deps: ResponseDeps, definition: QuestionnaireDefinition, response: ResponseData, section: Section, request: SaveRequest): SavePlan {
  const current = answersOf(response, definition);
  const stored = storedAnswers(response);
  const editable = section.questions.filter((q) => q.type !== 'evidence');
  const touched = request.mode === 'section' ? editable : editable.filter((q) => q.id in request.input);
  const proposed: Answers = { ...current };
  const errors: FieldErrors = {};
  const cleared = new Set<string>();
  for (const question of touched) {
    const raw = request.input[question.id];
    if (!isAcceptableInput(raw)) {
      errors[question.id] = { key: 'supplier:errors.malformedAnswer', params: {} };
      continue;
    }
    if (isEmptyInput(raw)) {
      const savedAfterRender = request.renderedAt && stored[question.id] && stored[question.id].updatedAt > request.renderedAt;
      if (!savedAfterRender) {
        delete proposed[question.id];
        cleared.add(question.id);
      }
      continue;
    }
    const parsed = parseAnswer(question, raw, request.locale, { today: deps.clock.now().toISOString().slice(0, 10) });
    if (parsed.ok) proposed[question.id] = parsed.value;
    else errors[question.id] = { key: parsed.error.key, params: parsed.error.params ?? {} };
  }

  // Hidden answers count as unanswered for every condition, so this visibility also holds once they are removed.
  const visibility = computeVisibility(definition, proposed);
  const hidden = new Set(visibility.hiddenAnswerIds());
  const visibleNow = new Set(visibility.visibleQuestions(section).map((q) => q.id));
  for (const id of Object.keys(errors)) if (!visibleNow.has(id)) delete errors[id];
  if (Object.keys(errors).length > 0) return { ok: false, errors, answers: proposed };

  const now = deps.clock.now();
  const changes: AnswerChanges = { set: {}, unset: [], lastSectionId: section.id, updatedAt: now, sectionProgress: sectionProgressOf(definition, visibility) };
  for (const question of touched) {
    const id = question.id;
    if (hidden.has(id) || !visibleNow.has(id) || cleared.has(id)) {
      if (id in stored) changes.unset.push(id);
      continue;
    }
    const value = proposed[id];
    if (value !== undefined && !sameValue(value, stored[id]?.value)) changes.set[id] = { value, updatedAt: now };
  }
  for (const id of hidden) if (id in stored && !changes.unset.includes(id)) changes.unset.push(id);
  for (const id of hidden) delete proposed[id];
  return { ok: true, changes, answers: proposed, visibility };
}

/** What one save changes: answers set and removed, where the supplier was, and how far it has come. */
interface AnswerChanges {
  set: Record<string, StoredAnswer>;
  unset: string[];
  lastSectionId: string;
  updatedAt: Date;
  sectionProgress: SectionProgressSummary;
}

/**
 * Sections answered of the sections the supplier sees: a section counts as answered once it has an answer and every
 * required question in it is answered.
 */
export function sectionProgressOf(definition: QuestionnaireDefinition, visibility: Visibility): SectionProgressSummary {
  const visible = visibleSections(definition, visibility);
  const answered = visible.filter((section) => {
    const progress = visibility.progress(section);
    return progress.answered > 0 && progress.requiredAnswered === progress.required;
  }).length;
  return { answered, visible: visible.length };
}

function answerChangesUpdate(changes: AnswerChanges): ResponseUpdate {
  const $set: Record<string, unknown> = { lastSectionId: changes.lastSectionId, updatedAt: changes.updatedAt, sectionProgress: changes.sectionProgress };
  for (const [id, stored] of Object.entries(changes.set)) $set[`answers.${id}`] = stored;
  if (changes.unset.length === 0) return { $set };
  return { $set, $unset: Object.fromEntries(changes.unset.map((id) => [`answers.${id}`, ''])) };
}

/** `base` with the changes applied: what the database holds at `revision` after writing them onto `base`. */
function withAnswerChanges(base: ResponseData, changes: AnswerChanges, revision: number): ResponseData {
  const raw: unknown = base.answers;
  const answers: Record<string, unknown> = raw !== null && typeof raw === 'object' ? { ...(raw as Record<string, unknown>) } : {};
  for (const id of changes.unset) delete answers[id];
  Object.assign(answers, changes.set);
  return { ...base, answers, lastSectionId: changes.lastSectionId, updatedAt: changes.updatedAt, sectionProgress: changes.sectionProgress, revision };
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function assertKnownQuestions(section: Section, input: Record<string, unknown>): void {
  for (const id of Object.keys(input)) {
    const question = section.questions.find((q) => q.id === id);
    if (!question || question.type === 'evidence') throw new HttpError(400, 'supplier:errors.unknownQuestion', { id });
  }
}

export const declarationInput = z.object({
  name: z.string().trim().min(1, 'supplier:errors.declarationName').max(200, 'supplier:errors.tooLong'),
  role: z.string().trim().min(1, 'supplier:errors.declarationRole').max(200, 'supplier:errors.tooLong'),
  confirm: z.literal('yes', { error: 'supplier:errors.declarationConfirm' }),
});

export type SubmitOutcome =
  | { ok: true; response: ResponseData }
  | { ok: false; errors: FieldErrors; missing: Question[] };

/** The mail a submission sends to the supplier (the receipt), made from the response as it will be once submitted. */
export type SubmissionMail = (submitted: ResponseData) => Promise<NewMessage[]>;

/**
 * Submits once every required visible answer is there and the declaration is complete; afterwards read-only until
 * the buyer asks for changes. Each submission is kept (submission.ts); the receipt is queued in the submission's own
 * transaction, so both or neither happen.
 */
export async function submitResponse(deps: ResponseDeps & SubmissionDeps, ctx: SupplierContext, rawDeclaration: unknown, mailFor: SubmissionMail = async () => []): Promise<SubmitOutcome> {
  assertDraft(ctx.response);
  const answers = answersOf(ctx.response, ctx.definition);
  const missing = missingRequired(ctx.definition, answers);
  const parsed = declarationInput.safeParse(rawDeclaration);
  const errors: FieldErrors = {};
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'declaration');
      errors[`declaration-${field}`] ??= { key: issue.message.startsWith('supplier:') ? issue.message : 'supplier:errors.invalid', params: {} };
    }
  }
  if (!parsed.success || missing.length > 0) return { ok: false, errors, missing };

  const now = deps.clock.now();
  const declaration = { name: parsed.data.name, role: parsed.data.role };
  const actor = { kind: 'supplier' as const, id: ctx.invitation._id.toHexString(), name: declaration.name };
  const mail = await mailFor({ ...ctx.response, status: 'submitted', submittedAt: now, updatedAt: now, declaration });
  const response = await commitSubmission(deps, ctx.response, declaration, actor, { at: now, mail });
  // The register sorts suppliers by their latest response.
  await noteSupplierResponded(deps.connection, response.organisationId, response.supplierId, response.submittedAt ?? now);
  return { ok: true, response };
}

/** Remembers the language the supplier chose, so every later page (and the receipt) uses it. */
export async function rememberLanguage(deps: ResponseDeps, ctx: SupplierContext, language: Locale): Promise<SupplierContext> {
  const response = await updateResponse(deps, ctx.response, {}, { $set: { language } });
  if (!response) throw new Error('The response disappeared');
  return { ...ctx, response };
}
