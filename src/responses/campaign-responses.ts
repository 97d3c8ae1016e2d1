/**
 * A campaign's responses as the buyer lists them: each supplier's response with its state, when it was submitted and
 * the red flags it raises, sorted by supplier name, filtered by state, one page at a time.
 */
import type mongoose from 'mongoose';
import { z } from 'zod';
import { getCampaign } from '../campaigns';
import type { AppDeps } from '../deps';
import { HttpError } from '../platform/errors';
import { INTL_LOCALES, type Lang } from '../platform/i18n';
import type { Severity } from '../questionnaires';
import { supplierModel } from '../suppliers';
import { answerSetOf } from './answer-set';
import { definitionOf, stateOf, toObjectId, type ResponseState } from './buyer-service';
import { severityCounts } from './flags';
import { responseModel, type ResponseData } from './model';

export const RESPONSE_STATES = ['draft', 'submitted', 'changesRequested'] as const;
export const PAGE_SIZE = 50;

export const campaignResponsesQuery = z.object({
  state: z.enum(RESPONSE_STATES).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type CampaignResponsesQuery = z.output<typeof campaignResponsesQuery>;

export interface ResponseListItem {
  responseId: string;
  supplierId: string;
  supplierName: string;
  supplierCountry: string;
  state: ResponseState;
  submittedAt: Date | undefined;
  updatedAt: Date | undefined;
  flagCounts: Record<Severity, number>;
}

export interface CampaignResponses {
  campaign: { id: string; name: string; deadline: Date; questionnaireId: string; questionnaireVersion: number };
  items: ResponseListItem[];
  total: number;
  page: number;
  pages: number;
  counts: Record<ResponseState, number>;
}

type Summary = Pick<ResponseData, '_id' | 'supplierId' | 'status' | 'changeRequest' | 'submittedAt' | 'lastSubmittedAt' | 'updatedAt'>;

export async function campaignResponses(
  deps: Pick<AppDeps, 'connection' | 'questionnaires'>,
  organisationId: string | mongoose.Types.ObjectId,
  campaignId: string,
  query: CampaignResponsesQuery,
  lang: Lang,
): Promise<CampaignResponses> {
  const orgId = toObjectId(organisationId);
  const campaign = await getCampaign(deps.connection, orgId, toObjectId(campaignId, 'responses:errors.campaignNotFound'));
  if (!campaign) throw new HttpError(404, 'responses:errors.campaignNotFound');
  const Responses = responseModel(deps.connection).collection;
  // Only what the list needs from every response; answers are read for the page shown.
  const summaries = await Responses.find<Summary>(
    { organisationId: orgId, campaignId: campaign._id },
    { projection: { supplierId: 1, status: 1, changeRequest: 1, submittedAt: 1, lastSubmittedAt: 1, updatedAt: 1 } },
  ).toArray();
  const suppliers = await supplierModel(deps.connection)
    .collection.find<{ _id: mongoose.Types.ObjectId; name: string; country: string }>(
      { organisationId: orgId, _id: { $in: summaries.map((s) => s.supplierId) } },
      { projection: { name: 1, country: 1 } },
    )
    .toArray();
  const supplierOf = new Map(suppliers.map((s) => [s._id.toHexString(), s]));
  const counts: Record<ResponseState, number> = { draft: 0, submitted: 0, changesRequested: 0 };
  for (const s of summaries) counts[stateOf(s)] += 1;
  const collator = new Intl.Collator(INTL_LOCALES[lang]);
  const listed = summaries
    .filter((s) => !query.state || stateOf(s) === query.state)
    .sort((a, b) => collator.compare(supplierOf.get(a.supplierId.toHexString())?.name ?? '', supplierOf.get(b.supplierId.toHexString())?.name ?? ''));
  const pages = Math.max(1, Math.ceil(listed.length / PAGE_SIZE));
  const page = Math.min(query.page, pages);
  const shown = listed.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const full = await Responses.find<ResponseData>({ _id: { $in: shown.map((s) => s._id) }, organisationId: orgId }).toArray();
  const fullOf = new Map(full.map((r) => [r._id.toHexString(), r]));
  const items = shown.map((s): ResponseListItem => {
    const supplier = supplierOf.get(s.supplierId.toHexString());
    const response = fullOf.get(s._id.toHexString());
    const flags = response ? answerSetOf(deps, definitionOf(deps, response), response).flags : [];
    return {
      responseId: s._id.toHexString(),
      supplierId: s.supplierId.toHexString(),
      supplierName: supplier?.name ?? '',
      supplierCountry: supplier?.country ?? '',
      state: stateOf(s),
      submittedAt: s.submittedAt ?? s.lastSubmittedAt ?? undefined,
      updatedAt: s.updatedAt,
      flagCounts: severityCounts(flags),
    };
  });
  return {
    campaign: {
      id: campaign._id.toHexString(),
      name: campaign.name,
      deadline: campaign.deadline,
      questionnaireId: campaign.questionnaireId,
      questionnaireVersion: campaign.questionnaireVersion,
    },
    items,
    total: listed.length,
    page,
    pages,
    counts,
  };
}
