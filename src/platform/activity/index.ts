/**
 * The activity log: every state change a regulator could ask about (who did what, when, to which record). Entries
 * are only ever appended; timelines (a supplier's, a case's) are read from here, so a timeline and the log never
 * disagree.
 */
import mongoose, { Schema } from 'mongoose';
import { z } from 'zod';

export const ACTOR_KINDS = ['user', 'supplier', 'api', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who did it: a logged-in user, a supplier through its link, an API token, or the system (scheduled work). */
export interface Actor {
  kind: ActorKind;
  /** User id, invitation id, API token id; absent for the system. */
  id?: string;
  /** A readable name kept with the entry, so the log still reads right after a user or token is renamed. */
  name?: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', name: 'system' };

/**
 * A reference to a record the entry is about, written `kind:id` (e.g. `supplier:64f…`). An entry carries every
 * record it concerns, so the supplier's timeline and the campaign's both find "invitation sent".
 */
export type ActivityRef = `${string}:${string}`;

export function ref(kind: string, id: { toString(): string }): ActivityRef {
  return `${kind}:${id.toString()}`;
}

export interface ActivityInput {
  organisationId: mongoose.Types.ObjectId | string;
  actor: Actor;
  /** Dotted verb, e.g. `campaign.sent`, `user.roles_changed`, `response.submitted`. */
  action: string;
  /** The main record, first in `refs`. */
  subject: ActivityRef;
  /** Further records the entry concerns (supplier, campaign, case…). */
  refs?: ActivityRef[];
  /** What changed, in a shape the action defines (kept small: ids, counts, old and new values). */
  details?: Record<string, unknown>;
  at: Date;
}

export interface ActivityEntry {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  actor: Actor;
  action: string;
  subject: ActivityRef;
  refs: ActivityRef[];
  details: Record<string, unknown>;
  at: Date;
}

const actorSchema = new Schema(
  {
    kind: { type: String, enum: ACTOR_KINDS, required: true },
    id: { type: String },
    name: { type: String, maxlength: 320 },
  },
  { _id: false },
);

const activitySchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    actor: { type: actorSchema, required: true },
    action: { type: String, required: true, maxlength: 100 },
    subject: { type: String, required: true, maxlength: 200 },
    refs: { type: [String], default: [] },
    details: { type: Schema.Types.Mixed, default: () => ({}) },
    at: { type: Date, required: true },
  },
  { collection: 'activity', minimize: false, versionKey: false },
);
activitySchema.index({ organisationId: 1, at: -1 });
activitySchema.index({ organisationId: 1, refs: 1, at: 1 });
activitySchema.index({ organisationId: 1, action: 1, at: -1 });

function registerActivityModel(conn: mongoose.Connection) {
  return conn.model('Activity', activitySchema);
}
export type ActivityModel = ReturnType<typeof registerActivityModel>;

export function activityModel(conn: mongoose.Connection): ActivityModel {
  return (conn.models.Activity as ActivityModel | undefined) ?? registerActivityModel(conn);
}

/**
 * Appends one entry. Pass the transaction's session when the change itself is written in one, so the change and its
 * entry commit together or not at all.
 */
export async function recordActivity(
  conn: mongoose.Connection,
  input: ActivityInput,
  options: { session?: mongoose.ClientSession } = {},
): Promise<void> {
  const refs = [input.subject, ...(input.refs ?? []).filter((r) => r !== input.subject)];
  await activityModel(conn).create(
    [{ organisationId: input.organisationId, actor: input.actor, action: input.action, subject: input.subject, refs, details: input.details ?? {}, at: input.at }],
    { session: options.session },
  );
}

/**
 * Several entries in one write (a campaign sent to 500 contacts is 500 "invitation sent" entries). Written with the
 * driver: the entries are plain data of a fixed shape, and mongoose's casting of each one cost more than the insert
 * (bench/campaign-send.ts).
 */
