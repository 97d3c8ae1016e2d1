/**
 * Searching the register: free text over the folded search field (escaped, so a query is never a pattern), filters,
 * sorts on indexed keys and paging. Other domains add filters ("has an open follow-up") as `SupplierFilterExtension`s
 * given to the router and the API in src/app.ts, without this module knowing them.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import { escapeRegex } from '../platform/regex';
import { foldForSearch } from './identifiers';
import { countryCode } from './input';
import { supplierModel, VISIBLE } from './model';

type Filter = mongoose.mongo.Filter<mongoose.mongo.Document>;

/** A named filter another domain contributes: the register shows it as a checkbox, the API as `filter=<name>`. */
export interface SupplierFilterExtension {
  /** camelCase, used in URLs and the API. */
  name: string;
  /** i18n key of the checkbox label. */
  labelKey: string;
  /** The condition on the `suppliers` collection for suppliers that pass (it may read the domain's own data). */
  condition(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId): Promise<Filter>;
}

/** Suppliers no campaign has ever invited (kept by `noteSupplierInvited`). */
export const NEVER_INVITED: SupplierFilterExtension = {
  name: 'neverInvited',
  labelKey: 'suppliers:filters.neverInvited',
  condition: async () => ({ lastInvitedAt: null }),
};

export const SUPPLIER_SORTS = ['name', 'country', 'created', 'lastResponse'] as const;
export type SupplierSort = (typeof SUPPLIER_SORTS)[number];
export const ARCHIVE_STATES = ['active', 'archived', 'all'] as const;

const SORT_SPECS: Record<SupplierSort, { keys: Record<string, 1 | -1>; defaultOrder: 'asc' | 'desc' }> = {
  name: { keys: { nameSortKey: 1, _id: 1 }, defaultOrder: 'asc' },
  country: { keys: { country: 1, nameSortKey: 1, _id: 1 }, defaultOrder: 'asc' },
  created: { keys: { createdAt: 1, _id: 1 }, defaultOrder: 'desc' },
  // Never answered sorts last when newest first (null is the lowest value).
  lastResponse: { keys: { lastResponseAt: 1, nameSortKey: 1, _id: 1 }, defaultOrder: 'desc' },
};

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const asList = (value: unknown) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]);

export const MAX_PAGE_SIZE = 200;

/** The register's query string and the API's query parameters. */
export const supplierFilterInput = z.object({
  q: z.string().trim().max(100).default(''),
  country: z.preprocess(emptyToUndefined, countryCode.optional()),
  sector: z.preprocess(emptyToUndefined, z.string().trim().max(200).optional()),
  tag: z.preprocess(emptyToUndefined, z.string().trim().max(50).optional()),
  status: z.preprocess(emptyToUndefined, z.enum(ARCHIVE_STATES).default('active')),
  filter: z.preprocess(asList, z.array(z.string().regex(/^[a-zA-Z]{1,40}$/)).max(10)).default([]),
  sort: z.preprocess(emptyToUndefined, z.enum(SUPPLIER_SORTS).default('name')),
  order: z.preprocess(emptyToUndefined, z.enum(['asc', 'desc']).optional()),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
});
export type SupplierFilter = z.output<typeof supplierFilterInput>;

/** Each word of the query must occur somewhere in the supplier's folded search text. */
function textConditions(q: string): Filter[] {
  const words = foldForSearch(q).split(' ').filter(Boolean).slice(0, 10);
  return words.map((word) => ({ searchText: { $regex: escapeRegex(word) } }));
}

export class UnknownFilterError extends Error {
  constructor(readonly filterName: string) {
    super(`unknown filter ${filterName}`);
  }
}

/** The MongoDB filter of a register search; unknown extension names are refused. */
export async function registerQuery(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId,
  filter: Partial<SupplierFilter>,
  extensions: readonly SupplierFilterExtension[],
): Promise<Filter> {
  const and: Filter[] = [{ organisationId, ...VISIBLE }];
  const status = filter.status ?? 'active';
  if (status === 'active') and.push({ archivedAt: null });
  if (status === 'archived') and.push({ archivedAt: { $ne: null } });
  if (filter.country) and.push({ country: filter.country });
  if (filter.sector) and.push({ sector: filter.sector });
  if (filter.tag) and.push({ tags: filter.tag });
  and.push(...textConditions(filter.q ?? ''));
  for (const name of new Set(filter.filter ?? [])) {
    const extension = extensions.find((candidate) => candidate.name === name);
    if (!extension) throw new UnknownFilterError(name);
    and.push(await extension.condition(conn, organisationId));
  }
  return and.length === 1 ? (and[0] as Filter) : { $and: and };
}

