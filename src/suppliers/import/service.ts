/**
 * Import with a preview: an uploaded file is read, every row validated with the form's own rules and checked for
 * duplicates (within the file and against the register), and stored server-side as a preview that expires. Nothing
 * reaches the register until the preview is confirmed; then every valid new row is imported in one transaction, with
 * an activity entry per supplier and one for the import.
 */
import mongoose from 'mongoose';
import type { AppDeps } from '../../deps';
import { activityModel, recordActivities, ref, type ActivityInput, type Actor } from '../../platform/activity';
import { HttpError } from '../../platform/errors';
import { objectIdInput } from '../../platform/ids';
import { derivedFields, fieldProblems, supplierInput, type SupplierFields } from '../input';
import { supplierModel } from '../model';
import { forgetFilterOptions } from '../search';
import { createdActivity, newSupplierDocument, type SupplierDeps } from '../service';
import { ColumnError, columnOfPath, mapColumns, rowToInput } from './columns';
import { IMPORT_LIMITS } from './limits';
import { importModels, type ImportRecord, type ImportRowRecord } from './model';
import { parseImportFile } from './parse-file';
import { TableError, type ImportTable } from './read-table';

type Id = mongoose.Types.ObjectId | string;

/** A file-level problem as the page and the API show it. */
function fileError(error: TableError | ColumnError): HttpError {
  const status = error instanceof TableError && (error.code === 'tooLarge' || error.code === 'tooManyRows' || error.code === 'xlsxTooBig') ? 413 : 400;
  const key = error instanceof TableError ? `suppliers:import.fileErrors.${error.code}` : `suppliers:import.fileErrors.${error.code}`;
  return new HttpError(status, key, error.params, { field: 'file' });
}

interface PreparedRow extends Omit<ImportRowRecord, '_id' | 'importId' | 'organisationId' | 'expiresAt'> {}

/** Validates every row and finds duplicates within the file: a later row with the same key is a duplicate of the first. */
export function prepareRows(table: ImportTable, lang: 'sv' | 'en'): { rows: PreparedRow[]; columns: string[]; ignored: string[] } {
  const mapping = mapColumns(table.headers, lang);
  const firstRowOfKey = new Map<string, number>();
  const rows = table.rows.map((row): PreparedRow => {
    const { input, sources } = rowToInput(row.cells, mapping);
    const parsed = supplierInput.safeParse(input);
    if (!parsed.success) {
      const problems = fieldProblems(parsed.error).map((problem) => ({ column: columnOfPath(problem.path, sources, mapping), key: problem.key, params: problem.params }));
      return { rowNumber: row.rowNumber, input, fields: null, duplicateKey: null, problems, duplicateOf: null };
    }
    const duplicateKey = derivedFields(parsed.data).duplicateKey;
    const first = firstRowOfKey.get(duplicateKey);
    if (first === undefined) firstRowOfKey.set(duplicateKey, row.rowNumber);
    return {
      rowNumber: row.rowNumber,
      input,
      fields: parsed.data as unknown as Record<string, unknown>,
      duplicateKey,
      problems: [],
      duplicateOf: first === undefined ? null : { kind: 'file', rowNumber: first },
    };
  });
  return { rows, columns: mapping.columns.map((column) => column.header), ignored: mapping.ignored };
}

/** Register entries of the organisation with any of these keys, by key. */
async function registerEntriesByKey(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId,
  keys: string[],
  session?: mongoose.ClientSession,
): Promise<Map<string, { _id: mongoose.Types.ObjectId; name: string; archivedAt: Date | null }>> {
  const found = new Map<string, { _id: mongoose.Types.ObjectId; name: string; archivedAt: Date | null }>();
  for (let start = 0; start < keys.length; start += 1000) {
    const docs = await supplierModel(conn)
      .collection.find<{ _id: mongoose.Types.ObjectId; name: string; archivedAt: Date | null; duplicateKey: string }>(
        { organisationId, duplicateKey: { $in: keys.slice(start, start + 1000) } },
        { projection: { name: 1, archivedAt: 1, duplicateKey: 1 }, session },
      )
      .toArray();
    for (const doc of docs) found.set(doc.duplicateKey, doc);
  }
  return found;
}

export interface PreviewRequest {
  organisationId: Id;
  actor: Actor;
  fileName: string;
  buffer: Buffer;
  /** The language of the column names reported as missing. */
  lang: 'sv' | 'en';
}

