/**
 * The organisation's activity log as admins read it: filtered by action family, actor, record and dates, each entry
 * told as a sentence in the reader's language, and the same selection as CSV.
 *
 * Sentences: the key `activity:actions.<action>` (the `activity` namespace, nested by the action's dots, e.g.
 * `activity:actions.user.invited`), interpolated with the actor, the subject and the entry's details. An action no sentence
 * was written for yet (another domain's new one) reads "<actor>: <action> (<subject>)".
 */
import type { i18n as I18n } from 'i18next';
import type mongoose from 'mongoose';
import { z } from 'zod';
import { activityActions, listActivity, recordActivity, ref, streamActivity, type ActivityEntry, type ActivityFilter, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { formatDateTime, type Lang, type Translate } from '../platform/i18n';
import { endOfLocalDay, startOfLocalDay } from '../platform/local-day';
import { ROLES, type Role } from './model';

export const ACTIVITY_PAGE_SIZE = 50;

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const isoDate = z.preprocess(emptyAsUndefined, z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD').optional());

/** The filter as a form or an API query gives it. */
export const activityQuery = z.object({
  /** An action (`user.invited`) or a family (`user.`). */
  action: z.preprocess(emptyAsUndefined, z.string().trim().regex(/^[a-z_]{1,40}(\.[a-z_.]{0,60})?$/, 'must be an action such as user.invited or a family such as user.').optional()),
  /** `user:<id>`, `api:<id>`, `supplier:<id>`, or a kind alone (`system`, `supplier`, `api`, `user`). */
  actor: z.preprocess(emptyAsUndefined, z.string().trim().regex(/^(user|supplier|api|system)(:[A-Za-z0-9_-]{1,64})?$/, 'must be a kind, optionally with :id').optional()),
  /** A record, `kind:id`. */
  ref: z.preprocess(emptyAsUndefined, z.string().trim().regex(/^[a-z_]{1,40}:[A-Za-z0-9_-]{1,64}$/, 'must be kind:id').optional()),
  from: isoDate,
  to: isoDate,
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
export type ActivityQuery = z.output<typeof activityQuery>;

/** Parses a query; a bad value is a 400 naming the field. */
export function parseActivityQuery(raw: unknown): ActivityQuery {
  const parsed = activityQuery.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'query');
    throw new HttpError(400, 'accounts:activity.invalidFilter', { field }, { field });
  }
  return parsed.data;
}

export function toActivityFilter(query: ActivityQuery): Partial<ActivityFilter> {
  const [actorKind, actorId] = query.actor ? query.actor.split(':') : [];
  const from = query.from ? startOfLocalDay(query.from) : undefined;
  const to = query.to ? endOfLocalDay(query.to) : undefined;
  if (query.from && !from) throw new HttpError(400, 'accounts:activity.invalidFilter', { field: 'from' }, { field: 'from' });
  if (query.to && !to) throw new HttpError(400, 'accounts:activity.invalidFilter', { field: 'to' }, { field: 'to' });
  return {
    action: query.action,
    actorKind: actorKind as ActivityFilter['actorKind'] | undefined,
    actorId: actorId || undefined,
    ref: query.ref,
    from,
    to,
    page: query.page,
    pageSize: ACTIVITY_PAGE_SIZE,
  };
}

function actorLabel(actor: Actor, t: Translate): string {
  if (actor.kind === 'api') return t('activity:actors.api', { name: actor.name ?? actor.id ?? '' });
  if (actor.kind === 'system') return actor.name && actor.name !== 'system' ? t(`activity:actors.system_${actor.name.replace(/[^a-z]+/g, '_')}`, { defaultValue: actor.name }) : t('activity:actors.system');
  return actor.name ?? actor.id ?? t(`activity:actors.${actor.kind}`);
}

function isRoleList(value: unknown): value is Role[] {
  return Array.isArray(value) && value.every((role) => (ROLES as readonly unknown[]).includes(role));
}

function fieldValue(value: unknown, t: Translate): string {
  if (isRoleList(value)) return value.map((role) => t(`common:roles.${role}`)).join(', ');
  if (typeof value === 'boolean') return t(value ? 'activity:values.yes' : 'activity:values.no');
  if (value === null || value === undefined || value === '') return t('activity:values.empty');
  return String(value);
}

/** `{ name: { from, to } }` as "Name: Old → New; …". */
function describeChanges(changes: unknown, t: Translate): string {
  if (typeof changes !== 'object' || changes === null) return '';
  return Object.entries(changes as Record<string, { from?: unknown; to?: unknown }>)
    .map(([field, change]) => `${t(`activity:fields.${field}`, { defaultValue: field })}: ${fieldValue(change?.from, t)} → ${fieldValue(change?.to, t)}`)
    .join('; ');
}

/** The values a sentence may use: its details (plain values; roles and changes made readable), actor and subject. */
function sentenceParams(entry: ActivityEntry, t: Translate): Record<string, unknown> {
  const params: Record<string, unknown> = { actor: actorLabel(entry.actor, t), subject: entry.subject, action: entry.action };
  for (const [key, value] of Object.entries(entry.details ?? {})) {
    if (key === 'changes') params.changes = describeChanges(value, t);
    else if (key === 'reason' && typeof value === 'string') params.reason = t(`activity:reasons.${value}`, { defaultValue: value });
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || isRoleList(value)) params[key] = fieldValue(value, t);
  }
  return params;
}

export function describeActivity(entry: ActivityEntry, i18n: I18n, lang: Lang): string {
  const t = i18n.getFixedT(lang) as unknown as Translate;
  const key = `activity:actions.${entry.action}`;
  const params = sentenceParams(entry, t);
  return i18n.exists(key, { lng: lang }) ? t(key, params) : t('activity:generic', params);
}

export interface ActivityRow {
  id: string;
  at: Date;
  action: string;
  sentence: string;
  actor: Actor;
  actorLabel: string;
  subject: string;
  refs: string[];
}

export function activityRow(entry: ActivityEntry, i18n: I18n, lang: Lang): ActivityRow {
  const t = i18n.getFixedT(lang) as unknown as Translate;
  return {
    id: entry._id.toHexString(),
    at: entry.at,
    action: entry.action,
    sentence: describeActivity(entry, i18n, lang),
    actor: entry.actor,
    actorLabel: actorLabel(entry.actor, t),
    subject: entry.subject,
    refs: entry.refs,
  };
}

export async function activityPage(conn: mongoose.Connection, i18n: I18n, organisationId: string, query: ActivityQuery, lang: Lang) {
  const result = await listActivity(conn, organisationId, toActivityFilter(query));
  return {
    rows: result.entries.map((entry) => activityRow(entry, i18n, lang)),
    total: result.total,
    page: result.page,
    pages: Math.max(1, Math.ceil(result.total / result.pageSize)),
  };
}

/** The filter's action choices: each family in the log, then its actions. */
export async function actionChoices(conn: mongoose.Connection, organisationId: string): Promise<Array<{ family: string; actions: string[] }>> {
  const families = new Map<string, string[]>();
  for (const action of await activityActions(conn, organisationId)) {
    const family = action.split('.')[0] ?? action;
    families.set(family, [...(families.get(family) ?? []), action]);
  }
  return [...families.entries()].map(([family, actions]) => ({ family, actions }));
}

export const CSV_HEADER_KEYS = ['at', 'atLocal', 'actorKind', 'actorId', 'actor', 'action', 'description', 'subject', 'refs', 'details'] as const;

/** The query as it would be written in a URL, for the log entry of an export. */
function describeFilter(query: ActivityQuery): string {
  const { page: _page, ...filters } = query;
  return new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => typeof entry[1] === 'string')).toString();
}

