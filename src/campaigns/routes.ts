/**
 * The buyer's campaign pages: the home dashboard, the list, the draft form, choosing suppliers, the email preview,
 * sending, the progress page with its actions (remind, extend, close, add suppliers, issue a link again) and one
 * supplier's invitations. Thin handlers: parse and check input, call the services (the same ones the API calls),
 * render. Auditors read; buyers and admins act.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { findOrganisationById, requireRole } from '../accounts';
import type { AppDeps } from '../deps';
import type { Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { Lang, Translate } from '../platform/i18n';
import { rateLimit } from '../platform/security';
import { countryName } from '../questionnaires';
import { dayOf } from './dates';
import { formValues, parseCampaignForm, serviceError, valuesOf, type CampaignFormValues, type FieldError } from './form';
import { extendBody, progressQuery, reissueBody, supplierFilterInput, type ProgressQuery, type SupplierFilter } from './inputs';
import { closeCampaign, extendDueDate } from './lifecycle';
import { previewMail } from './preview';
import { progressChart } from './chart';
import { campaignCounts, campaignSummaries, invitationStatuses, participantOf, progressFilterOptions, progressPage, responseIdOf } from './progress';
import { remindNonSubmitted } from './reminders';
import { reissueInvitation, sendCampaign } from './sending';
import {
  addSuppliers,
  createCampaign,
  defaultMessages,
  findSupplierCandidates,
  publishedQuestionnaires,
  removeSuppliers,
  requireCampaign,
  supplierFilterOptions,
  updateCampaign,
} from './service';
import { CAMPAIGN_STATUSES, type CampaignDocument } from './model';

const READ = requireRole('buyer', 'auditor', 'admin');
const WRITE = requireRole('buyer', 'admin');
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox";

/** Notices a page shows after an action redirected to it (`?notice=sent&n=12`). */
const NOTICES = ['created', 'saved', 'sent', 'reminded', 'extended', 'closed', 'added', 'removed', 'reissued'] as const;

export function userActor(req: Request): Actor {
  const user = req.user;
  if (!user) throw new HttpError(401, 'common:errors.unauthenticated');
  return { kind: 'user', id: user.id, name: user.name };
}

export function organisationOf(req: Request): string {
  const id = req.user?.organisationId;
  if (!id) throw new HttpError(401, 'common:errors.unauthenticated');
  return id;
}

function canEdit(req: Request): boolean {
  return Boolean(req.user?.roles.some((role) => role === 'buyer' || role === 'admin'));
}

function noticeOf(req: Request): { key: string; count: number } | undefined {
  const key = req.query.notice;
  if (typeof key !== 'string' || !(NOTICES as readonly string[]).includes(key)) return undefined;
  const count = Number(req.query.n);
  return { key, count: Number.isInteger(count) && count >= 0 ? count : 0 };
}

function body(req: Request): Record<string, unknown> {
  const value: unknown = req.body;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function t(res: Response): Translate {
  return res.locals.t as Translate;
}

/** Filters given in a query or a form, checked like the API's (a malformed one is ignored, never queried). */
function filterFrom(source: Record<string, unknown>): SupplierFilter {
  const pick = (key: string) => (typeof source[key] === 'string' && source[key] !== '' ? source[key] : undefined);
  const parsed = supplierFilterInput.safeParse({ country: pick('country'), sector: pick('sector'), tag: pick('tag'), q: pick('q') });
  return parsed.success ? parsed.data : {};
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function homeRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/', READ, async (req, res) => {
    const organisationId = organisationOf(req);
    const [organisation, open] = await Promise.all([
      findOrganisationById(deps.connection, organisationId),
      campaignSummaries(deps.connection, organisationId, { status: 'open' }, deps.clock.now()),
    ]);
    res.render('campaigns/home', {
      title: t(res)('campaigns:home.title'),
      organisationName: organisation?.name ?? '',
      campaigns: open,
      canEdit: canEdit(req),
    });
  });
  return router;
}

