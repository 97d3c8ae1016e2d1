/**
 * Campaigns as drafts: creating, editing (with optimistic concurrency), choosing suppliers. Sending, reminders and the
 * rest of a campaign's life are in sending.ts, reminders.ts and lifecycle.ts. Plain functions over injected deps.
 */
import type { i18n as I18n } from 'i18next';
import mongoose from 'mongoose';
import { findOrganisationById } from '../accounts';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { objectIdInput } from '../platform/ids';
import type { QuestionnaireDefinition, QuestionnaireRegistry } from '../questionnaires';
import { supplierModel } from '../suppliers';
import { DAY_MS } from './dates';
import {
  campaignFieldsInput,
  MESSAGE_LANGUAGES,
  messagesInput,
  type AddSuppliersBody,
  type CampaignFields,
  type MessageTextInput,
  type SupplierFilter,
  type UpdateCampaignBody,
} from './inputs';
import { campaignModel, type CampaignDocument, type CampaignStatus } from './model';
import { participantModel, stateFields } from './participant-model';
import { forgetFilterOptions } from './progress';

export type Id = mongoose.Types.ObjectId | string;

export interface CampaignDeps {
  connection: mongoose.Connection;
  clock: { now(): Date };
  questionnaires: QuestionnaireRegistry;
  i18n: I18n;
}

/** How far ahead a due date may be set. */
const MAX_DUE_DAYS = 2 * 366;
const MAX_SUPPLIERS_PER_CAMPAIGN = 20_000;

export function toObjectId(id: Id): mongoose.Types.ObjectId {
  return typeof id === 'string' ? new mongoose.Types.ObjectId(id) : id;
}

function notFound(): HttpError {
  return new HttpError(404, 'common:errors.notFound');
}

/**
 * One campaign, only if it belongs to the organisation; without its list of supplier ids (10,000 ids for a large
 * campaign, which no page needs: its suppliers are in `campaign_suppliers`).
 */
export async function getCampaign(conn: mongoose.Connection, organisationId: Id, campaignId: Id): Promise<CampaignDocument | null> {
  if (!mongoose.isValidObjectId(organisationId) || !mongoose.isValidObjectId(campaignId)) return null;
  return campaignModel(conn).findOne({ _id: campaignId, organisationId }).select('-supplierIds');
}

/** The campaign or a 404: a foreign or malformed id is "not found", never "forbidden". */
export async function requireCampaign(conn: mongoose.Connection, organisationId: Id, campaignId: Id): Promise<CampaignDocument> {
  const campaign = await getCampaign(conn, organisationId, campaignId);
  if (!campaign) throw notFound();
  return campaign;
}

export async function listCampaigns(conn: mongoose.Connection, organisationId: Id, filter: { status?: CampaignStatus } = {}): Promise<CampaignDocument[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  return campaignModel(conn)
    .find({ organisationId, ...(filter.status ? { status: filter.status } : {}) })
    .sort({ deadline: 1, name: 1 });
}

export interface QuestionnaireChoice {
  id: string;
  version: number;
  title: { sv: string; en: string };
}

/** Only published versions may be sent to suppliers. */
export function publishedQuestionnaires(registry: QuestionnaireRegistry): QuestionnaireChoice[] {
  return registry
    .list()
    .filter((definition) => definition.status === 'published')
    .map((definition) => ({ id: definition.id, version: definition.version, title: definition.title }));
}

export function requirePublished(registry: QuestionnaireRegistry, id: string, version: number): QuestionnaireDefinition {
  const definition = registry.get(id, version);
  if (!definition || definition.status !== 'published') {
    throw new HttpError(400, 'campaigns:errors.questionnaire', { questionnaire: `${id}@${version}` }, { field: 'questionnaire' });
  }
  return definition;
}

export function assertDueDateAhead(dueDate: Date, now: Date, field = 'dueDate'): void {
  if (dueDate.getTime() <= now.getTime()) throw new HttpError(400, 'campaigns:errors.dueDatePast', {}, { field });
  if (dueDate.getTime() > now.getTime() + MAX_DUE_DAYS * DAY_MS) throw new HttpError(400, 'campaigns:errors.dueDateFar', {}, { field });
}

