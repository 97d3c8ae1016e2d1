/**
 * The supplier's pages under `/s/<token>`: thin handlers that parse and check input, call the service and render.
 * Every page works as plain HTML forms; `public/js/autosave.js` only adds saving as the supplier types.
 */
import { pipeline } from 'node:stream/promises';
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import { findOrganisationById } from '../accounts';
import { getCampaign, recordLinkOpened, type CampaignDocument } from '../campaigns';
import { resolveInvitation, type InvitationResolution } from '../campaigns/invitation-service';
import { computeVisibility, sectionOf, type Answers, type Section, type Visibility } from '../questionnaires';
import type { AppDeps } from '../deps';
import { asyncHandler, HttpError, setRetryAfter, wantsJson } from '../platform/errors';
import { chooseLanguage, formatDate, formatDateTime, isLang, memoizedTranslate, useLanguage, type Lang, type Translate } from '../platform/i18n';
import type { NewMessage } from '../platform/mail/outbox';
import { renderMail } from '../platform/mail/render';
import { getSupplier } from '../suppliers';
import { createGuessLimiter } from './guess-limiter';
import { createRenderedPages } from './page-cache';
import { revisionOf } from './response-cache';
import { addEvidence, evidenceDownload, evidenceTarget, formatMegabytes, maxBytesOf, removeEvidence } from './evidence-service';
import {
  answersOf,
  assertDraft,
  findQuestion,
  findSection,
  openResponse,
  rememberLanguage,
  resumeSectionId,
  saveAnswers,
  submitResponse,
  visibleSections,
  type FieldErrors,
  type SupplierContext,
} from './service';
import type { ResponseData } from './model';
import { questionView, reviewSections, sectionNav } from './view-model';

const FIFTEEN_MINUTES = 15 * 60 * 1000;
const SUPPLIER_NAME_CACHE_MS = 60 * 1000;
/** Unknown, expired or revoked links one IP may try per window before it is refused (token guessing). */
export const TOKEN_FAILURES_PER_WINDOW = 20;

export interface SupplierRouterOptions {
  tokenFailuresPerWindow?: number;
  tokenFailureWindowMs?: number;
}

const PAGE_ASSETS = { styles: ['/static/css/supplier.css'], scripts: ['/static/js/autosave.js'] };
const ACTIONS = ['save', 'next', 'previous', 'review', 'lang:sv', 'lang:en'] as const;
type Action = (typeof ACTIONS)[number];

function parseAction(raw: unknown): Action {
  return typeof raw === 'string' && (ACTIONS as readonly string[]).includes(raw) ? (raw as Action) : 'save';
}

function languageOf(action: Action): Lang | undefined {
  const lang = action.startsWith('lang:') ? action.slice(5) : undefined;
  return isLang(lang) ? lang : undefined;
}

function formBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/** The `answers[<questionId>]` fields of a form post. */
function answersInput(body: Record<string, unknown>): Record<string, unknown> {
  const answers = body.answers;
  if (answers === undefined) return {};
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) throw new HttpError(400, 'supplier:errors.malformedForm');
  return { ...(answers as Record<string, unknown>) };
}