export function campaignsRouter(deps: AppDeps): Router {
  const router = Router();
  // Sending reminders by hand is limited per user and campaign; the policy's minimum gap protects each contact.
  const remindLimiter = rateLimit({
    windowMs: 60 * 60 * 1000,
    limit: 5,
    // After the role check: every caller here is logged in.
    key: (req) => `${req.user?.id ?? 'anonymous'}:${String(req.params.id)}`,
    messageKey: 'campaigns:errors.remindTooOften',
  });

  router.get('/campaigns', READ, async (req, res) => {
    const status = z.enum(CAMPAIGN_STATUSES).optional().safeParse(req.query.status || undefined);
    const campaigns = await campaignSummaries(deps.connection, organisationOf(req), { status: status.success ? status.data : undefined }, deps.clock.now());
    res.render('campaigns/index', { title: t(res)('campaigns:list.title'), campaigns, status: status.success ? (status.data ?? '') : '', statuses: CAMPAIGN_STATUSES, canEdit: canEdit(req) });
  });

  const questionnaireChoices = () => publishedQuestionnaires(deps.questionnaires).map((q) => `${q.id}@${q.version}`);

  async function renderForm(res: Response, options: { status: number; values: CampaignFormValues; errors?: FieldError[]; campaign?: CampaignDocument }): Promise<void> {
    res.status(options.status).render('campaigns/form', {
      title: t(res)(options.campaign ? 'campaigns:form.editTitle' : 'campaigns:form.newTitle', { name: options.campaign?.name }),
      values: options.values,
      errors: options.errors ?? [],
      campaign: options.campaign,
      questionnaires: publishedQuestionnaires(deps.questionnaires),
      minDate: dayOf(new Date(deps.clock.now().getTime() + 24 * 60 * 60 * 1000)),
    });
  }

  async function newFormValues(req: Request): Promise<CampaignFormValues> {
    const organisation = await findOrganisationById(deps.connection, organisationOf(req));
    // The newest published version of the first questionnaire, as a new campaign most often wants.
    const choices = publishedQuestionnaires(deps.questionnaires);
    const first = choices.filter((q) => q.id === choices[0]?.id).at(-1);
    const messages = defaultMessages(deps.i18n);
    return {
      name: '',
      questionnaire: first ? `${first.id}@${first.version}` : '',
      dueDate: dayOf(new Date(deps.clock.now().getTime() + 30 * 24 * 60 * 60 * 1000)),
      buyerContactName: organisation?.contactName ?? req.user?.name ?? '',
      buyerContactEmail: organisation?.contactEmail ?? req.user?.email ?? '',
      messages,
      remindersEnabled: true,
      beforeDays: '7, 1',
      afterDays: '3, 10',
      maxCount: '3',
      minGapDays: '2',
      revision: '0',
    };
  }

  router.get('/campaigns/new', WRITE, async (req, res) => {
    await renderForm(res, { status: 200, values: await newFormValues(req) });
  });

  router.post('/campaigns', WRITE, async (req, res) => {
    const values = formValues(req.body);
    const parsed = parseCampaignForm(values, t(res), questionnaireChoices());
    if (!parsed.ok) return renderForm(res, { status: 422, values, errors: parsed.errors });
    try {
      const campaign = await createCampaign(deps, { ...parsed.fields, organisationId: organisationOf(req), actor: userActor(req) });
      res.redirect(303, `/campaigns/${campaign.id}/suppliers/add?notice=created`);
    } catch (error) {
      if (error instanceof HttpError && error.status === 400) return renderForm(res, { status: 422, values, errors: [serviceError(error, t(res))] });
      throw error;
    }
  });

  router.get('/campaigns/:id/edit', WRITE, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    if (campaign.status !== 'draft') throw new HttpError(409, 'campaigns:errors.notDraft');
    await renderForm(res, { status: 200, values: valuesOf(campaign), campaign });
  });

  router.post('/campaigns/:id', WRITE, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    const values = formValues(req.body);
    const parsed = parseCampaignForm(values, t(res), questionnaireChoices());
    if (!parsed.ok) return renderForm(res, { status: 422, values, errors: parsed.errors, campaign });
    const revision = Number(values.revision);
    try {
      await updateCampaign(deps, campaign.organisationId, campaign._id, { ...parsed.fields, revision: Number.isInteger(revision) ? revision : -1 }, userActor(req));
    } catch (error) {
      if (error instanceof HttpError && (error.status === 400 || error.messageKey === 'campaigns:errors.staleEdit')) {
        return renderForm(res, { status: error.status === 400 ? 422 : 409, values, errors: [serviceError(error, t(res))], campaign });
      }
      throw error;
    }
    res.redirect(303, `/campaigns/${campaign.id}?notice=saved`);
  });

  router.get('/campaigns/:id', READ, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    await renderCampaign(req, res, campaign, { status: 200 });
  });

  interface CampaignRender {
    status: number;
    errors?: FieldError[];
    extendValue?: string;
  }

  async function renderCampaign(req: Request, res: Response, campaign: CampaignDocument, render: CampaignRender): Promise<void> {
    const now = deps.clock.now();
    const query = progressQuery.safeParse(req.query);
    const progress: ProgressQuery = query.success ? query.data : progressQuery.parse({});
    const translate = t(res);
    const [counts, page, options] = await Promise.all([
      campaignCounts(deps.connection, campaign, now),
      progressPage(deps.connection, campaign, progress, now),
      progressFilterOptions(deps.connection, campaign),
    ]);
    const chart = campaign.status === 'draft' ? undefined : await progressChart(counts, translate, `chart-${campaign.id}`);
    const definition = deps.questionnaires.get(campaign.questionnaireId, campaign.questionnaireVersion);
    res.status(render.status).render('campaigns/show', {
      title: campaign.name,
      campaign,
      questionnaireTitle: definition?.title[req.lang as Lang] ?? `${campaign.questionnaireId}@${campaign.questionnaireVersion}`,
      counts,
      chart,
      page,
      query: progress,
      filterOptions: options,
      notice: noticeOf(req),
      errors: render.errors ?? [],
      extendValue: render.extendValue ?? dayOf(new Date(Math.max(campaign.deadline.getTime(), now.getTime()) + 14 * 24 * 60 * 60 * 1000)),
      canEdit: canEdit(req),
      overdue: campaign.status === 'open' && now.getTime() > campaign.deadline.getTime(),
      countryName: (code: string) => countryName(code, req.lang),
    });
  }

  router.get('/campaigns/:id/suppliers/add', WRITE, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    if (campaign.status === 'closed') throw new HttpError(409, 'campaigns:errors.closed');
    const filter = filterFrom(req.query as Record<string, unknown>);
    const pageNumber = z.coerce.number().int().min(1).max(10_000).catch(1).parse(req.query.page ?? 1);
    const [found, options, counts] = await Promise.all([
      findSupplierCandidates(deps.connection, campaign, filter, pageNumber),
      supplierFilterOptions(deps.connection, campaign.organisationId),
      campaignCounts(deps.connection, campaign, deps.clock.now()),
    ]);
    res.render('campaigns/add-suppliers', {
      title: t(res)('campaigns:add.title', { name: campaign.name }),
      campaign,
      filter,
      options,
      suppliers: found.suppliers,
      total: found.total,
      page: pageNumber,
      pages: Math.max(1, Math.ceil(found.total / 50)),
      counts,
      notice: noticeOf(req),
      countryName: (code: string) => countryName(code, req.lang),
    });
  });

  router.post('/campaigns/:id/suppliers', WRITE, async (req, res) => {
    const form = body(req);
    const organisationId = organisationOf(req);
    const ids = stringList(form.supplierIds);
    const addAll = form.addAll === 'matching';
    if (!addAll && ids.length === 0) throw new HttpError(400, 'campaigns:errors.noneChosen');
    const { added } = await addSuppliers(deps, organisationId, String(req.params.id), addAll ? { filter: filterFrom(form) } : { supplierIds: ids }, userActor(req));
    const back = new URLSearchParams({ notice: 'added', n: String(added) });
    for (const [key, value] of Object.entries(filterFrom(form))) if (value) back.set(key, value);
    res.redirect(303, `/campaigns/${String(req.params.id)}/suppliers/add?${back.toString()}`);
  });

  router.post('/campaigns/:id/suppliers/remove', WRITE, async (req, res) => {
    const { removed } = await removeSuppliers(deps, organisationOf(req), String(req.params.id), stringList(body(req).supplierIds), userActor(req));
    res.redirect(303, `/campaigns/${String(req.params.id)}?notice=removed&n=${removed}`);
  });

  const previewParams = z.object({ lang: z.enum(['sv', 'en']) });

  router.get('/campaigns/:id/preview/:lang', READ, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    const params = previewParams.safeParse(req.params);
    if (!params.success) throw new HttpError(404, 'common:errors.notFound');
    const preview = await previewMail(deps, campaign, params.data.lang);
    res.render('campaigns/preview', { title: t(res)('campaigns:preview.title', { name: campaign.name }), campaign, preview, previewLang: params.data.lang });
  });

  // The HTML part alone, in a sandbox (as the mailbox shows mail): mail clients need inline styles, the app's pages forbid them.
  router.get('/campaigns/:id/preview/:lang/html', READ, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    const params = previewParams.safeParse(req.params);
    if (!params.success) throw new HttpError(404, 'common:errors.notFound');
    const preview = await previewMail(deps, campaign, params.data.lang);
    res.set('Content-Security-Policy', PREVIEW_CSP);
    res.set('X-Frame-Options', 'SAMEORIGIN');
    res.type('html').send(preview.html);
  });

  /** Runs an action; a refusal the buyer can act on is shown on the campaign page instead of an error page. */
  async function campaignAction(req: Request, res: Response, action: (campaign: CampaignDocument) => Promise<string>, render: Partial<CampaignRender> = {}): Promise<void> {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    try {
      res.redirect(303, `/campaigns/${campaign.id}?${await action(campaign)}`);
    } catch (error) {
      if (!(error instanceof HttpError) || (error.status !== 400 && error.status !== 409)) throw error;
      const fresh = await requireCampaign(deps.connection, campaign.organisationId, campaign._id);
      await renderCampaign(req, res, fresh, { status: error.status === 400 ? 422 : 409, errors: [serviceError(error, t(res))], ...render });
    }
  }

  router.post('/campaigns/:id/send', WRITE, async (req, res) => {
    await campaignAction(req, res, async (campaign) => {
      const result = await sendCampaign(deps, campaign.organisationId, campaign._id, userActor(req));
      return `notice=sent&n=${result.suppliers}`;
    });
  });

  router.post('/campaigns/:id/remind', WRITE, remindLimiter, async (req, res) => {
    await campaignAction(req, res, async (campaign) => {
      const report = await remindNonSubmitted(deps, campaign.organisationId, campaign._id, userActor(req));
      return `notice=reminded&n=${report.reminded}`;
    });
  });

  router.post('/campaigns/:id/extend', WRITE, async (req, res) => {
    const form = body(req);
    const value = typeof form.dueDate === 'string' ? form.dueDate.slice(0, 40) : '';
    await campaignAction(
      req,
      res,
      async (campaign) => {
        const parsed = extendBody.safeParse({ dueDate: value, notify: form.notify === 'on' });
        if (!parsed.success) throw new HttpError(400, 'campaigns:form.errors.dueDate', {}, { field: 'dueDate' });
        const result = await extendDueDate(deps, campaign.organisationId, campaign._id, parsed.data, userActor(req));
        return `notice=extended&n=${result.notified}`;
      },
      { extendValue: value },
    );
  });

  router.post('/campaigns/:id/close', WRITE, async (req, res) => {
    await campaignAction(req, res, async (campaign) => {
      if (body(req).confirm !== 'yes') throw new HttpError(400, 'campaigns:errors.confirmClose', {}, { field: 'confirm' });
      await closeCampaign(deps, campaign.organisationId, campaign._id, userActor(req));
      return 'notice=closed';
    });
  });

  router.get('/campaigns/:id/suppliers/:supplierId', READ, async (req, res) => {
    const campaign = await requireCampaign(deps.connection, organisationOf(req), String(req.params.id));
    const participant = await participantOf(deps.connection, campaign, String(req.params.supplierId));
    if (!participant) throw new HttpError(404, 'common:errors.notFound');
    const [invitations, responseId] = await Promise.all([
      invitationStatuses(deps.connection, campaign, { supplierId: participant.supplierId, page: 1, pageSize: 200 }, deps.clock.now()),
      responseIdOf(deps.connection, campaign, participant.supplierId),
    ]);
    res.render('campaigns/supplier', {
      title: t(res)('campaigns:supplier.title', { supplier: participant.name, campaign: campaign.name }),
      campaign,
      participant,
      invitations: invitations.invitations,
      responseId,
      notice: noticeOf(req),
      canEdit: canEdit(req) && campaign.status === 'open',
      countryName: (code: string) => countryName(code, req.lang),
    });
  });

  router.post('/campaigns/:id/invitations/:invitationId/reissue', WRITE, async (req, res) => {
    const form = body(req);
    const parsed = reissueBody.safeParse({ contactEmail: typeof form.contactEmail === 'string' && form.contactEmail !== '' ? form.contactEmail : undefined });
    if (!parsed.success) throw new HttpError(400, 'campaigns:errors.unknownContact', {}, { field: 'contactEmail' });
    const organisationId = organisationOf(req);
    const campaignId = String(req.params.id);
    const result = await reissueInvitation(deps, organisationId, campaignId, String(req.params.invitationId), parsed.data, userActor(req));
    const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
    res.redirect(303, `/campaigns/${campaign.id}/suppliers/${result.link.supplierId}?notice=reissued`);
  });

  return router;
}