/** The default invitation message of a language, with placeholders, as a draft starts out. */
export function defaultMessages(i18n: I18n): Record<(typeof MESSAGE_LANGUAGES)[number], MessageTextInput> {
  const messages = Object.fromEntries(
    MESSAGE_LANGUAGES.map((lang) => {
      const t = i18n.getFixedT(lang);
      // Placeholders are written {{name}} and must reach the draft as they are.
      const raw = (key: string) => t(key, { skipInterpolation: true });
      return [lang, { subject: raw('campaigns:defaults.subject'), body: raw('campaigns:defaults.body') }];
    }),
  );
  return messagesInput.parse(messages);
}

/** The contact an organisation gives suppliers, as a campaign's default buyer contact. */
async function organisationContact(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId): Promise<{ name: string; email: string } | undefined> {
  const organisation = await findOrganisationById(conn, organisationId);
  return organisation?.contactName && organisation.contactEmail ? { name: organisation.contactName, email: organisation.contactEmail } : undefined;
}

export interface NewCampaign {
  organisationId: Id;
  actor: Actor;
  name: string;
  questionnaireId: string;
  questionnaireVersion: number;
  dueDate: Date | string;
  buyerContact?: { name: string; email: string };
  messages?: Partial<NonNullable<CampaignFields['messages']>>;
  reminderPolicy?: Partial<CampaignFields['reminderPolicy']>;
  supplierIds?: Id[];
}

/** A new draft campaign (with its suppliers, when given); nothing is sent until `sendCampaign`. */
export async function createCampaign(deps: CampaignDeps, input: NewCampaign): Promise<CampaignDocument> {
  if (!mongoose.isValidObjectId(input.organisationId)) throw notFound();
  const defaults = defaultMessages(deps.i18n);
  const organisationId = toObjectId(input.organisationId);
  const fields = campaignFieldsInput.parse({
    name: input.name,
    questionnaireId: input.questionnaireId,
    questionnaireVersion: input.questionnaireVersion,
    dueDate: input.dueDate instanceof Date ? input.dueDate.toISOString() : input.dueDate,
    buyerContact: input.buyerContact ?? (await organisationContact(deps.connection, organisationId)),
    messages: { ...defaults, ...input.messages },
    reminderPolicy: input.reminderPolicy ?? {},
  });
  requirePublished(deps.questionnaires, fields.questionnaireId, fields.questionnaireVersion);
  const now = deps.clock.now();
  assertDueDateAhead(fields.dueDate, now);
  const suppliers = await selectableSuppliersByIds(deps.connection, organisationId, input.supplierIds ?? []);
  // Its suppliers' rows first, outside the campaign's transaction (10,000 of them would make it slow): a campaign
  // that exists always has them; rows left by a creation that failed belong to no campaign and are removed.
  const campaignId = new mongoose.Types.ObjectId();
  await insertParticipants(deps.connection, { _id: campaignId, organisationId }, suppliers, now);
  try {
    return await deps.connection.transaction(async (session) => {
      const [campaign] = await campaignModel(deps.connection).create(
        [
          {
            _id: campaignId,
            organisationId,
            name: fields.name,
            questionnaireId: fields.questionnaireId,
            questionnaireVersion: fields.questionnaireVersion,
            deadline: fields.dueDate,
            status: 'draft',
            supplierIds: suppliers.map((s) => s._id),
            messages: fields.messages,
            buyerContact: fields.buyerContact,
            reminderPolicy: fields.reminderPolicy,
            createdBy: { id: input.actor.id, name: input.actor.name },
          },
        ],
        { session },
      );
      if (!campaign) throw new Error('campaign not created');
      await recordActivity(
        deps.connection,
        {
          organisationId,
          actor: input.actor,
          action: 'campaign.created',
          subject: ref('campaign', campaign._id),
          details: { name: campaign.name, questionnaire: `${campaign.questionnaireId}@${campaign.questionnaireVersion}`, dueDate: campaign.deadline, suppliers: suppliers.length },
          at: now,
        },
        { session },
      );
      return campaign;
    });
  } catch (error) {
    await participantModel(deps.connection).deleteMany({ campaignId });
    throw error;
  }
}