export function sortOf(filter: Partial<SupplierFilter>): Record<string, 1 | -1> {
  const spec = SORT_SPECS[filter.sort ?? 'name'];
  const descending = (filter.order ?? spec.defaultOrder) === 'desc';
  return Object.fromEntries(Object.entries(spec.keys).map(([key, direction]) => [key, descending ? -direction : direction])) as Record<string, 1 | -1>;
}

/** What a register row shows. */
export interface SupplierRow {
  _id: mongoose.Types.ObjectId;
  name: string;
  country: string;
  organisationNumber: string;
  identifierKind: string;
  sector: string;
  tags: string[];
  contacts: Array<{ name: string; email: string; language: string }>;
  archivedAt: Date | null;
  createdAt: Date;
  lastInvitedAt: Date | null;
  lastResponseAt: Date | null;
}

export interface SupplierPage {
  rows: SupplierRow[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}

const ROW_PROJECTION = { name: 1, country: 1, organisationNumber: 1, identifierKind: 1, sector: 1, tags: 1, contacts: 1, archivedAt: 1, createdAt: 1, lastInvitedAt: 1, lastResponseAt: 1 };

/** One page of the register. */
export async function searchSuppliers(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  filter: Partial<SupplierFilter>,
  extensions: readonly SupplierFilterExtension[] = [NEVER_INVITED],
): Promise<SupplierPage> {
  const orgId = new mongoose.Types.ObjectId(String(organisationId));
  const query = await registerQuery(conn, orgId, filter, extensions);
  const pageSize = filter.pageSize ?? 50;
  const collection = supplierModel(conn).collection;
  const pageOf = (page: number) =>
    collection
      .find<SupplierRow>(query, { projection: ROW_PROJECTION })
      .sort(sortOf(filter))
      .skip((page - 1) * pageSize)
      .limit(pageSize)
      .toArray();
  // The count and the page are read at once; a page past the end (the register shrank) is read again as the last.
  const requested = filter.page ?? 1;
  const [total, firstTry] = await Promise.all([collection.countDocuments(query), pageOf(requested)]);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(requested, pages);
  const rows = page === requested ? firstTry : await pageOf(page);
  return { rows, total, page, pageSize, pages };
}

/** Every id a search matches (a campaign chosen "by filter"), up to `limit`. */
export async function matchingSupplierIds(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId | string,
  filter: Partial<SupplierFilter>,
  extensions: readonly SupplierFilterExtension[] = [NEVER_INVITED],
  limit = 50_000,
): Promise<mongoose.Types.ObjectId[]> {
  const orgId = new mongoose.Types.ObjectId(String(organisationId));
  const query = await registerQuery(conn, orgId, filter, extensions);
  const docs = await supplierModel(conn).collection.find(query, { projection: { _id: 1 } }).sort(sortOf(filter)).limit(limit).toArray();
  return docs.map((doc) => doc._id as mongoose.Types.ObjectId);
}

export interface FilterOptions {
  countries: string[];
  sectors: string[];
  tags: string[];
}

/**
 * The filter menus cost three scans of the register, so each instance keeps them a while per organisation. This
 * instance's own changes drop them at once (`forgetFilterOptions`); another instance's show within the time.
 */
const OPTIONS_CACHE_MS = 30_000;
const cachedOptions = new WeakMap<mongoose.Connection, Map<string, { expires: number; options: FilterOptions }>>();

export function forgetFilterOptions(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId | string): void {
  cachedOptions.get(conn)?.delete(String(organisationId));
}

/** The values the register's filter menus offer: the countries, sectors and tags the organisation's suppliers have. */
export async function filterOptions(conn: mongoose.Connection, organisationId: mongoose.Types.ObjectId | string): Promise<FilterOptions> {
  let byOrganisation = cachedOptions.get(conn);
  if (!byOrganisation) {
    byOrganisation = new Map();
    cachedOptions.set(conn, byOrganisation);
  }
  const cached = byOrganisation.get(String(organisationId));
  if (cached && cached.expires > performance.now()) return cached.options;
  const options = await readFilterOptions(conn, new mongoose.Types.ObjectId(String(organisationId)));
  byOrganisation.set(String(organisationId), { expires: performance.now() + OPTIONS_CACHE_MS, options });
  return options;
}

async function readFilterOptions(conn: mongoose.Connection, orgId: mongoose.Types.ObjectId): Promise<FilterOptions> {
  const collection = supplierModel(conn).collection;
  const [countries, sectors, tags] = await Promise.all([
    collection.distinct('country', { organisationId: orgId, ...VISIBLE }),
    collection.distinct('sector', { organisationId: orgId, ...VISIBLE }),
    collection.distinct('tags', { organisationId: orgId, ...VISIBLE }),
  ]);
  const collator = new Intl.Collator('sv');
  const strings = (values: unknown[]) => values.filter((value): value is string => typeof value === 'string' && value !== '').sort(collator.compare);
  return { countries: strings(countries), sectors: strings(sectors), tags: strings(tags) };
}
