/**
 * The campaigns part of the JSON API: everything the campaign pages do, through the same service functions, scoped
 * to the calling token's organisation (a foreign id is a 404). Links are never returned: they exist only in the mail.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { ApiRegistry } from '../platform/api';
import { HttpError } from '../platform/errors';
import {
  addSuppliersBody,
  createCampaignBody,
  extendBody,
  progressQuery,
  reissueBody,
  updateCampaignBody,
} from './inputs';
import { closeCampaign, extendDueDate } from './lifecycle';
import { CAMPAIGN_STATUSES, type CampaignDocument } from './model';
import { PARTICIPANT_STATES } from './participant-model';
import { previewMail } from './preview';
import { campaignCounts, campaignSummaries, INVITATION_STATUSES, invitationStatuses, progressPage } from './progress';
import { remindNonSubmitted } from './reminders';
import { reissueInvitation, sendCampaign } from './sending';
import { addSuppliers, createCampaign, removeSuppliers, requireCampaign, updateCampaign } from './service';

const TAG = 'Campaigns';
const hexId = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');
const idParams = z.object({ id: hexId });

const countsSchema = z.object({
  notInvited: z.number(),
  invited: z.number(),
  opened: z.number(),
  inProgress: z.number(),
  submitted: z.number(),
  overdue: z.number(),
  total: z.number(),
});

const campaignSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  questionnaire: z.object({ id: z.string(), version: z.number(), title: z.object({ sv: z.string(), en: z.string() }).nullable() }),
  dueDate: z.string(),
  buyerContact: z.object({ name: z.string(), email: z.string() }).nullable(),
  messages: z.object({ sv: z.object({ subject: z.string(), body: z.string() }), en: z.object({ subject: z.string(), body: z.string() }) }).nullable(),
  reminderPolicy: z.object({ enabled: z.boolean(), beforeDays: z.array(z.number()), afterDays: z.array(z.number()), maxCount: z.number(), minGapDays: z.number() }),
  revision: z.number(),
  sentAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  counts: countsSchema,
});

type CampaignView = z.infer<typeof campaignSchema>;

function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

export function registerCampaignsApi(api: ApiRegistry, deps: AppDeps): void {
  async function view(campaign: CampaignDocument): Promise<CampaignView> {
    const definition = deps.questionnaires.get(campaign.questionnaireId, campaign.questionnaireVersion);
    const policy = campaign.reminderPolicy;
    const messages = campaign.messages;
    return {
      id: campaign._id.toHexString(),
      name: campaign.name,
      status: campaign.status,
      questionnaire: { id: campaign.questionnaireId, version: campaign.questionnaireVersion, title: definition ? { ...definition.title } : null },
      dueDate: campaign.deadline.toISOString(),
      buyerContact: campaign.buyerContact ? { name: campaign.buyerContact.name, email: campaign.buyerContact.email } : null,
      messages:
        messages?.sv && messages.en
          ? { sv: { subject: messages.sv.subject, body: messages.sv.body }, en: { subject: messages.en.subject, body: messages.en.body } }
          : null,
      reminderPolicy: {
        enabled: policy?.enabled ?? true,
        beforeDays: [...(policy?.beforeDays ?? [])],
        afterDays: [...(policy?.afterDays ?? [])],
        maxCount: policy?.maxCount ?? 0,
        minGapDays: policy?.minGapDays ?? 1,
      },
      revision: campaign.revision,
      sentAt: iso(campaign.sentAt),
      closedAt: iso(campaign.closedAt),
      counts: await campaignCounts(deps.connection, campaign, deps.clock.now()),
    };
  }

  async function campaignOf(organisationId: string, id: string): Promise<CampaignDocument> {
    return requireCampaign(deps.connection, organisationId, id);
  }

  api.route(
    {
      method: 'get',
      path: '/campaigns',
      operationId: 'listCampaigns',
      summary: 'The organisation’s campaigns with their progress counts',
      tag: TAG,
      query: z.object({ status: z.enum(CAMPAIGN_STATUSES).optional() }),
      response: z.object({ campaigns: z.array(z.object({ id: z.string(), name: z.string(), status: z.enum(CAMPAIGN_STATUSES), dueDate: z.string(), counts: countsSchema })) }),
    },
    async ({ principal, query }) => {
      const summaries = await campaignSummaries(deps.connection, principal.organisationId, { status: query.status }, deps.clock.now());
      return { campaigns: summaries.map((c) => ({ id: c.id, name: c.name, status: c.status, dueDate: c.deadline.toISOString(), counts: c.counts })) };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns',
      operationId: 'createCampaign',
      summary: 'Create a draft campaign',
      description:
        'A questionnaire version (published), a due date (a day, YYYY-MM-DD, meaning the end of that day in Stockholm, or an exact time), suppliers by id, and optionally the buyer contact, the sv/en message (placeholders {{supplier}}, {{contact}}, {{dueDate}}, {{organisation}}, {{buyerContact}}, {{buyerEmail}}, {{campaign}}) and the reminder policy. Nothing is sent until POST /campaigns/{id}/send.',
      tag: TAG,
      body: createCampaignBody,
      response: campaignSchema,
      status: 201,
    },
    async ({ principal, body, actor }) => view(await createCampaign(deps, { ...body, organisationId: principal.organisationId, actor })),
  );

  api.route(
    { method: 'get', path: '/campaigns/{id}', operationId: 'getCampaign', summary: 'One campaign with its progress counts', tag: TAG, params: idParams, response: campaignSchema },
    async ({ principal, params }) => view(await campaignOf(principal.organisationId, params.id)),
  );

  api.route(
    {
      method: 'patch',
      path: '/campaigns/{id}',
      operationId: 'updateCampaign',
      summary: 'Edit a draft campaign',
      description: 'Send the `revision` you last read: an edit made from an older revision is refused with 409, so no one’s change is lost.',
      tag: TAG,
      params: idParams,
      body: updateCampaignBody,
      response: campaignSchema,
    },
    async ({ principal, params, body, actor }) => view(await updateCampaign(deps, principal.organisationId, params.id, body, actor)),
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/suppliers',
      operationId: 'addCampaignSuppliers',
      summary: 'Add suppliers by id, or every active supplier matching a filter (country, sector, tag, q)',
      tag: TAG,
      params: idParams,
      body: addSuppliersBody,
      response: z.object({ added: z.number() }),
    },
    async ({ principal, params, body, actor }) => addSuppliers(deps, principal.organisationId, params.id, body, actor),
  );

  api.route(
    {
      method: 'delete',
      path: '/campaigns/{id}/suppliers/{supplierId}',
      operationId: 'removeCampaignSupplier',
      summary: 'Take a supplier out of a draft campaign',
      tag: TAG,
      params: z.object({ id: hexId, supplierId: hexId }),
      status: 204,
    },
    async ({ principal, params, actor }) => {
      const { removed } = await removeSuppliers(deps, principal.organisationId, params.id, [params.supplierId], actor);
      if (removed === 0) throw new HttpError(404, 'common:errors.notFound');
    },
  );

  api.route(
    {
      method: 'get',
      path: '/campaigns/{id}/preview',
      operationId: 'previewCampaignMail',
      summary: 'The invitation email as the first supplier’s contact would get it',
      tag: TAG,
      params: idParams,
      query: z.object({ language: z.enum(['sv', 'en']).default('sv') }),
      response: z.object({ subject: z.string(), text: z.string(), html: z.string() }),
    },
    async ({ principal, params, query }) => {
      const preview = await previewMail(deps, await campaignOf(principal.organisationId, params.id), query.language);
      return { subject: preview.subject, text: preview.text, html: preview.html };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/send',
      operationId: 'sendCampaign',
      summary: 'Send the campaign: one invitation email per contact of every supplier not invited yet',
      description: 'Opens a draft; on an open campaign, sends only to suppliers added since. Sending again sends nothing twice.',
      tag: TAG,
      params: idParams,
      response: z.object({ suppliers: z.number(), invitations: z.number(), skipped: z.number() }),
    },
    async ({ principal, params, actor }) => {
      const result = await sendCampaign(deps, principal.organisationId, params.id, actor);
      return { suppliers: result.suppliers, invitations: result.invitations, skipped: result.skipped };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/campaigns/{id}/progress',
      operationId: 'getCampaignProgress',
      summary: 'Counts and one page of the campaign’s suppliers with their state, last activity and section progress',
      tag: TAG,
      params: idParams,
      query: progressQuery,
      response: z.object({
        counts: countsSchema,
        suppliers: z.array(
          z.object({
            supplierId: z.string(),
            name: z.string(),
            country: z.string(),
            state: z.enum(PARTICIPANT_STATES),
            overdue: z.boolean(),
            lastActivityAt: z.string().nullable(),
            sections: z.object({ answered: z.number(), visible: z.number() }).nullable(),
            responseId: z.string().nullable(),
          }),
        ),
        total: z.number(),
        page: z.number(),
        pages: z.number(),
      }),
    },
    async ({ principal, params, query }) => {
      const campaign = await campaignOf(principal.organisationId, params.id);
      const now = deps.clock.now();
      const [counts, page] = await Promise.all([campaignCounts(deps.connection, campaign, now), progressPage(deps.connection, campaign, query, now)]);
      return {
        counts,
        suppliers: page.rows.map((row) => ({
          supplierId: row.supplierId,
          name: row.name,
          country: row.country,
          state: row.state,
          overdue: row.overdue,
          lastActivityAt: iso(row.lastActivityAt),
          sections: row.sections ?? null,
          responseId: row.responseId ?? null,
        })),
        total: page.total,
        page: page.page,
        pages: page.pages,
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/campaigns/{id}/invitations',
      operationId: 'listCampaignInvitations',
      summary: 'The campaign’s invitations (one per contact and link) with the status of each',
      tag: TAG,
      params: idParams,
      query: z.object({
        supplierId: hexId.optional(),
        page: z.coerce.number().int().min(1).max(100_000).default(1),
        pageSize: z.coerce.number().int().min(1).max(1000).default(200),
      }),
      response: z.object({
        invitations: z.array(
          z.object({
            id: z.string(),
            supplierId: z.string(),
            supplierName: z.string(),
            contact: z.object({ name: z.string(), email: z.string(), language: z.string() }).nullable(),
            status: z.enum(INVITATION_STATUSES),
            sentAt: z.string().nullable(),
            firstOpenedAt: z.string().nullable(),
            reminders: z.number(),
            lastRemindedAt: z.string().nullable(),
            expiresAt: z.string().nullable(),
            revokedAt: z.string().nullable(),
            replacedBy: z.string().nullable(),
            replaces: z.string().nullable(),
          }),
        ),
        total: z.number(),
        page: z.number(),
        pageSize: z.number(),
      }),
    },
    async ({ principal, params, query }) => {
      const campaign = await campaignOf(principal.organisationId, params.id);
      const supplierId = query.supplierId ? new mongoose.Types.ObjectId(query.supplierId) : undefined;
      const { invitations, total } = await invitationStatuses(deps.connection, campaign, { supplierId, page: query.page, pageSize: query.pageSize }, deps.clock.now());
      return {
        invitations: invitations.map((i) => ({
          id: i.id,
          supplierId: i.supplierId,
          supplierName: i.supplierName,
          contact: i.contact,
          status: i.status,
          sentAt: iso(i.sentAt),
          firstOpenedAt: iso(i.firstOpenedAt),
          reminders: i.reminders,
          lastRemindedAt: iso(i.lastRemindedAt),
          expiresAt: iso(i.expiresAt),
          revokedAt: iso(i.revokedAt),
          replacedBy: i.replacedBy,
          replaces: i.replaces,
        })),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/remind',
      operationId: 'remindCampaign',
      summary: 'Remind every contact of a supplier that has not submitted (outside the policy’s minimum gap)',
      tag: TAG,
      params: idParams,
      response: z.object({ reminded: z.number(), tooSoon: z.number() }),
    },
    async ({ principal, params, actor }) => remindNonSubmitted(deps, principal.organisationId, params.id, actor),
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/extend',
      operationId: 'extendCampaign',
      summary: 'Move the due date later (links, reminders and, with notify, the contacts follow)',
      tag: TAG,
      params: idParams,
      body: extendBody,
      response: campaignSchema.extend({ notified: z.number() }),
    },
    async ({ principal, params, body, actor }) => {
      const result = await extendDueDate(deps, principal.organisationId, params.id, body, actor);
      return { ...(await view(result.campaign)), notified: result.notified };
    },
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/close',
      operationId: 'closeCampaign',
      summary: 'Close the campaign: links stop accepting answers and reminders stop',
      tag: TAG,
      params: idParams,
      response: campaignSchema,
    },
    async ({ principal, params, actor }) => view(await closeCampaign(deps, principal.organisationId, params.id, actor)),
  );

  api.route(
    {
      method: 'post',
      path: '/campaigns/{id}/invitations/{invitationId}/reissue',
      operationId: 'reissueInvitation',
      summary: 'Revoke a link and email a new one (to the same contact, or another of the supplier’s); the answers are kept',
      tag: TAG,
      params: z.object({ id: hexId, invitationId: hexId }),
      body: reissueBody.prefault({}),
      response: z.object({ invitationId: z.string(), replaces: z.string() }),
      status: 201,
    },
    async ({ principal, params, body, actor }) => {
      const result = await reissueInvitation(deps, principal.organisationId, params.id, params.invitationId, body, actor);
      return { invitationId: result.invitationId, replaces: params.invitationId };
    },
  );
}