function assertDraft(campaign: CampaignDocument): void {
  if (campaign.status !== 'draft') throw new HttpError(409, 'campaigns:errors.notDraft');
}

/**
 * Edits a draft. `revision` is the one the edit was made from: if someone else saved the draft since, nothing is
 * changed and the caller is told to reload (409), so neither buyer's edit is silently lost.
 */
export async function updateCampaign(deps: CampaignDeps, organisationId: Id, campaignId: Id, body: UpdateCampaignBody, actor: Actor): Promise<CampaignDocument> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  assertDraft(campaign);
  const now = deps.clock.now();
  const set: Record<string, unknown> = {};
  if (body.name !== undefined) set.name = body.name;
  if (body.questionnaireId !== undefined || body.questionnaireVersion !== undefined) {
    const id = body.questionnaireId ?? campaign.questionnaireId;
    const version = body.questionnaireVersion ?? campaign.questionnaireVersion;
    requirePublished(deps.questionnaires, id, version);
    set.questionnaireId = id;
    set.questionnaireVersion = version;
  }
  if (body.dueDate !== undefined) {
    assertDueDateAhead(body.dueDate, now);
    set.deadline = body.dueDate;
  }
  if (body.buyerContact !== undefined) set.buyerContact = body.buyerContact;
  if (body.messages !== undefined) set.messages = body.messages;
  if (body.reminderPolicy !== undefined) set.reminderPolicy = body.reminderPolicy;
  const changed = Object.keys(set).filter((key) => !sameValue(set[key], campaign.get(key)));
  return deps.connection.transaction(async (session) => {
    const updated = await campaignModel(deps.connection).findOneAndUpdate(
      { _id: campaign._id, organisationId: campaign.organisationId, status: 'draft', revision: body.revision },
      { $set: set, $inc: { revision: 1 } },
      { returnDocument: 'after', session },
    ).select('-supplierIds');
    if (!updated) throw new HttpError(409, 'campaigns:errors.staleEdit');
    if (changed.length > 0) {
      await recordActivity(
        deps.connection,
        { organisationId: campaign.organisationId, actor, action: 'campaign.edited', subject: ref('campaign', campaign._id), details: { changed }, at: now },
        { session },
      );
    }
    return updated;
  });
}

function sameValue(a: unknown, b: unknown): boolean {
  const plain = (value: unknown) => JSON.stringify(value instanceof mongoose.Document ? value.toObject() : value);
  return plain(a) === plain(b);
}

interface SelectableSupplier {
  _id: mongoose.Types.ObjectId;
  name: string;
  country: string;
  sector?: string;
  tags?: string[];
  contacts: Array<{ name: string; email: string; language: string }>;
}

const SUPPLIER_FIELDS = { name: 1, country: 1, sector: 1, tags: 1, contacts: 1 } as const;
/** Suppliers a campaign can include: not archived, and not rows of an import still waiting for confirmation. */
const ACTIVE_SUPPLIER = { archivedAt: null, pendingImportId: null } as const;