function parseRenderedAt(raw: unknown): Date | undefined {
  if (typeof raw !== 'string') return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const autosaveBody = z.object({
  sectionId: z.string().min(1).max(100),
  answers: z.record(z.string().max(100), z.unknown()),
});

const declarationForm = z.object({
  declarationName: z.string().max(1000).optional().default(''),
  declarationRole: z.string().max(1000).optional().default(''),
  declarationConfirm: z.string().max(10).optional(),
});

function viewTranslate(res: Response): Translate {
  return res.locals.t as Translate;
}

/**
 * An error-summary line: the question, then what is wrong. Most labels are questions, so a colon after them read
 * "…?: Answer the question"; a label ending in its own punctuation is followed by a space only.
 */
export function summaryItem(label: string, error: string): string {
  return /[?!.:]$/.test(label.trim()) ? `${label.trim()} ${error}` : `${label}: ${error}`;
}

export function supplierRouter(deps: AppDeps, options: SupplierRouterOptions = {}): Router {
  const router = express.Router();

  const guessLimiter = createGuessLimiter({
    limit: options.tokenFailuresPerWindow ?? TOKEN_FAILURES_PER_WINDOW,
    windowMs: options.tokenFailureWindowMs ?? FIFTEEN_MINUTES,
  });
  router.use('/s', guessLimiter.check);

  async function loadContext(req: Request, res: Response): Promise<SupplierContext | undefined> {
    const token = String(req.params.token);
    // The address is the supplier's key and the pages hold their answers: no caching, no Referer, no indexing.
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Robots-Tag', 'noindex, nofollow');
    const resolution = await resolveInvitation(deps, token);
    if (resolution.status !== 'valid') {
      guessLimiter.recordFailure(req, res);
      renderLinkProblem(req, res, resolution);
      return undefined;
    }
    if (!resolution.invitation.firstOpenedAt) await recordLinkOpened(deps.connection, resolution.invitation, deps.clock.now());
    let ctx = await openResponse(deps, resolution.invitation, resolution.dueAt);
    const lang = chooseLanguage(req, ctx.response.language ?? ctx.invitation.language);
    useLanguage(req.i18n, req, res, lang);
    res.locals.t = memoizedTranslate(req.i18n, lang);
    if (isLang(req.query.lang) && ctx.response.language !== req.query.lang) ctx = await rememberLanguage(deps, ctx, req.query.lang);
    res.locals.supplierBase = `/s/${token}`;
    res.locals.hideLanguageSwitch = true;
    return ctx;
  }

  function renderLinkProblem(req: Request, res: Response, resolution: Exclude<InvitationResolution, { status: 'valid' }>): void {
    const contact = resolution.status === 'unknown' ? undefined : resolution.contact;
    // Gone: the link existed, but no longer takes answers (expired, revoked, its campaign closed).
    const status = resolution.status === 'unknown' ? 404 : 410;
    if (wantsJson(req)) {
      res.status(status).json({ error: { message: req.t(`supplier:link.${resolution.status}`) } });
      return;
    }
    res.status(status).render('supplier/link-problem', {
      title: req.t(`supplier:link.${resolution.status}Title`),
      problem: resolution.status,
      contact,
      styles: PAGE_ASSETS.styles,
    });
  }

  /** A page or action behind a supplier link; the handler runs only for a valid link. */
  function supplierPage(handler: (req: Request, res: Response, ctx: SupplierContext) => Promise<void>) {
    return asyncHandler(async (req, res) => {
      const ctx = await loadContext(req, res);
      if (ctx) await handler(req, res, ctx);
    });
  }

  // Every page shows whom the questionnaire is for; a short-lived cache spares a query per page.
  const supplierNames = new Map<string, { name: string | undefined; until: number }>();
  async function supplierName(ctx: SupplierContext): Promise<string | undefined> {
    const key = ctx.invitation.supplierId.toHexString();
    const now = Date.now();
    const cached = supplierNames.get(key);
    if (cached && cached.until > now) return cached.name;
    const supplier = await getSupplier(deps.connection, ctx.invitation.organisationId, ctx.invitation.supplierId);
    if (supplierNames.size > 1000) supplierNames.clear();
    supplierNames.set(key, { name: supplier?.name, until: now + SUPPLIER_NAME_CACHE_MS });
    return supplier?.name;
  }

  function base(res: Response): string {
    return String(res.locals.supplierBase);
  }

  interface SectionRender {
    status: number;
    answers?: Answers;
    input?: Record<string, unknown>;
    errors?: FieldErrors;
    notice?: string;
    /** "Saved; these required questions of the section before are still unanswered" (after Save and continue). */
    incomplete?: IncompleteNotice;
    /** 404 when the section is hidden by a condition (a page asked for by address rather than after a save). */
    refuseHidden?: boolean;
  }

  const renderedPages = createRenderedPages(deps.config.supplierCacheMs);

  async function renderSection(req: Request, res: Response, ctx: SupplierContext, section: Section, render: SectionRender): Promise<void> {
    const lang = req.lang;
    const supplier = await supplierName(ctx);
    // Pages showing a refused form (errors, the posted input) are never cached: they are one-off.
    const pageKey =
      render.status === 200 && !render.errors && !render.input
        ? {
            responseId: ctx.response._id.toHexString(),
            revision: revisionOf(ctx.response),
            sectionId: section.id,
            lang,
            notice: render.incomplete ? `incomplete:${render.incomplete.sectionId}:${render.incomplete.questions.length}` : render.notice,
            csrfToken: String(res.locals.csrfToken),
            supplierName: supplier,
            dueAt: ctx.dueAt,
          }
        : undefined;
    const cached = pageKey && renderedPages.get(pageKey);
    if (cached) {
      res.status(200).type('html').send(cached);
      return;
    }
    // A cached page was visible at this revision; only a fresh render needs to check.
    const answers = render.answers ?? answersOf(ctx.response, ctx.definition);
    const visibility = computeVisibility(ctx.definition, answers);
    if (render.refuseHidden && visibility.progress(section).total === 0) throw new HttpError(404, 'supplier:errors.sectionHidden');
    const html = Buffer.from(await renderToString(res, 'supplier/section', sectionLocals(req, res, ctx, section, render, { answers, visibility, supplier })));
    if (pageKey) renderedPages.set(pageKey, html);
    res.status(render.status).type('html').send(html);
  }

  interface SectionState {
    answers: Answers;
    visibility: Visibility;
    supplier: string | undefined;
  }

  function sectionLocals(req: Request, res: Response, ctx: SupplierContext, section: Section, render: SectionRender, state: SectionState) {
    const { answers, visibility, supplier } = state;
    const lang = req.lang;
    const t = viewTranslate(res);
    const errors = render.errors ?? {};
    // Questions hidden by a condition are rendered hidden, so autosave can reveal them as soon as the server says so.
    const questions = section.questions.map((q) => ({
      ...questionView(q, { answers, input: render.input, errors, response: ctx.response, lang, t }),
      visible: visibility.isQuestionVisible(q),
      evidenceRequested: visibility.isEvidenceRequested(q),
    }));
    const nav = sectionNav(ctx.definition, answers, section.id, lang, t, visibility);
    const index = nav.findIndex((item) => item.id === section.id);
    const errorList = questions.flatMap((q) => [
      ...(q.error ? [{ field: q.targetId, message: summaryItem(q.label, q.error) }] : []),
      ...(q.evidence?.error ? [{ field: `file-${q.id}`, message: summaryItem(q.label, q.evidence.error) }] : []),
    ]);
    return {
      ...PAGE_ASSETS,
      title: `${errorList.length > 0 ? `${t('supplier:form.errorTitlePrefix')} ` : ''}${section.title[lang]}`,
      questionnaireTitle: ctx.definition.title[lang],
      supplierName: supplier,
      section: { id: section.id, title: section.title[lang], intro: section.intro?.[lang] },
      questions,
      nav,
      position: { current: index + 1, total: nav.length },
      hasPrevious: index > 0,
      errorList,
      notice: render.notice,
      incomplete: render.incomplete,
      renderedAt: deps.clock.now().toISOString(),
      deadline: formatDate(lang, ctx.dueAt, 'long'),
      changeRequest: changeRequestView(ctx, lang),
    };
  }

  function noticeFrom(req: Request): string | undefined {
    const notice = req.query.notice;
    return typeof notice === 'string' && ['saved', 'more', 'uploaded', 'removed', 'language'].includes(notice) ? notice : undefined;
  }

  /** Required questions of a section still unanswered, named by `?notice=incomplete&from=<section>` after a save. */
  function incompleteFrom(req: Request, res: Response, ctx: SupplierContext): IncompleteNotice | undefined {
    if (req.query.notice !== 'incomplete' || typeof req.query.from !== 'string') return undefined;
    const from = ctx.definition.sections.find((s) => s.id === req.query.from);
    if (!from) return undefined;
    const visibility = computeVisibility(ctx.definition, answersOf(ctx.response, ctx.definition));
    const missing = visibility.visibleQuestions(from).filter((q) => q.required && visibility.valueOf(q.id) === undefined);
    if (missing.length === 0) return undefined;
    const href = `${base(res)}/section/${from.id}`;
    return {
      sectionId: from.id,
      sectionTitle: from.title[req.lang],
      href,
      questions: missing.map((q) => ({ label: q.label[req.lang], href: `${href}#question-${q.id}` })),
    };
  }

  function hasStarted(response: ResponseData): boolean {
    return Boolean(response.lastSectionId) || response.evidence.length > 0;
  }

  /** Who asks, why, by when, what happens to the answers, before section 1 (and any time from the section list). */
  async function renderWelcome(req: Request, res: Response, ctx: SupplierContext): Promise<void> {
    const lang = req.lang;
    const [campaign, organisation, supplier] = await Promise.all([
      getCampaign(deps.connection, ctx.invitation.organisationId, ctx.invitation.campaignId),
      findOrganisationById(deps.connection, ctx.invitation.organisationId),
      supplierName(ctx),
    ]);
    const visibility = computeVisibility(ctx.definition, answersOf(ctx.response, ctx.definition));
    res.render('supplier/welcome', {
      ...PAGE_ASSETS,
      title: viewTranslate(res)('supplier:welcome.title', { title: ctx.definition.title[lang] }),
      questionnaireTitle: ctx.definition.title[lang],
      description: ctx.definition.description?.[lang],
      supplierName: supplier,
      organisationName: organisation?.name ?? '',
      campaignName: campaign?.name ?? ctx.definition.title[lang],
      dueDate: formatDate(lang, ctx.dueAt, 'long'),
      contact: ctx.invitation.buyerContact ?? campaignContact(campaign),
      sectionCount: visibleSections(ctx.definition, visibility).length,
      started: hasStarted(ctx.response),
      startHref: `${base(res)}/section/${resumeSectionId(ctx)}`,
      nav: sectionNav(ctx.definition, answersOf(ctx.response, ctx.definition), undefined, lang, viewTranslate(res), visibility),
      welcomeCurrent: true,
      hideLanguageSwitch: false,
    });
  }

  router.get(
    '/s/:token',
    supplierPage(async (req, res, ctx) => {
      if (ctx.response.status === 'submitted') return res.redirect(303, `${base(res)}/receipt`);
      if (!hasStarted(ctx.response)) return renderWelcome(req, res, ctx);
      res.redirect(303, `${base(res)}/section/${resumeSectionId(ctx)}`);
    }),
  );

  router.get(
    '/s/:token/welcome',
    supplierPage(async (req, res, ctx) => {
      if (ctx.response.status === 'submitted') return res.redirect(303, `${base(res)}/receipt`);
      await renderWelcome(req, res, ctx);
    }),
  );

  router.get(
    '/s/:token/section/:sectionId',
    supplierPage(async (req, res, ctx) => {
      if (ctx.response.status === 'submitted') return res.redirect(303, `${base(res)}/receipt`);
      const section = findSection(ctx.definition, String(req.params.sectionId));
      await renderSection(req, res, ctx, section, { status: 200, notice: noticeFrom(req), incomplete: incompleteFrom(req, res, ctx), refuseHidden: true });
    }),
  );

  async function switchLanguage(req: Request, res: Response, ctx: SupplierContext, lang: Lang): Promise<SupplierContext> {
    const switched = await rememberLanguage(deps, ctx, lang);
    if (req.session) req.session.lang = lang;
    useLanguage(req.i18n, req, res, lang);
    res.locals.t = memoizedTranslate(req.i18n, lang);
    return switched;
  }

  router.post(
    '/s/:token/section/:sectionId',
    supplierPage(async (req, res, ctx) => {
      const section = findSection(ctx.definition, String(req.params.sectionId));
      const body = formBody(req);
      const action = parseAction(body.action);
      const input = answersInput(body);
      const lang = languageOf(action);
      if (lang) ctx = await switchLanguage(req, res, ctx, lang);
      const beforeVisibility = computeVisibility(ctx.definition, answersOf(ctx.response, ctx.definition));
      const before = new Set(beforeVisibility.visibleQuestions(section).map((q) => q.id));
      const evidenceBefore = new Set(section.questions.filter((q) => q.type !== 'evidence' && beforeVisibility.isEvidenceRequested(q)).map((q) => q.id));
      const outcome = await saveAnswers(deps, ctx, {
        sectionId: section.id,
        input,
        mode: 'section',
        locale: req.lang,
        renderedAt: parseRenderedAt(body._rendered),
      });
      if (!outcome.ok) return renderSection(req, res, ctx, section, { status: 422, answers: outcome.answers, input, errors: outcome.errors });

      const here = `${base(res)}/section/${section.id}`;
      if (lang) return res.redirect(303, `${here}?notice=language`);
      const after = outcome.visibility;
      // A follow-up question or a document request the answers just made relevant: shown before moving on, so the
      // supplier sees it with or without JavaScript.
      const appeared =
        after.visibleQuestions(section).find((q) => !before.has(q.id)) ??
        section.questions.find((q) => q.type !== 'evidence' && after.isEvidenceRequested(q) && !evidenceBefore.has(q.id));
      if (action === 'save') return res.redirect(303, `${here}?notice=saved`);
      if (action === 'review') return res.redirect(303, `${base(res)}/review`);
      if (action === 'next' && appeared) return res.redirect(303, `${here}?notice=more#question-${appeared.id}`);
      const missingHere = after.visibleQuestions(section).some((q) => q.required && after.valueOf(q.id) === undefined);
      const incomplete = action === 'next' && missingHere ? `?notice=incomplete&from=${section.id}` : '';
      const shown = visibleSections(ctx.definition, after);
      const index = shown.findIndex((s) => s.id === section.id);
      if (action === 'previous') {
        const previous = index > 0 ? shown[index - 1] : undefined;
        return res.redirect(303, previous ? `${base(res)}/section/${previous.id}` : here);
      }
      const next = index >= 0 ? shown[index + 1] : shown[0];
      res.redirect(303, next ? `${base(res)}/section/${next.id}${incomplete}` : `${base(res)}/review${incomplete}`);
    }),
  );

  router.post(
    '/s/:token/autosave',
    supplierPage(async (req, res, ctx) => {
      const parsed = autosaveBody.safeParse(req.body);
      if (!parsed.success) throw new HttpError(400, 'supplier:errors.malformedForm');
      const outcome = await saveAnswers(deps, ctx, {
        sectionId: parsed.data.sectionId,
        input: parsed.data.answers,
        mode: 'fields',
        locale: req.lang,
      });
      if (!outcome.ok) {
        const fields = Object.fromEntries(Object.entries(outcome.errors).map(([id, e]) => [id, req.t(e.key, e.params)]));
        res.status(422).json({ error: { message: req.t('supplier:autosave.invalid'), fields } });
        return;
      }
      const visibility = outcome.visibility;
      const progress = sectionNav(ctx.definition, outcome.answers, parsed.data.sectionId, req.lang, viewTranslate(res), visibility).map((item) => ({
        id: item.id,
        complete: item.complete,
        text: item.progressText,
      }));
      const section = findSection(ctx.definition, parsed.data.sectionId);
      const visible = visibility.visibleQuestions(section).map((q) => q.id);
      const evidence = section.questions.filter((q) => q.type !== 'evidence' && visibility.isEvidenceRequested(q)).map((q) => q.id);
      res.json({ savedAt: deps.clock.now().toISOString(), progress, visible, evidence });
    }),
  );

  /** Reads a multipart upload with the question's size limit; a file over it is reported next to the field. */
  function readUpload(req: Request, res: Response, fieldName: string, maxBytes: number): Promise<Express.Multer.File[]> {
    const parse = multer({
      storage: multer.memoryStorage(),
      limits: { fileSize: maxBytes, files: 20, fields: 2000, fieldSize: 64 * 1024, parts: 2100 },
      // Files chosen in the section's other upload fields are skipped unread: only this question's file is kept.
      fileFilter: (_req, file, accept) => accept(null, file.fieldname === fieldName),
    }).any();
    return new Promise((resolve, reject) => {
      parse(req, res, (error: unknown) => {
        if (!error) {
          resolve(Array.isArray(req.files) ? req.files : []);
          return;
        }
        const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
        if (code === 'LIMIT_FILE_SIZE') reject(new HttpError(413, 'supplier:errors.fileTooLarge', { max: formatMegabytes(maxBytes) }));
        else reject(new HttpError(400, 'supplier:errors.malformedForm', {}, { cause: error }));
      });
    });
  }

  /** Saves what else the section form held (the upload and remove buttons post the whole form). */
  async function saveSectionFirst(req: Request, res: Response, ctx: SupplierContext, section: Section): Promise<SupplierContext | undefined> {
    const body = formBody(req);
    const input = answersInput(body);
    if (Object.keys(input).length === 0 && body._rendered === undefined) return ctx;
    const outcome = await saveAnswers(deps, ctx, { sectionId: section.id, input, mode: 'section', locale: req.lang, renderedAt: parseRenderedAt(body._rendered) });
    if (!outcome.ok) {
      await renderSection(req, res, ctx, section, { status: 422, answers: outcome.answers, input, errors: outcome.errors });
      return undefined;
    }
    return openResponse(deps, ctx.invitation, ctx.dueAt);
  }

  async function renderFileError(req: Request, res: Response, ctx: SupplierContext, section: Section, questionId: string, error: HttpError): Promise<void> {
    await renderSection(req, res, ctx, section, {
      status: error.status,
      errors: { [`file-${questionId}`]: { key: error.messageKey, params: error.params } },
    });
  }

  router.post(
    '/s/:token/evidence/:questionId',
    supplierPage(async (req, res, ctx) => {
      assertDraft(ctx.response);
      const questionId = String(req.params.questionId);
      const target = evidenceTarget(ctx, questionId);
      const { section } = findQuestion(ctx.definition, questionId);
      let files: Express.Multer.File[];
      try {
        files = await readUpload(req, res, `file-${questionId}`, maxBytesOf(target.spec));
      } catch (error) {
        if (error instanceof HttpError && error.status === 413) return renderFileError(req, res, ctx, section, questionId, error);
        throw error;
      }
      const saved = await saveSectionFirst(req, res, ctx, section);
      if (!saved) return;
      const file = files.find((f) => f.fieldname === `file-${questionId}` && f.size > 0);
      try {
        if (!file) throw new HttpError(400, 'supplier:errors.fileMissing');
        await addEvidence(deps, saved, questionId, { buffer: file.buffer, originalName: file.originalname });
      } catch (error) {
        if (error instanceof HttpError && error.status < 500 && error.status !== 409) return renderFileError(req, res, saved, section, questionId, error);
        throw error;
      }
      res.redirect(303, `${base(res)}/section/${section.id}?notice=uploaded#question-${questionId}`);
    }),
  );

  router.post(
    '/s/:token/evidence/:questionId/:fileId/delete',
    supplierPage(async (req, res, ctx) => {
      assertDraft(ctx.response);
      const questionId = String(req.params.questionId);
      const { section } = findQuestion(ctx.definition, questionId);
      const ref = ctx.response.evidence.find((r) => r.fileId.toHexString() === String(req.params.fileId));
      if (!ref || ref.questionId !== questionId) throw new HttpError(404, 'supplier:errors.unknownFile');
      const saved = await saveSectionFirst(req, res, ctx, section);
      if (!saved) return;
      await removeEvidence(deps, saved, String(req.params.fileId));
      res.redirect(303, `${base(res)}/section/${section.id}?notice=removed#question-${questionId}`);
    }),
  );

  router.get(
    '/s/:token/files/:fileId',
    supplierPage(async (req, res, ctx) => {
      const { ref, contentType, stream } = evidenceDownload(deps, ctx, String(req.params.fileId));
      res.attachment(ref.filename);
      res.type(contentType);
      res.setHeader('Cache-Control', 'private, no-store');
      await pipeline(stream, res);
    }),
  );

  interface ReviewRender {
    status: number;
    errors?: FieldErrors;
    values?: { name: string; role: string; confirm: boolean };
    showMissing?: boolean;
    incomplete?: IncompleteNotice;
  }

  async function renderReview(req: Request, res: Response, ctx: SupplierContext, render: ReviewRender): Promise<void> {
    const lang = req.lang;
    const t = viewTranslate(res);
    const answers = answersOf(ctx.response, ctx.definition);
    const visibility = computeVisibility(ctx.definition, answers);
    // The same list submit refuses on (missingRequired), in document order.
    const missing = visibility.missingRequired().map((q) => ({ sectionId: sectionOf(q).id, id: q.id, label: q.label[lang] }));
    const errors = render.errors ?? {};
    const errorList = [
      ...(render.showMissing ? missing.map((m) => ({ href: `${base(res)}/section/${m.sectionId}#question-${m.id}`, message: t('supplier:review.missingItem', { label: m.label }) })) : []),
      ...Object.entries(errors).map(([field, e]) => ({ href: `#${field}`, message: t(e.key, e.params) })),
    ];
    res.status(render.status).render('supplier/review', {
      ...PAGE_ASSETS,
      title: `${errorList.length > 0 ? `${t('supplier:form.errorTitlePrefix')} ` : ''}${t('supplier:review.title')}`,
      questionnaireTitle: ctx.definition.title[lang],
      supplierName: await supplierName(ctx),
      sections: reviewSections(ctx.definition, answers, ctx.response, lang, t, visibility),
      nav: sectionNav(ctx.definition, answers, undefined, lang, t, visibility),
      missingCount: missing.length,
      errorList,
      fieldErrors: Object.fromEntries(Object.entries(errors).map(([field, e]) => [field, t(e.key, e.params)])),
      values: render.values ?? { name: ctx.response.declaration?.name ?? '', role: ctx.response.declaration?.role ?? '', confirm: false },
      incomplete: render.incomplete,
      changeRequest: changeRequestView(ctx, lang),
    });
  }

  router.get(
    '/s/:token/review',
    supplierPage(async (req, res, ctx) => {
      if (ctx.response.status === 'submitted') return res.redirect(303, `${base(res)}/receipt`);
      await renderReview(req, res, ctx, { status: 200, incomplete: incompleteFrom(req, res, ctx) });
    }),
  );

  router.post(
    '/s/:token/submit',
    supplierPage(async (req, res, ctx) => {
      assertDraft(ctx.response);
      const parsed = declarationForm.safeParse(formBody(req));
      if (!parsed.success) throw new HttpError(400, 'supplier:errors.malformedForm');
      const values = { name: parsed.data.declarationName, role: parsed.data.declarationRole, confirm: parsed.data.declarationConfirm === 'yes' };
      const lang = languageOf(parseAction(formBody(req).action));
      if (lang) {
        return renderReview(req, res, await switchLanguage(req, res, ctx, lang), { status: 200, values });
      }
      const outcome = await submitResponse(deps, ctx, { name: values.name, role: values.role, confirm: parsed.data.declarationConfirm }, (submitted) =>
        submissionMail(req, { ...ctx, response: submitted }),
      );
      if (!outcome.ok) return renderReview(req, res, ctx, { status: 422, errors: outcome.errors, values, showMissing: true });
      res.redirect(303, `${base(res)}/receipt`);
    }),
  );

  function receiptLocals(ctx: SupplierContext, lang: Lang, t: Translate, supplier: string | undefined) {
    const answers = answersOf(ctx.response, ctx.definition);
    return {
      questionnaireTitle: ctx.definition.title[lang],
      questionnaireRef: `${ctx.definition.id}@${ctx.definition.version}`,
      supplierName: supplier,
      reference: ctx.response._id.toHexString(),
      submittedAt: formatDateTime(lang, ctx.response.submittedAt ?? undefined),
      declaration: ctx.response.declaration ?? { name: '', role: '' },
      contact: ctx.invitation.buyerContact ?? undefined,
      sections: reviewSections(ctx.definition, answers, ctx.response, lang, t),
    };
  }

  /**
   * The receipt, to the contact whose link was used, queued in the submission's own transaction (submitResponse).
   * The buyers hear of it through the campaigns' listener on `responseHooks`.
   */
  async function submissionMail(req: Request, ctx: SupplierContext): Promise<NewMessage[]> {
    const supplier = await getSupplier(deps.connection, ctx.invitation.organisationId, ctx.invitation.supplierId);
    const to = ctx.invitation.contact?.email ?? supplier?.contacts[0]?.email;
    if (!supplier || !to) return [];
    const lang = req.lang;
    const t = req.t;
    const locals = { ...receiptLocals(ctx, lang, t, supplier.name), t, lang, receiptUrl: `${deps.config.baseUrl}${req.baseUrl}/s/${String(req.params.token)}/receipt` };
    const submittedAt = ctx.response.submittedAt ?? deps.clock.now();
    const rendered = await renderMail('receipt', locals);
    return [
      {
        organisationId: ctx.invitation.organisationId,
        to,
        subject: t('supplier:email.subject', { title: locals.questionnaireTitle }),
        ...rendered,
        category: 'receipt',
        refs: [`response:${locals.reference}`, `supplier:${ctx.invitation.supplierId.toHexString()}`, `invitation:${ctx.invitation._id.toHexString()}`],
        // One receipt per submission, even if the request is retried.
        dedupeKey: `receipt:${locals.reference}:${submittedAt.toISOString()}`,
      },
    ];
  }

  router.get(
    '/s/:token/receipt',
    supplierPage(async (req, res, ctx) => {
      if (ctx.response.status !== 'submitted') return res.redirect(303, `${base(res)}/review`);
      res.render('supplier/receipt', {
        ...PAGE_ASSETS,
        hideLanguageSwitch: false,
        title: req.t('supplier:receipt.title'),
        ...receiptLocals(ctx, req.lang, viewTranslate(res), await supplierName(ctx)),
      });
    }),
  );

  const supplierErrors: ErrorRequestHandler = (error, req, res, next) => {
    if (!(error instanceof HttpError) || error.status >= 500 || wantsJson(req) || res.headersSent) {
      next(error);
      return;
    }
    setRetryAfter(req, res, error.status);
    (req.log ?? deps.logger).info({ status: error.status, messageKey: error.messageKey }, 'supplier request refused');
    res.status(error.status).render('supplier/problem', {
      styles: PAGE_ASSETS.styles,
      title: req.t(`supplier:problem.title${error.status}`, { defaultValue: req.t('supplier:problem.title') }),
      message: req.t(error.messageKey, error.params),
      status: error.status,
      backHref: typeof res.locals.supplierBase === 'string' ? res.locals.supplierBase : undefined,
    });
  };
  router.use(supplierErrors);

  return router;
}

/** What the supplier is told about required questions left unanswered in a section it saved and left. */
interface IncompleteNotice {
  sectionId: string;
  sectionTitle: string;
  href: string;
  questions: Array<{ label: string; href: string }>;
}

function campaignContact(campaign: CampaignDocument | null): { name: string; email: string } | undefined {
  return campaign?.buyerContact ? { name: campaign.buyerContact.name, email: campaign.buyerContact.email } : undefined;
}

/** The buyer's open request for changes, as the form pages show it. */
function changeRequestView(ctx: SupplierContext, lang: Lang): { message: string; by: string; at: string } | undefined {
  const request = ctx.response.changeRequest;
  return request ? { message: request.message, by: request.requestedBy?.name ?? '', at: formatDateTime(lang, request.requestedAt) } : undefined;
}

/** res.render's output as a string (errors reject, for the async handler to pass on). */
function renderToString(res: Response, view: string, locals: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    res.render(view, locals, (error: Error | null, html?: string) => {
      if (error) reject(error);
      else resolve(html ?? '');
    });
  });
}