/** Reads and checks an uploaded file and stores its preview; nothing is imported. */
export async function previewImport(deps: SupplierDeps, request: PreviewRequest): Promise<ImportRecord> {
  if (!objectIdInput.safeParse(request.organisationId).success) throw new HttpError(404, 'common:errors.notFound');
  const organisationId = new mongoose.Types.ObjectId(String(request.organisationId));
  let prepared: ReturnType<typeof prepareRows>;
  let table: ImportTable;
  try {
    table = await parseImportFile(request.buffer);
    prepared = prepareRows(table, request.lang);
  } catch (error) {
    if (error instanceof TableError || error instanceof ColumnError) throw fileError(error);
    throw error;
  }
  const keys = prepared.rows.filter((row) => row.duplicateKey && !row.duplicateOf).map((row) => row.duplicateKey as string);
  const existing = await registerEntriesByKey(deps.connection, organisationId, keys);
  for (const row of prepared.rows) {
    const match = row.duplicateKey && !row.duplicateOf ? existing.get(row.duplicateKey) : undefined;
    if (match) row.duplicateOf = { kind: 'register', supplierId: match._id, name: match.name, archived: Boolean(match.archivedAt) };
  }
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + IMPORT_LIMITS.previewMs);
  const importId = new mongoose.Types.ObjectId();
  const { imports, rows } = importModels(deps.connection);
  // The rows first: an import record exists only with all its rows (orphaned rows expire with the TTL index).
  for (let start = 0; start < prepared.rows.length; start += 1000) {
    await rows.collection.insertMany(prepared.rows.slice(start, start + 1000).map((row) => ({ ...row, importId, organisationId, expiresAt })));
  }
  const record: ImportRecord = {
    _id: importId,
    organisationId,
    createdBy: { ...request.actor },
    createdAt: now,
    expiresAt,
    status: 'preview',
    fileName: request.fileName.slice(0, 300),
    format: table.format,
    encoding: table.encoding ?? null,
    delimiter: table.delimiter ?? null,
    sheetName: table.sheetName ?? null,
    columns: prepared.columns,
    ignoredColumns: prepared.ignored,
    counts: {
      rows: prepared.rows.length,
      valid: prepared.rows.filter((row) => row.fields && !row.duplicateOf).length,
      invalid: prepared.rows.filter((row) => !row.fields).length,
      duplicateInFile: prepared.rows.filter((row) => row.duplicateOf?.kind === 'file').length,
      duplicateInRegister: prepared.rows.filter((row) => row.duplicateOf?.kind === 'register').length,
    },
    importedAt: null,
    created: null,
  };
  await imports.collection.insertOne(record);
  return record;
}

/** The organisation's import, only while its preview lives (or after it was confirmed, until it expires). */
export async function getImport(deps: SupplierDeps, organisationId: Id, importId: unknown): Promise<ImportRecord> {
  if (!objectIdInput.safeParse(organisationId).success || !objectIdInput.safeParse(importId).success) throw new HttpError(404, 'common:errors.notFound');
  const record = await importModels(deps.connection).imports.collection.findOne<ImportRecord>({
    _id: new mongoose.Types.ObjectId(String(importId)),
    organisationId: new mongoose.Types.ObjectId(String(organisationId)),
  });
  if (!record) throw new HttpError(404, 'common:errors.notFound');
  if (record.status === 'preview' && record.expiresAt.getTime() <= deps.clock.now().getTime()) throw new HttpError(410, 'suppliers:import.expired');
  return record;
}

export const ROW_VIEWS = ['problems', 'new', 'all'] as const;
export type RowView = (typeof ROW_VIEWS)[number];

const ROW_VIEW_FILTERS: Record<RowView, Record<string, unknown>> = {
  problems: { $or: [{ fields: null }, { duplicateOf: { $ne: null } }] },
  new: { fields: { $ne: null }, duplicateOf: null },
  all: {},
};

/** One page of an import's rows. */
export async function importRows(deps: SupplierDeps, record: ImportRecord, view: RowView, page: number, pageSize = 100): Promise<{ rows: ImportRowRecord[]; total: number; page: number; pages: number }> {
  const query = { importId: record._id, organisationId: record.organisationId, ...ROW_VIEW_FILTERS[view] };
  const collection = importModels(deps.connection).rows.collection;
  const total = await collection.countDocuments(query);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  const rows = await collection.find<ImportRowRecord>(query).sort({ rowNumber: 1 }).skip((current - 1) * pageSize).limit(pageSize).toArray();
  return { rows, total, page: current, pages };
}