/** The organisation's active suppliers with these ids; any id that is foreign, unknown or archived is refused. */
async function selectableSuppliersByIds(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId, ids: Id[]): Promise<SelectableSupplier[]> {
  const unique = [...new Set(ids.map(String))];
  if (unique.length === 0) return [];
  if (unique.length > MAX_SUPPLIERS_PER_CAMPAIGN) throw new HttpError(400, 'campaigns:errors.tooManySuppliers', { max: MAX_SUPPLIERS_PER_CAMPAIGN }, { field: 'supplierIds' });
  if (!unique.every((id) => objectIdInput.safeParse(id).success)) throw new HttpError(400, 'campaigns:errors.unknownSuppliers', {}, { field: 'supplierIds' });
  const suppliers = await supplierModel(conn)
    .find({ organisationId, ...ACTIVE_SUPPLIER, _id: { $in: unique.map((id) => new mongoose.Types.ObjectId(id)) } }, SUPPLIER_FIELDS)
    .lean<SelectableSupplier[]>();
  if (suppliers.length !== unique.length) throw new HttpError(400, 'campaigns:errors.unknownSuppliers', {}, { field: 'supplierIds' });
  return suppliers;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The query for active suppliers matching a filter; user text is matched literally (no regex injection). */
export function supplierFilterQuery(organisationId: mongoose.Types.ObjectId, filter: SupplierFilter): Record<string, unknown> {
  return {
    organisationId,
    ...ACTIVE_SUPPLIER,
    ...(filter.country ? { country: filter.country } : {}),
    ...(filter.sector ? { sector: filter.sector } : {}),
    ...(filter.tag ? { tags: filter.tag } : {}),
    ...(filter.q ? { name: { $regex: escapeRegex(filter.q), $options: 'i' } } : {}),
  };
}

export interface SupplierCandidate {
  id: string;
  name: string;
  country: string;
  sector: string;
  tags: string[];
  contacts: number;
  inCampaign: boolean;
}

/** One page of the organisation's active suppliers matching a filter, marked when already in the campaign. */
export async function findSupplierCandidates(
  conn: mongoose.Connection,
  campaign: CampaignDocument,
  filter: SupplierFilter,
  page: number,
  pageSize = 50,
): Promise<{ suppliers: SupplierCandidate[]; total: number }> {
  const query = supplierFilterQuery(campaign.organisationId, filter);
  const [suppliers, total] = await Promise.all([
    supplierModel(conn).find(query, SUPPLIER_FIELDS).sort({ name: 1, _id: 1 }).skip((page - 1) * pageSize).limit(pageSize).lean<SelectableSupplier[]>(),
    supplierModel(conn).countDocuments(query),
  ]);
  const inCampaign = new Set(
    (await participantModel(conn).find({ campaignId: campaign._id, supplierId: { $in: suppliers.map((s) => s._id) } }, { supplierId: 1 }).lean()).map((p) =>
      p.supplierId.toHexString(),
    ),
  );
  return {
    suppliers: suppliers.map((s) => ({
      id: s._id.toHexString(),
      name: s.name,
      country: s.country,
      sector: s.sector ?? '',
      tags: s.tags ?? [],
      contacts: s.contacts.length,
      inCampaign: inCampaign.has(s._id.toHexString()),
    })),
    total,
  };
}

/** Values the organisation's suppliers use, for the filter menus. */
export async function supplierFilterOptions(conn: mongoose.Connection, organisationId: Id): Promise<{ countries: string[]; sectors: string[]; tags: string[] }> {
  const query = { organisationId: toObjectId(organisationId), ...ACTIVE_SUPPLIER };
  const [countries, sectors, tags] = await Promise.all([
    supplierModel(conn).distinct('country', query),
    supplierModel(conn).distinct('sector', query),
    supplierModel(conn).distinct('tags', query),
  ]);
  const sorted = (values: unknown[]) => values.filter((v): v is string => typeof v === 'string' && v !== '').sort((a, b) => a.localeCompare(b, 'sv'));
  return { countries: sorted(countries), sectors: sorted(sectors), tags: sorted(tags) };
}

/** Rows written per round trip when suppliers join a campaign. */
const PARTICIPANT_BATCH = 1000;

/**
 * Adds the suppliers' rows to a campaign (a supplier already in it is left as it is); returns the ids of those
 * added. Upserts, so running it again after a failure adds only what is missing.
 */
async function insertParticipants(
  conn: mongoose.Connection,
  campaign: { _id: mongoose.Types.ObjectId; organisationId: mongoose.Types.ObjectId },
  suppliers: SelectableSupplier[],
  now: Date,
): Promise<mongoose.Types.ObjectId[]> {
  const added: mongoose.Types.ObjectId[] = [];
  for (let start = 0; start < suppliers.length; start += PARTICIPANT_BATCH) {
    const batch = suppliers.slice(start, start + PARTICIPANT_BATCH);
    const result = await participantModel(conn).collection.bulkWrite(participantUpserts(campaign, batch, now), { ordered: true });
    for (const index of Object.keys(result.upsertedIds)) {
      const supplier = batch[Number(index)];
      if (supplier) added.push(supplier._id);
    }
  }
  return added;
}

function participantUpserts(campaign: { _id: mongoose.Types.ObjectId; organisationId: mongoose.Types.ObjectId }, suppliers: SelectableSupplier[], now: Date) {
  return suppliers.map((supplier) => ({
      updateOne: {
        filter: { campaignId: campaign._id, supplierId: supplier._id },
        update: {
          $setOnInsert: {
            organisationId: campaign.organisationId,
            campaignId: campaign._id,
            supplierId: supplier._id,
            name: supplier.name,
            sortName: supplier.name.toLocaleLowerCase('sv'),
            country: supplier.country,
            sector: supplier.sector ?? '',
            tags: supplier.tags ?? [],
            ...stateFields('notInvited'),
            addedAt: now,
            invitedAt: null,
            openedAt: null,
            startedAt: null,
            submittedAt: null,
            lastRemindedAt: null,
            lastActivityAt: null,
          },
        },
        upsert: true,
      },
    }));
}

/**
 * Adds suppliers, by hand or every active one matching a filter, to a draft or an open campaign (an open campaign
 * sends to the new ones with `sendCampaign`). Suppliers already in the campaign are left as they are.
 */
export async function addSuppliers(deps: CampaignDeps, organisationId: Id, campaignId: Id, body: AddSuppliersBody, actor: Actor): Promise<{ added: number }> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  if (campaign.status === 'closed') throw new HttpError(409, 'campaigns:errors.closed');
  const suppliers =
    'supplierIds' in body
      ? await selectableSuppliersByIds(deps.connection, campaign.organisationId, body.supplierIds)
      : await supplierModel(deps.connection).find(supplierFilterQuery(campaign.organisationId, body.filter), SUPPLIER_FIELDS).limit(MAX_SUPPLIERS_PER_CAMPAIGN + 1).lean<SelectableSupplier[]>();
  const current = await participantModel(deps.connection).countDocuments({ campaignId: campaign._id });
  if (current + suppliers.length > MAX_SUPPLIERS_PER_CAMPAIGN) {
    throw new HttpError(400, 'campaigns:errors.tooManySuppliers', { max: MAX_SUPPLIERS_PER_CAMPAIGN }, { field: 'supplierIds' });
  }
  const now = deps.clock.now();
  // The rows first (their list is what the campaign sends to), then the campaign's own list of ids and the log.
  const added = await insertParticipants(deps.connection, campaign, suppliers, now);
  forgetFilterOptions(deps.connection, campaign._id);
  if (added.length === 0) return { added: 0 };
  await deps.connection.transaction(async (session) => {
    await campaignModel(deps.connection).updateOne({ _id: campaign._id }, { $push: { supplierIds: { $each: added } }, $inc: { revision: 1 } }, { session });
    await recordActivity(
      deps.connection,
      { organisationId: campaign.organisationId, actor, action: 'campaign.suppliers_added', subject: ref('campaign', campaign._id), details: { added: added.length }, at: now },
      { session },
    );
  });
  return { added: added.length };
}

