/**
 * The buyer's pages for responses: a response with its flags and evidence, its submissions, a comparison with the
 * supplier's earlier answers, a printable version, "request changes", and a campaign's responses with the exports.
 * Thin handlers: parse and check input, call the service, render.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { requireRole } from '../accounts';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { Translate } from '../platform/i18n';
import { answerSetOf } from './answer-set';
import { answersView, candidateOptions, comparisonView, historyItems, responseHeader, responsePath } from './buyer-pages';
import {
  baselineSubmission,
  comparisonCandidates,
  evidenceForBuyer,
  loadBuyerResponse,
  requestChanges,
  responseHistory,
  submissionOf,
  submissionSet,
  type BuyerResponse,
} from './buyer-service';
import { campaignResponses, campaignResponsesQuery, RESPONSE_STATES } from './campaign-responses';
import { compareAnswerSets } from './compare';
import {
  exportFilename,
  exportOptionsInput,
  prepareCampaignExport,
  writeCsv,
  writeXlsx,
  type CampaignExport,
  type ExportFormat,
  type ExportOptions,
} from './export';
import type { SubmissionData } from './submission-model';

const PRINT_ASSETS = { scripts: ['/static/js/print-button.js'] };

/** The logged-in user (requireRole ran first). */
function userOf(req: Request) {
  const user = req.user;
  if (!user) throw new HttpError(401, 'common:errors.unauthenticated');
  return user;
}

export function userActor(req: Request): Actor {
  const user = userOf(req);
  return { kind: 'user', id: user.id, name: user.name };
}

function canRequestChanges(req: Request): boolean {
  return userOf(req).roles.some((role) => role === 'buyer' || role === 'admin');
}

const submissionParams = z.object({ number: z.coerce.number().int().min(1).max(100_000) });
const compareQuery = z.object({ with: z.string().max(100).optional(), all: z.enum(['1']).optional() });
const printQuery = z.object({ submission: z.coerce.number().int().min(1).max(100_000).optional() });
const noticeQuery = z.object({ notice: z.enum(['changesRequested']).optional() });

function parseOr400<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'common:errors.badRequest');
  return parsed.data;
}

function translate(res: Response): Translate {
  return res.locals.t as Translate;
}

interface ShowOptions {
  status: number;
  viewing?: SubmissionData;
  message?: string;
  errors?: Array<{ field: string; message: string }>;
}