export interface ImportOutcome {
  record: ImportRecord;
  created: number;
  /** Valid rows that the register gained meanwhile (someone added the same supplier after the preview). */
  skippedAsDuplicates: number;
}

export type ImportDeps = SupplierDeps & Pick<AppDeps, 'scheduler'>;

/** How long a confirmation may take before the settle job takes over (rolls it back, or finishes a committed one). */
const IMPORT_LOCK_MS = 10 * 60 * 1000;
export const SETTLE_IMPORT_JOB = 'suppliers.import.settle';

function importsCollection(conn: mongoose.Connection) {
  return importModels(conn).imports.collection;
}

/**
 * Imports every valid new row of a preview, all or nothing, without one huge transaction (MongoDB caps a
 * transaction's lifetime, and 10,000 suppliers with their log entries would be one of the largest):
 *  1. claim: preview → importing (a second confirmation finds it taken), with a settle job as the safety net;
 *  2. the suppliers are inserted marked `pendingImportId`, which every register read leaves out, and which the unique
 *     index still counts (a supplier added by hand meanwhile fails the import instead of being doubled);
 *  3. commit: importing → committed, one atomic write; before it a failure (or the settle job, after a crash)
 *     deletes the pending suppliers and makes the import a preview again; after it the import only moves forward;
 *  4. settle: the suppliers become visible, their activity entries and the import's are written, → imported.
 */