/** Takes suppliers out of a draft (nothing was sent to them); an open campaign keeps everyone it was sent to. */
export async function removeSuppliers(deps: CampaignDeps, organisationId: Id, campaignId: Id, supplierIds: string[], actor: Actor): Promise<{ removed: number }> {
  const campaign = await requireCampaign(deps.connection, organisationId, campaignId);
  assertDraft(campaign);
  const ids = supplierIds.filter((id) => objectIdInput.safeParse(id).success).map((id) => new mongoose.Types.ObjectId(id));
  if (ids.length === 0) return { removed: 0 };
  const now = deps.clock.now();
  return deps.connection.transaction(async (session) => {
    const result = await participantModel(deps.connection).deleteMany({ campaignId: campaign._id, supplierId: { $in: ids }, state: 'notInvited' }, { session });
    await campaignModel(deps.connection).updateOne({ _id: campaign._id, status: 'draft' }, { $pull: { supplierIds: { $in: ids } }, $inc: { revision: 1 } }, { session });
    if (result.deletedCount > 0) {
      await recordActivity(
        deps.connection,
        { organisationId: campaign.organisationId, actor, action: 'campaign.suppliers_removed', subject: ref('campaign', campaign._id), details: { removed: result.deletedCount }, at: now },
        { session },
      );
    }
    return { removed: result.deletedCount };
  });
}