/**
 * The filtered log as CSV rows (header first), every matching entry, newest first. The export itself is logged
 * first: the log holds personal data (names, addresses, IP addresses), so who took a copy of it is on record.
 */
export async function* activityCsvRows(
  deps: { connection: mongoose.Connection; i18n: I18n },
  organisationId: string,
  query: ActivityQuery,
  lang: Lang,
  export_: { actor: Actor; at: Date },
): AsyncGenerator<string[]> {
  const { connection: conn, i18n } = deps;
  const filter = toActivityFilter(query);
  await recordActivity(conn, {
    organisationId,
    actor: export_.actor,
    action: 'activity.exported',
    subject: ref('organisation', organisationId),
    details: { filter: describeFilter(query) || '-' },
    at: export_.at,
  });
  const t = i18n.getFixedT(lang) as unknown as Translate;
  yield CSV_HEADER_KEYS.map((key) => t(`activity:csv.${key}`));
  for await (const entry of streamActivity(conn, organisationId, filter)) {
    yield [
      entry.at.toISOString(),
      formatDateTime(lang, entry.at),
      entry.actor.kind,
      entry.actor.id ?? '',
      actorLabel(entry.actor, t),
      entry.action,
      describeActivity(entry, i18n, lang),
      entry.subject,
      entry.refs.join(' '),
      JSON.stringify(entry.details ?? {}),
    ];
  }
}