export function buyerResponsesRouter(deps: AppDeps): Router {
  const router = Router();
  const readers = requireRole('buyer', 'auditor', 'admin');
  const editors = requireRole('buyer', 'admin');

  function load(req: Request): Promise<BuyerResponse> {
    return loadBuyerResponse(deps, userOf(req).organisationId, String(req.params.id));
  }

  async function renderResponse(req: Request, res: Response, record: BuyerResponse, options: ShowOptions): Promise<void> {
    const lang = req.lang;
    const t = translate(res);
    const set = options.viewing ? submissionSet(deps, options.viewing) : record.current;
    const [history, candidates] = await Promise.all([responseHistory(deps.connection, record.response), comparisonCandidates(deps.connection, record)]);
    const header = responseHeader(record, lang, t, options.viewing);
    const errors = options.errors ?? [];
    res.status(options.status).render('responses/show', {
      title: `${errors.length > 0 ? `${t('responses:errorTitlePrefix')} ` : ''}${t('responses:show.title', { supplier: header.supplier?.name ?? '' })}`,
      header,
      answers: answersView(record, set, lang, t),
      history: historyItems(history, lang, t),
      canCompare: candidates.length > 0,
      canRequestChanges: !options.viewing && header.state === 'submitted' && canRequestChanges(req),
      message: options.message ?? '',
      errors,
      // A notice is only a courtesy after a redirect: an unknown one is ignored rather than refused.
      notice: noticeQuery.safeParse(req.query).data?.notice,
    });
  }

  router.get('/responses/:id', readers, async (req, res) => {
    await renderResponse(req, res, await load(req), { status: 200 });
  });

  router.get('/responses/:id/submissions/:number', readers, async (req, res) => {
    const { number } = parseOr400(submissionParams, req.params);
    const record = await load(req);
    await renderResponse(req, res, record, { status: 200, viewing: submissionOf(record, number) });
  });

  router.post('/responses/:id/request-changes', editors, async (req, res) => {
    const body: unknown = req.body;
    const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : undefined;
    try {
      await requestChanges(deps, { organisationId: userOf(req).organisationId, responseId: String(req.params.id), actor: userActor(req), input: { message } });
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 422) throw error;
      await renderResponse(req, res, await load(req), {
        status: 422,
        message: typeof message === 'string' ? message : '',
        errors: [{ field: 'change-message', message: req.t(error.messageKey, error.params) }],
      });
      return;
    }
    res.redirect(303, `${responsePath(String(req.params.id))}?notice=changesRequested`);
  });

  router.get('/responses/:id/compare', readers, async (req, res) => {
    const query = parseOr400(compareQuery, req.query);
    const record = await load(req);
    const candidates = await comparisonCandidates(deps.connection, record);
    const baseline = await baselineSubmission(deps.connection, record, candidates, query.with);
    const lang = req.lang;
    const t = translate(res);
    const header = responseHeader(record, lang, t, undefined);
    const baselineSet = baseline ? submissionSet(deps, baseline) : undefined;
    res.render('responses/compare', {
      title: t('responses:compare.title', { supplier: header.supplier?.name ?? '' }),
      header,
      options: candidateOptions(candidates, baseline, lang, t),
      all: query.all === '1',
      comparison:
        baseline && baselineSet
          ? comparisonView(
              compareAnswerSets(record.current, baselineSet),
              { subject: record.current, baseline: baselineSet, subjectResponseId: header.responseId, baselineResponseId: baseline.responseId.toHexString() },
              lang,
              t,
              query.all === '1',
            )
          : undefined,
    });
  });

  router.get('/responses/:id/print', readers, async (req, res) => {
    const { submission } = parseOr400(printQuery, req.query);
    const record = await load(req);
    const viewing = submission === undefined ? undefined : submissionOf(record, submission);
    const lang = req.lang;
    const t = translate(res);
    await recordActivity(deps.connection, {
      organisationId: record.response.organisationId,
      actor: userActor(req),
      action: 'export.response_printed',
      subject: ref('response', record.response._id),
      refs: [ref('supplier', record.response.supplierId), ref('campaign', record.response.campaignId)],
      details: { submission: viewing?.number ?? null, language: lang },
      at: deps.clock.now(),
    });
    const header = responseHeader(record, lang, t, viewing);
    res.render('responses/print', {
      ...PRINT_ASSETS,
      title: t('responses:print.title', { supplier: header.supplier?.name ?? '' }),
      header,
      answers: answersView(record, viewing ? submissionSet(deps, viewing) : record.current, lang, t),
      printedAt: res.locals.formatDateTime(deps.clock.now()),
      printedBy: userOf(req).name,
    });
  });

  router.get('/responses/:id/files/:fileId', readers, async (req, res) => {
    const record = await load(req);
    const file = await evidenceForBuyer(deps.connection, record, String(req.params.fileId));
    res.attachment(file.ref.filename);
    res.type(file.contentType);
    res.setHeader('Content-Length', String(file.length));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    await pipeline(file.stream, res);
  });

  router.get('/campaigns/:id/responses', readers, async (req, res) => {
    const query = parseOr400(campaignResponsesQuery, req.query);
    const t = translate(res);
    const list = await campaignResponses(deps, userOf(req).organisationId, String(req.params.id), query, req.lang);
    res.render('responses/campaign', {
      title: t('responses:campaign.title', { campaign: list.campaign.name }),
      list,
      states: RESPONSE_STATES,
      state: query.state,
      path: `/campaigns/${list.campaign.id}/responses`,
    });
  });

  for (const format of ['csv', 'xlsx'] as const satisfies readonly ExportFormat[]) {
    router.get(`/campaigns/:id/export.${format}`, readers, async (req, res) => {
      const options = parseOr400(exportOptionsInput, req.query);
      const exported = await prepareCampaignExport(deps, {
        organisationId: userOf(req).organisationId,
        campaignId: String(req.params.id),
        format,
        options,
        defaultLanguage: req.lang,
        actor: userActor(req),
        via: 'page',
      });
      await sendCampaignExport(deps, res, exported, format, options);
    });
  }

  return router;
}

/** Streams an export as a download; the page and the API send the same file. */
export async function sendCampaignExport(
  deps: Pick<AppDeps, 'clock' | 'i18n'>,
  res: Response,
  exported: CampaignExport,
  format: ExportFormat,
  options: ExportOptions,
): Promise<void> {
  res.attachment(exportFilename(exported.campaignName, deps.clock.now(), format));
  res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (format === 'csv') await writeCsv(res, exported, options.delimiter);
  else await writeXlsx(res, exported, deps.i18n.getFixedT(exported.language)('responses:export.sheetName'));
}
