/**
 * The JSON API of the buyer's side of responses, calling the same service functions as the pages: a response with
 * typed answers, labels in both languages, flags and evidence metadata; its submissions; the comparison; evidence
 * downloads; request changes; a campaign's responses and its exports.
 */
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { ApiRegistry } from '../platform/api';
import { allQuestions, CONVENTIONS, FOLLOW_UPS, QUESTION_TYPES, SEVERITIES, type Question } from '../questionnaires';
import { filesOf, type AnswerSet } from './answer-set';
import { sendCampaignExport } from './buyer-routes';
import {
  baselineSubmission,
  candidateKey,
  comparisonCandidates,
  evidenceForBuyer,
  loadBuyerResponse,
  requestChanges,
  stateOf,
  submissionOf,
  submissionSet,
  type BuyerResponse,
} from './buyer-service';
import { campaignResponses, campaignResponsesQuery, RESPONSE_STATES } from './campaign-responses';
import { compareAnswerSets } from './compare';
import { EXPORT_FORMATS, exportOptionsInput, prepareCampaignExport } from './export';
import type { FlagMark } from './flags';
import type { EvidenceRef } from './model';
import type { SubmissionData } from './submission-model';

const hexId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');
const idParams = z.object({ id: hexId });
const localized = z.object({ sv: z.string(), en: z.string() });

const evidenceJson = z.object({
  fileId: z.string(),
  questionId: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  uploadedAt: z.string(),
});

const flagJson = z.object({
  /** The rule's id. */
  id: z.string(),
  title: localized,
  rationale: localized,
  severity: z.enum(SEVERITIES),
  followUp: z.enum(FOLLOW_UPS),
  rulesKey: z.string(),
  /** The shown questions whose answers raise it. */
  questionIds: z.array(z.string()),
  indicators: z.array(z.number().int()),
  conventions: z.array(z.enum(CONVENTIONS)),
  context: z.array(
    z.object({ kind: z.literal('minimum_working_age'), question: z.string(), country: z.string(), age: z.number(), fallback: z.boolean(), source: z.object({ title: z.string(), url: z.string() }) }),
  ),
});

const answerJson = z.object({
  questionId: z.string(),
  sectionId: z.string(),
  type: z.enum(QUESTION_TYPES),
  label: localized,
  required: z.boolean(),
  /** yes_no 'yes'|'no', choices option ids, numbers, dates 'YYYY-MM-DD', country ISO codes, texts; null unanswered. */
  value: z.union([z.string(), z.number(), z.array(z.string())]).nullable(),
  choices: z.array(z.object({ id: z.string(), label: localized })).optional(),
  files: z.array(evidenceJson),
  flags: z.array(z.string()),
});

const answerSetJson = z.object({
  questionnaire: z.object({ id: z.string(), version: z.number().int(), title: localized }),
  answers: z.array(answerJson),
  flags: z.array(flagJson),
});

const submissionJson = z.object({
  number: z.number().int(),
  submittedAt: z.string(),
  declaration: z.object({ name: z.string(), role: z.string() }),
});