export async function recordActivities(
  conn: mongoose.Connection,
  inputs: ActivityInput[],
  options: { session?: mongoose.ClientSession } = {},
): Promise<void> {
  if (inputs.length === 0) return;
  // Through the driver: mongoose's insertMany casts each entry again, which made 10,000 entries take seconds.
  const docs = inputs.map((input) => ({
    organisationId: new mongoose.Types.ObjectId(String(input.organisationId)),
    actor: { kind: input.actor.kind, ...(input.actor.id ? { id: input.actor.id } : {}), ...(input.actor.name ? { name: input.actor.name } : {}) },
    action: input.action,
    subject: input.subject,
    refs: [input.subject, ...(input.refs ?? []).filter((r) => r !== input.subject)],
    details: input.details ?? {},
    at: input.at,
  }));
  await activityModel(conn).collection.insertMany(docs, { session: options.session, ordered: true });
}

export const activityFilterInput = z.object({
  action: z.string().trim().regex(/^[a-z_.]{1,100}$/, 'must be an action name such as campaign.sent').optional(),
  actorKind: z.enum(ACTOR_KINDS).optional(),
  actorId: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  ref: z.string().trim().regex(/^[a-z_]{1,40}:[A-Za-z0-9_-]{1,64}$/, 'must be kind:id').optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
});
export type ActivityFilter = z.output<typeof activityFilterInput>;

function filterQuery(organisationId: mongoose.Types.ObjectId, filter: Partial<ActivityFilter>): mongoose.mongo.Filter<mongoose.mongo.Document> {
  const query: mongoose.mongo.Filter<mongoose.mongo.Document> = { organisationId };
  // An action filter ending in '.' selects a family ("case." → every case action).
  if (filter.action) query.action = filter.action.endsWith('.') ? { $regex: `^${filter.action.replace(/\./g, '\\.')}` } : filter.action;
  if (filter.actorKind) query['actor.kind'] = filter.actorKind;
  if (filter.actorId) query['actor.id'] = filter.actorId;
  if (filter.ref) query.refs = filter.ref;
  if (filter.from || filter.to) query.at = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lte: filter.to } : {}) };
  return query;
}

/** One page of the organisation's log, newest first, with the total count for paging. */
export async function listActivity(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  filter: Partial<ActivityFilter> = {},
): Promise<{ entries: ActivityEntry[]; total: number; page: number; pageSize: number }> {
  const page = filter.page ?? 1;
  const pageSize = filter.pageSize ?? 50;
  const query = filterQuery(new mongoose.Types.ObjectId(String(organisationId)), filter);
  const collection = activityModel(conn).collection;
  const [entries, total] = await Promise.all([
    collection.find<ActivityEntry>(query).sort({ at: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize).toArray(),
    collection.countDocuments(query),
  ]);
  return { entries, total, page, pageSize };
}

/** Every entry matching the filter (paging ignored), newest first, read as a stream: for exports of any size. */
export function streamActivity(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  filter: Partial<ActivityFilter> = {},
): AsyncIterable<ActivityEntry> {
  const query = filterQuery(new mongoose.Types.ObjectId(String(organisationId)), filter);
  return activityModel(conn).collection.find<ActivityEntry>(query).sort({ at: -1, _id: -1 });
}

/** The action names used in the organisation's log (for a filter's choices). */
export async function activityActions(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId | string): Promise<string[]> {
  const actions: unknown[] = await activityModel(conn).collection.distinct('action', { organisationId: new mongoose.Types.ObjectId(String(organisationId)) });
  return actions.filter((action): action is string => typeof action === 'string').sort();
}

/** Every entry about one record, oldest first: the record's timeline. */
export async function timelineOf(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  about: ActivityRef | ActivityRef[],
): Promise<ActivityEntry[]> {
  const refs = Array.isArray(about) ? about : [about];
  return activityModel(conn)
    .collection.find<ActivityEntry>({ organisationId: new mongoose.Types.ObjectId(String(organisationId)), refs: { $in: refs } })
    .sort({ at: 1, _id: 1 })
    .toArray();
}