export async function confirmImport(deps: ImportDeps, organisationId: Id, importId: unknown, actor: Actor): Promise<ImportOutcome> {
  const record = await getImport(deps, organisationId, importId);
  if (record.status !== 'preview') throw new HttpError(409, `suppliers:import.already.${record.status === 'cancelled' ? 'cancelled' : 'imported'}`);
  const now = deps.clock.now();
  const claimed = await deps.connection.transaction(async (session) => {
    const result = await importsCollection(deps.connection).updateOne(
      { _id: record._id, organisationId: record.organisationId, status: 'preview', expiresAt: { $gt: now } },
      { $set: { status: 'importing', confirmedBy: { ...actor }, lockedUntil: new Date(now.getTime() + IMPORT_LOCK_MS) } },
      { session },
    );
    if (result.modifiedCount !== 1) return false;
    await deps.scheduler.schedule(SETTLE_IMPORT_JOB, record._id.toHexString(), new Date(now.getTime() + IMPORT_LOCK_MS), { session, ifExists: 'again' });
    return true;
  });
  if (!claimed) throw new HttpError(409, 'suppliers:import.already.imported');

  let created: number;
  let skipped: number;
  try {
    ({ created, skipped } = await insertPendingSuppliers(deps, record, now));
  } catch (error) {
    await rollBack(deps, record._id);
    if (isDuplicateKeyError(error)) throw new HttpError(409, 'suppliers:import.registerChanged');
    throw error;
  }
  const committed = await importsCollection(deps.connection).updateOne(
    { _id: record._id, status: 'importing' },
    { $set: { status: 'committed', created, skippedAsDuplicates: skipped, importedAt: now } },
  );
  if (committed.modifiedCount !== 1) {
    // The settle job judged this confirmation dead and rolled it back meanwhile.
    throw new HttpError(409, 'suppliers:import.registerChanged');
  }
  const settled = await settleImport(deps, record._id);
  await deps.scheduler.cancel(SETTLE_IMPORT_JOB, record._id.toHexString());
  return { record: settled ?? record, created, skippedAsDuplicates: skipped };
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

async function insertPendingSuppliers(deps: SupplierDeps, record: ImportRecord, now: Date): Promise<{ created: number; skipped: number }> {
  const candidates = await importModels(deps.connection)
    .rows.collection.find<ImportRowRecord>({ importId: record._id, organisationId: record.organisationId, ...ROW_VIEW_FILTERS.new })
    .sort({ rowNumber: 1 })
    .toArray();
  const taken = await registerEntriesByKey(deps.connection, record.organisationId, candidates.map((row) => row.duplicateKey as string));
  const toCreate = candidates.filter((row) => !taken.has(row.duplicateKey as string));
  for (let start = 0; start < toCreate.length; start += 1000) {
    const docs = toCreate
      .slice(start, start + 1000)
      .map((row) => ({ ...newSupplierDocument(record.organisationId, row.fields as unknown as SupplierFields, now), importId: record._id, pendingImportId: record._id }));
    await supplierModel(deps.connection).collection.insertMany(docs, { ordered: true });
  }
  return { created: toCreate.length, skipped: candidates.length - toCreate.length };
}

/** Undoes an unfinished confirmation: its pending suppliers go, the import is a preview again. */
async function rollBack(deps: SupplierDeps, importId: mongoose.Types.ObjectId): Promise<void> {
  await supplierModel(deps.connection).collection.deleteMany({ pendingImportId: importId });
  await importsCollection(deps.connection).updateOne({ _id: importId, status: 'importing' }, { $set: { status: 'preview' }, $unset: { lockedUntil: '', confirmedBy: '' } });
}

/**
 * Finishes a committed import; safe to run again (the settle job after a crash): suppliers still pending become
 * visible, the log entries not yet written are written, and the import is marked imported.
 */
export async function settleImport(deps: SupplierDeps, importId: mongoose.Types.ObjectId): Promise<ImportRecord | null> {
  const record = await importsCollection(deps.connection).findOne<ImportRecord & { confirmedBy?: Actor; skippedAsDuplicates?: number }>({ _id: importId });
  if (!record || record.status !== 'committed') return record;
  const actor = record.confirmedBy ?? record.createdBy;
  const at = record.importedAt ?? deps.clock.now();
  const suppliers = supplierModel(deps.connection).collection;
  await suppliers.updateMany({ organisationId: record.organisationId, pendingImportId: importId }, { $unset: { pendingImportId: '' } });
  forgetFilterOptions(deps.connection, record.organisationId);
  const importRef = ref('import', importId);
  const activity = activityModel(deps.connection).collection;
  const imported = await suppliers
    .find<{ _id: mongoose.Types.ObjectId; name: string; organisationNumber: string }>({ organisationId: record.organisationId, importId }, { projection: { name: 1, organisationNumber: 1 } })
    .toArray();
  const logged = new Set(
    (await activity.find<{ subject: string }>({ organisationId: record.organisationId, action: 'supplier.created', refs: importRef }, { projection: { subject: 1 } }).toArray()).map((entry) => entry.subject),
  );
  const entries: ActivityInput[] = imported
    .filter((supplier) => !logged.has(ref('supplier', supplier._id)))
    .map((supplier) => ({ ...createdActivity(record.organisationId, supplier, actor, at, { source: 'import', importId: importId.toHexString() }), refs: [importRef] }));
  for (let start = 0; start < entries.length; start += 1000) await recordActivities(deps.connection, entries.slice(start, start + 1000));
  if ((await activity.countDocuments({ organisationId: record.organisationId, action: 'supplier.imported', subject: importRef })) === 0) {
    const counts = { created: imported.length, skippedAsDuplicates: record.skippedAsDuplicates ?? 0, invalid: record.counts.invalid, duplicateInFile: record.counts.duplicateInFile, duplicateInRegister: record.counts.duplicateInRegister, rows: record.counts.rows };
    await recordActivities(deps.connection, [{ organisationId: record.organisationId, actor, action: 'supplier.imported', subject: importRef, details: { fileName: record.fileName, format: record.format, ...counts }, at }]);
  }
  await importsCollection(deps.connection).updateOne({ _id: importId, status: 'committed' }, { $set: { status: 'imported', created: imported.length } });
  return { ...record, status: 'imported', created: imported.length };
}

/** The settle job: a confirmation that died before its commit is rolled back; one that died after it is finished. */
export function registerSupplierImportJobs(deps: ImportDeps): void {
  deps.scheduler.define(SETTLE_IMPORT_JOB, async (job) => {
    if (!/^[0-9a-f]{24}$/.test(job.key)) return;
    const importId = new mongoose.Types.ObjectId(job.key);
    const record = await importsCollection(deps.connection).findOne<ImportRecord>({ _id: importId });
    if (record?.status === 'importing') await rollBack(deps, importId);
    else if (record?.status === 'committed') await settleImport(deps, importId);
  });
}

/** Drops a preview that will not be imported. */
export async function cancelImport(deps: SupplierDeps, organisationId: Id, importId: unknown): Promise<void> {
  const record = await getImport(deps, organisationId, importId);
  const { imports, rows } = importModels(deps.connection);
  const cancelled = await imports.collection.updateOne({ _id: record._id, status: 'preview' }, { $set: { status: 'cancelled' } });
  if (cancelled.modifiedCount === 1) await rows.collection.deleteMany({ importId: record._id });
}