const responseJson = answerSetJson.extend({
  id: z.string(),
  state: z.enum(RESPONSE_STATES),
  supplier: z.object({ id: z.string(), name: z.string(), country: z.string(), organisationNumber: z.string() }).nullable(),
  campaign: z.object({ id: z.string(), name: z.string(), deadline: z.string() }).nullable(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  submittedAt: z.string().nullable(),
  declaration: z.object({ name: z.string(), role: z.string() }).nullable(),
  changeRequest: z.object({ message: z.string(), requestedAt: z.string(), requestedBy: z.string() }).nullable(),
  submissions: z.array(submissionJson),
});

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

function evidenceOf(ref: EvidenceRef): z.infer<typeof evidenceJson> {
  return {
    fileId: ref.fileId.toHexString(),
    questionId: ref.questionId,
    filename: ref.filename,
    contentType: ref.detectedType,
    size: ref.size,
    uploadedAt: ref.uploadedAt.toISOString(),
  };
}

function flagOf(mark: FlagMark): z.infer<typeof flagJson> {
  return {
    id: mark.id,
    title: mark.title,
    rationale: mark.rationale,
    severity: mark.severity,
    followUp: mark.followUp,
    rulesKey: mark.rulesKey,
    questionIds: mark.questionIds,
    indicators: mark.indicators,
    conventions: mark.conventions,
    context: mark.context,
  };
}

function valueOf(question: Question, set: AnswerSet): z.infer<typeof answerJson>['value'] {
  const value = set.answers[question.id];
  if (question.type === 'evidence' || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return value.every((item): item is string => typeof item === 'string') ? value : null;
}

function choicesOf(question: Question, value: z.infer<typeof answerJson>['value']) {
  if ((question.type !== 'single_choice' && question.type !== 'multiple_choice') || value === null) return undefined;
  const chosen = Array.isArray(value) ? value : [String(value)];
  return question.options.filter((o) => chosen.includes(o.id)).map((o) => ({ id: o.id, label: o.label }));
}

function answerSetJsonOf(set: AnswerSet): z.infer<typeof answerSetJson> {
  const { definition } = set;
  const sectionOf = new Map(definition.sections.flatMap((s) => s.questions.map((q) => [q.id, s.id] as const)));
  return {
    questionnaire: { id: definition.id, version: definition.version, title: definition.title },
    answers: allQuestions(definition)
      .filter((question) => set.visibility.isQuestionVisible(question))
      .map((question) => {
        const value = valueOf(question, set);
        const choices = choicesOf(question, value);
        return {
          questionId: question.id,
          sectionId: sectionOf.get(question.id) ?? '',
          type: question.type,
          label: question.label,
          required: question.required,
          value,
          ...(choices ? { choices } : {}),
          files: filesOf(set, question.id).map(evidenceOf),
          flags: set.flags.filter((f) => f.questionIds.includes(question.id)).map((f) => f.id),
        };
      }),
    flags: set.flags.map(flagOf),
  };
}

function responseJsonOf(record: BuyerResponse, set: AnswerSet, viewing?: SubmissionData): z.infer<typeof responseJson> {
  const { response, supplier, campaign } = record;
  const submitted = response.status === 'submitted';
  return {
    id: response._id.toHexString(),
    state: stateOf(response),
    supplier: supplier ?? null,
    campaign: campaign ? { id: campaign.id, name: campaign.name, deadline: campaign.deadline.toISOString() } : null,
    createdAt: iso(response.createdAt),
    updatedAt: iso(response.updatedAt),
    submittedAt: iso(viewing?.submittedAt ?? (submitted ? response.submittedAt : null)),
    declaration: viewing?.declaration ?? (submitted ? (response.declaration ?? null) : null),
    changeRequest: response.changeRequest
      ? { message: response.changeRequest.message, requestedAt: response.changeRequest.requestedAt.toISOString(), requestedBy: response.changeRequest.requestedBy?.name ?? '' }
      : null,
    submissions: record.submissions.map((s) => ({ number: s.number, submittedAt: s.submittedAt.toISOString(), declaration: s.declaration })),
    ...answerSetJsonOf(set),
  };
}

const comparisonJson = z.object({
  baseline: z.object({ responseId: z.string(), submission: z.number().int(), submittedAt: z.string(), key: z.string() }).nullable(),
  candidates: z.array(z.object({ key: z.string(), responseId: z.string(), submission: z.number().int(), submittedAt: z.string(), campaignName: z.string().nullable() })),
  sameVersion: z.boolean().nullable(),
  changes: z.array(z.object({ questionId: z.string(), kind: z.enum(['changed', 'appeared', 'disappeared', 'unchanged']) })),
  notComparable: z.array(z.object({ questionId: z.string(), reason: z.enum(['newQuestion', 'removedQuestion', 'typeChanged']), answered: z.boolean() })),
  flagsGained: z.array(z.string()),
  flagsLost: z.array(z.string()),
});

export function registerResponsesApi(api: ApiRegistry, deps: AppDeps): void {
  const tag = 'Responses';

  api.route(
    {
      method: 'get',
      path: '/responses/{id}',
      operationId: 'getResponse',
      summary: 'A response: typed answers by question id with labels in both languages, red flags and evidence metadata',
      description: 'Only the questions the supplier sees (conditions applied). A draft shows its answers so far.',
      tag,
      params: idParams,
      response: responseJson,
    },
    async ({ params, principal }) => {
      const record = await loadBuyerResponse(deps, principal.organisationId, params.id);
      return responseJsonOf(record, record.current);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/responses/{id}/submissions/{number}',
      operationId: 'getResponseSubmission',
      summary: 'One submission of a response, as it was submitted (earlier ones are kept when changes are requested)',
      tag,
      params: z.object({ id: hexId, number: z.coerce.number().int().min(1).max(100_000) }),
      response: responseJson,
    },
    async ({ params, principal }) => {
      const record = await loadBuyerResponse(deps, principal.organisationId, params.id);
      const submission = submissionOf(record, params.number);
      return responseJsonOf(record, submissionSet(deps, submission), submission);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/responses/{id}/compare',
      operationId: 'compareResponse',
      summary: 'Compare a response with an earlier submission of the same supplier (default: the latest before it)',
      description: 'Questions are matched by id across questionnaire versions; those that cannot be matched are listed in notComparable.',
      tag,
      params: idParams,
      query: z.object({ with: z.string().regex(/^[0-9a-f]{24}-[1-9][0-9]{0,5}$/i, 'must be <responseId>-<submission>').optional() }),
      response: comparisonJson,
    },
    async ({ params, query, principal }) => {
      const record = await loadBuyerResponse(deps, principal.organisationId, params.id);
      const candidates = await comparisonCandidates(deps.connection, record);
      const baseline = await baselineSubmission(deps.connection, record, candidates, query.with);
      const comparison = baseline ? compareAnswerSets(record.current, submissionSet(deps, baseline)) : undefined;
      return {
        baseline: baseline
          ? { responseId: baseline.responseId.toHexString(), submission: baseline.number, submittedAt: baseline.submittedAt.toISOString(), key: candidateKey(baseline.responseId, baseline.number) }
          : null,
        candidates: candidates.map((c) => ({ key: c.key, responseId: c.responseId.toHexString(), submission: c.number, submittedAt: c.submittedAt.toISOString(), campaignName: c.campaignName ?? null })),
        sameVersion: comparison?.sameVersion ?? null,
        changes: (comparison?.changes ?? []).map((c) => ({ questionId: c.questionId, kind: c.kind })),
        notComparable: (comparison?.notComparable ?? []).map((n) => ({ questionId: n.questionId, reason: n.reason, answered: n.answered })),
        flagsGained: (comparison?.flagsGained ?? []).map((f) => f.id),
        flagsLost: (comparison?.flagsLost ?? []).map((f) => f.id),
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/responses/{id}/evidence/{fileId}',
      operationId: 'downloadResponseEvidence',
      summary: 'An evidence file of the response (as it is now or in an earlier submission)',
      tag,
      params: z.object({ id: hexId, fileId: hexId }),
      produces: 'application/octet-stream',
    },
    async ({ params, principal, res }) => {
      const record = await loadBuyerResponse(deps, principal.organisationId, params.id);
      const file = await evidenceForBuyer(deps.connection, record, params.fileId);
      res.attachment(file.ref.filename);
      res.type(file.contentType);
      res.setHeader('Content-Length', String(file.length));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      await pipeline(file.stream, res);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/responses/{id}/request-changes',
      operationId: 'requestResponseChanges',
      summary: 'Reopen a submitted response with a message to the supplier, who is mailed a link and can submit again',
      description: 'The submission stays on record. 409 when the response is not submitted or its link was revoked.',
      tag,
      params: idParams,
      body: z.object({ message: z.string().max(10_000) }),
      response: responseJson,
    },
    async ({ params, body, principal, actor }) => {
      await requestChanges(deps, { organisationId: principal.organisationId, responseId: params.id, actor, input: body });
      const record = await loadBuyerResponse(deps, principal.organisationId, params.id);
      return responseJsonOf(record, record.current);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/campaigns/{id}/responses',
      operationId: 'listCampaignResponses',
      summary: 'The responses of a campaign with their state and red flags by severity, sorted by supplier name',
      tag,
      params: idParams,
      query: campaignResponsesQuery.extend({ language: z.enum(['sv', 'en']).default('en') }),
      response: z.object({
        total: z.number().int(),
        page: z.number().int(),
        pages: z.number().int(),
        responses: z.array(
          z.object({
            id: z.string(),
            supplierId: z.string(),
            supplierName: z.string(),
            state: z.enum(RESPONSE_STATES),
            submittedAt: z.string().nullable(),
            flags: z.record(z.enum(SEVERITIES), z.number().int()),
          }),
        ),
      }),
    },
    async ({ params, query, principal }) => {
      const list = await campaignResponses(deps, principal.organisationId, params.id, query, query.language);
      return {
        total: list.total,
        page: list.page,
        pages: list.pages,
        responses: list.items.map((item) => ({
          id: item.responseId,
          supplierId: item.supplierId,
          supplierName: item.supplierName,
          state: item.state,
          submittedAt: iso(item.submittedAt),
          flags: item.flagCounts,
        })),
      };
    },
  );

  for (const format of EXPORT_FORMATS) {
    api.route(
      {
        method: 'get',
        path: `/campaigns/{id}/export.${format}`,
        operationId: format === 'csv' ? 'exportCampaignCsv' : 'exportCampaignXlsx',
        summary: `The campaign's answers as ${format.toUpperCase()}: one row per supplier (its latest submission), one column per question`,
        description:
          'The same file as the campaign page offers. `language` (default en) sets headers and values; `columns=ids` writes question ids as headers' +
          (format === 'csv' ? '; `delimiter` defaults to semicolon for sv and comma for en. UTF-8 with a BOM.' : '.'),
        tag,
        params: idParams,
        query: exportOptionsInput,
        produces: format === 'csv' ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      },
      async ({ params, query, principal, actor, res }) => {
        const exported = await prepareCampaignExport(deps, {
          organisationId: principal.organisationId,
          campaignId: params.id,
          format,
          options: query,
          defaultLanguage: 'en',
          actor,
          via: 'api',
        });
        await sendCampaignExport(deps, res, exported, format, query);
      },
    );
  }
}
