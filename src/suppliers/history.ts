/**
 * A supplier's history, read from the activity log: whatever any domain logs with `refs: [ref('supplier', id)]`
 * appears here. Also what other domains tell the register (invited, responded) and the one hard delete, allowed only
 * while a supplier has no history beyond its own register entries.
 */
import type { i18n as I18n } from 'i18next';
import mongoose from 'mongoose';
import { recordActivity, ref, timelineOf, type ActivityEntry, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import type { Lang } from '../platform/i18n';
import { requireSupplier, type SupplierDeps } from './service';
import { supplierModel, type SupplierDocument } from './model';
import { forgetFilterOptions } from './search';

type Id = mongoose.Types.ObjectId | string;

export async function supplierTimeline(conn: mongoose.Connection, supplier: SupplierDocument): Promise<ActivityEntry[]> {
  return timelineOf(conn, supplier.organisationId, ref('supplier', supplier._id));
}

/**
 * Whether anything beyond the register's own entries concerns the supplier: an invitation, a campaign that lists it,
 * or any activity another domain logged about it. Such a supplier is archived, never deleted. The invitation and
 * campaign collections are read by name (as the campaigns domain reads responses) so this does not import them.
 */
export async function hasHistory(conn: mongoose.Connection, supplier: SupplierDocument, session?: mongoose.ClientSession): Promise<boolean> {
  if (supplier.lastInvitedAt || supplier.lastResponseAt) return true;
  const organisationId = supplier.organisationId;
  // One after another: operations of one transaction cannot run in parallel.
  const checks = [
    () => conn.collection('invitations').countDocuments({ organisationId, supplierId: supplier._id }, { session, limit: 1 }),
    () => conn.collection('campaigns').countDocuments({ organisationId, supplierIds: supplier._id }, { session, limit: 1 }),
    () => conn.collection('activity').countDocuments({ organisationId, refs: ref('supplier', supplier._id), action: { $not: /^supplier\./ } }, { session, limit: 1 }),
  ];
  for (const check of checks) if ((await check()) > 0) return true;
  return false;
}

/** Deletes a supplier that has no history (an entry made by mistake); the log keeps that it existed. */
export async function deleteSupplier(deps: SupplierDeps, organisationId: Id, supplierId: unknown, actor: Actor): Promise<void> {
  const supplier = await requireSupplier(deps.connection, organisationId, supplierId);
  const now = deps.clock.now();
  await deps.connection.transaction(async (session) => {
    if (await hasHistory(deps.connection, supplier, session)) throw new HttpError(409, 'suppliers:errors.hasHistory');
    const deleted = await supplierModel(deps.connection).deleteOne({ _id: supplier._id, organisationId: supplier.organisationId }, { session });
    if (deleted.deletedCount !== 1) throw new HttpError(404, 'common:errors.notFound');
    await recordActivity(
      deps.connection,
      {
        organisationId: supplier.organisationId,
        actor,
        action: 'supplier.deleted',
        subject: ref('supplier', supplier._id),
        details: { name: supplier.name, organisationNumber: supplier.organisationNumber, country: supplier.country },
        at: now,
      },
      { session },
    );
  });
  forgetFilterOptions(deps.connection, supplier.organisationId);
}

/**
 * For the campaigns domain: these suppliers were invited at `at` (the register's "never invited" filter and history
 * guard read it). Pass the session of the transaction that creates the invitations.
 */
export async function noteSupplierInvited(conn: mongoose.Connection, organisationId: Id, supplierIds: Id[], at: Date, options: { session?: mongoose.ClientSession } = {}): Promise<void> {
  if (supplierIds.length === 0) return;
  await supplierModel(conn).updateMany({ organisationId, _id: { $in: supplierIds } }, { $max: { lastInvitedAt: at } }, { session: options.session, timestamps: false });
}

/** For the responses domain: the supplier submitted a response at `at` (the register sorts by it). */
export async function noteSupplierResponded(conn: mongoose.Connection, organisationId: Id, supplierId: Id, at: Date, options: { session?: mongoose.ClientSession } = {}): Promise<void> {
  await supplierModel(conn).updateOne({ organisationId, _id: supplierId }, { $max: { lastResponseAt: at } }, { session: options.session, timestamps: false });
}

/** A timeline entry as a sentence, with the time and who did it. */
export interface TimelineItem {
  at: Date;
  actorName: string;
  actorKind: string;
  sentence: string;
  action: string;
  /** For edits: the fields changed. */
  fields: string[];
}

function scalarDetails(details: Record<string, unknown>): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'string' || typeof value === 'number') values[key] = value;
  }
  return values;
}

/**
 * Each action's sentence is the key `activity.<action>` in whichever namespace holds it (a domain ships its own
 * sentences in its namespace file); an action no namespace knows reads as the generic sentence with its name.
 */
export function describeTimeline(i18n: I18n, lang: Lang, entries: readonly ActivityEntry[]): TimelineItem[] {
  const t = i18n.getFixedT(lang);
  const namespaces = [...(i18n.options.ns ?? [])] as string[];
  return entries.map((entry) => {
    const actorName = entry.actor.name ?? t(`suppliers:actors.${entry.actor.kind}`);
    const params = { ...scalarDetails(entry.details ?? {}), actor: actorName, action: entry.action };
    const key = `activity.${entry.action}`;
    const namespace = namespaces.find((ns) => i18n.exists(`${ns}:${key}`, { lng: lang }));
    const sentence = namespace ? t(`${namespace}:${key}`, params) : t('suppliers:activity.generic', params);
    const fields = Array.isArray(entry.details?.fields) ? entry.details.fields.filter((field): field is string => typeof field === 'string') : [];
    return { at: entry.at, actorName, actorKind: entry.actor.kind, sentence, action: entry.action, fields };
  });
}
