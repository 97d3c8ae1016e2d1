/**
 * The supplier register's logic: create, edit (optimistic concurrency), archive, delete, each change written with
 * its activity-log entry in one transaction. Pages, the API and the import call these same functions.
 */
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { recordActivity, ref, type Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { objectIdInput } from '../platform/ids';
import { derivedFields, fieldProblems, supplierInput, type FieldProblem, type SupplierFields, type SupplierInput } from './input';
import { supplierModel, VISIBLE, type Supplier, type SupplierDocument } from './model';
import { forgetFilterOptions } from './search';

export type SupplierDeps = Pick<AppDeps, 'connection' | 'clock'>;
type Id = mongoose.Types.ObjectId | string;

/** The fields a person edits, in the shape the form and the API use. */
export const EDITABLE_FIELDS = ['name', 'country', 'organisationNumber', 'identifierKind', 'sector', 'contacts', 'sites', 'tags'] as const;
type EditableField = (typeof EDITABLE_FIELDS)[number];

/** Input that fails validation: every problem, each naming its field. */
export class SupplierValidationError extends HttpError {
  constructor(readonly problems: FieldProblem[]) {
    const first = problems[0];
    super(400, 'common:errors.invalidField', { field: first?.path ?? '', problem: first?.message ?? 'invalid' }, { field: first?.path });
    this.name = 'SupplierValidationError';
  }
}

/** The organisation already has this supplier (same identifier, or same name and country without one). */
export class DuplicateSupplierError extends HttpError {
  constructor(readonly existing: { id: string; name: string; archived: boolean }, field: 'organisationNumber' | 'name') {
    super(409, existing.archived ? 'suppliers:errors.duplicateArchived' : 'suppliers:errors.duplicate', { name: existing.name }, { field });
    this.name = 'DuplicateSupplierError';
  }
}

/** Someone else saved the supplier after the revision this edit started from. */
export class SupplierConflictError extends HttpError {
  constructor(readonly current: SupplierDocument) {
    super(409, 'suppliers:errors.conflict', {}, { field: 'revision' });
    this.name = 'SupplierConflictError';
  }
}

export function parseSupplierFields(input: unknown): SupplierFields {
  const parsed = supplierInput.safeParse(input);
  if (!parsed.success) throw new SupplierValidationError(fieldProblems(parsed.error));
  return parsed.data;
}

function toObjectId(id: Id): mongoose.Types.ObjectId {
  return typeof id === 'string' ? new mongoose.Types.ObjectId(id) : id;
}

function isValidId(id: unknown): id is Id {
  return objectIdInput.safeParse(id).success;
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/** The register entry a new or changed supplier would collide with, if any. */
async function findDuplicate(
  conn: mongoose.Connection,
  organisationId: mongoose.Types.ObjectId,
  duplicateKey: string,
  exceptId?: mongoose.Types.ObjectId,
  session?: mongoose.ClientSession,
): Promise<DuplicateSupplierError | undefined> {
  const existing = await supplierModel(conn)
    .findOne({ organisationId, duplicateKey, ...(exceptId ? { _id: { $ne: exceptId } } : {}) }, { name: 1, archivedAt: 1 })
    .session(session ?? null)
    .lean();
  if (!existing) return undefined;
  return new DuplicateSupplierError(
    { id: existing._id.toHexString(), name: existing.name, archived: Boolean(existing.archivedAt) },
    duplicateKey.startsWith('name:') ? 'name' : 'organisationNumber',
  );
}

/**
 * The whole document a new supplier is stored as, defaults and sub-document ids included, so the import can insert
 * thousands through the driver (mongoose's insertMany casts each one again: six times slower here).
 */
export function newSupplierDocument(organisationId: mongoose.Types.ObjectId, fields: SupplierFields, now: Date): Record<string, unknown> {
  return {
    _id: new mongoose.Types.ObjectId(),
    organisationId,
    ...fields,
    contacts: fields.contacts.map((contact) => ({ _id: new mongoose.Types.ObjectId(), ...contact })),
    sites: fields.sites.map((site) => ({ _id: new mongoose.Types.ObjectId(), ...site })),
    ...derivedFields(fields),
    archivedAt: null,
    lastInvitedAt: null,
    lastResponseAt: null,
    revision: 1,
    createdAt: now,
    updatedAt: now,
    __v: 0,
  };
}

export function createdActivity(organisationId: mongoose.Types.ObjectId, supplier: { _id: unknown; name: string; organisationNumber: string }, actor: Actor, at: Date, details: Record<string, unknown> = {}) {
  const id = String(supplier._id);
  return { organisationId, actor, action: 'supplier.created', subject: ref('supplier', id), details: { name: supplier.name, organisationNumber: supplier.organisationNumber, ...details }, at };
}

export async function createSupplier(deps: SupplierDeps, input: SupplierInput & { organisationId: Id }, actor: Actor): Promise<SupplierDocument> {
  if (!isValidId(input.organisationId)) throw new HttpError(404, 'common:errors.notFound');
  const organisationId = toObjectId(input.organisationId);
  const fields = parseSupplierFields(input);
  const now = deps.clock.now();
  const doc = newSupplierDocument(organisationId, fields, now);
  const duplicate = await findDuplicate(deps.connection, organisationId, String(doc.duplicateKey));
  if (duplicate) throw duplicate;
  try {
    const supplier = await deps.connection.transaction(async (session) => {
      const [created] = await supplierModel(deps.connection).create([doc], { session, timestamps: false });
      if (!created) throw new Error('supplier not created');
      await recordActivity(deps.connection, createdActivity(organisationId, created, actor, now, { source: actor.kind === 'api' ? 'api' : 'form' }), { session });
      return created;
    });
    forgetFilterOptions(deps.connection, organisationId);
    return supplier;
  } catch (error) {
    // Two people creating the same supplier at once: the unique index let one through.
    if (isDuplicateKeyError(error)) throw (await findDuplicate(deps.connection, organisationId, String(doc.duplicateKey))) ?? error;
    throw error;
  }
}

/** One supplier, only if it belongs to the organisation; null for foreign and malformed ids. */
export async function getSupplier(conn: mongoose.Connection, organisationId: Id, supplierId: unknown): Promise<SupplierDocument | null> {
  if (!isValidId(organisationId) || !isValidId(supplierId)) return null;
  return supplierModel(conn).findOne({ _id: supplierId, organisationId, ...VISIBLE });
}

/** Like `getSupplier`, as the 404 pages and API routes answer with. */
export async function requireSupplier(conn: mongoose.Connection, organisationId: Id, supplierId: unknown): Promise<SupplierDocument> {
  const supplier = await getSupplier(conn, organisationId, supplierId);
  if (!supplier) throw new HttpError(404, 'common:errors.notFound');
  return supplier;
}

export async function findSuppliersByIds(conn: mongoose.Connection, organisationId: Id, ids: Id[]): Promise<SupplierDocument[]> {
  if (!isValidId(organisationId) || !ids.every(isValidId)) return [];
  return supplierModel(conn).find({ organisationId, _id: { $in: ids }, ...VISIBLE }).sort({ nameSortKey: 1 });
}

/** Every supplier of the organisation, archived ones included, in Swedish alphabetical order. */
export async function listSuppliers(conn: mongoose.Connection, organisationId: Id): Promise<SupplierDocument[]> {
  if (!isValidId(organisationId)) return [];
  return supplierModel(conn).find({ organisationId, ...VISIBLE }).sort({ nameSortKey: 1 });
}

/** The editable fields of a stored supplier, as the form and the API give them back. */
export function editableFields(supplier: Supplier): SupplierFields {
  return {
    name: supplier.name,
    country: supplier.country,
    organisationNumber: supplier.organisationNumber,
    identifierKind: supplier.identifierKind,
    sector: supplier.sector,
    contacts: supplier.contacts.map((contact) => ({ name: contact.name, email: contact.email, language: contact.language })),
    sites: supplier.sites.map((site) => ({ name: site.name, country: site.country, address: site.address, products: site.products })),
    tags: [...supplier.tags],
  };
}

type Change = { from: unknown; to: unknown };

/** What an edit changed, field by field (lists compared whole), for the activity log and "nothing changed". */
export function diffFields(before: SupplierFields, after: SupplierFields): Partial<Record<EditableField, Change>> {
  const changes: Partial<Record<EditableField, Change>> = {};
  for (const field of EDITABLE_FIELDS) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}

export const supplierChangesInput = z.object({
  /** The revision the edit started from; without it, the fields sent are applied to whatever is stored now. */
  revision: z.number().int().min(1).optional(),
});

export interface UpdateRequest {
  /** Fields to change; the others keep their stored values. */
  changes: Partial<SupplierInput>;
  /** The revision the person or integration saw; a newer stored one means someone else saved meanwhile. */
  revision?: number;
}

const UPDATE_ATTEMPTS = 3;

/**
 * Applies an edit. With `revision`, it applies only to that revision (else SupplierConflictError, nothing written);
 * without one, the given fields are merged into the latest stored state, retried if another edit lands in between.
 */
export async function updateSupplier(deps: SupplierDeps, organisationId: Id, supplierId: unknown, request: UpdateRequest, actor: Actor): Promise<SupplierDocument> {
  for (let attempt = 1; ; attempt += 1) {
    const current = await requireSupplier(deps.connection, organisationId, supplierId);
    if (request.revision !== undefined && request.revision !== current.revision) throw new SupplierConflictError(current);
    const before = editableFields(current);
    // A changed country or number re-derives the identifier's kind unless the edit names one.
    const kind = request.changes.identifierKind ?? (request.changes.country || request.changes.organisationNumber !== undefined ? undefined : before.identifierKind);
    const after = parseSupplierFields({ ...before, ...request.changes, identifierKind: kind });
    const changes = diffFields(before, after);
    if (Object.keys(changes).length === 0) return current;
    const derived = derivedFields(after);
    if (derived.duplicateKey !== current.duplicateKey) {
      const duplicate = await findDuplicate(deps.connection, current.organisationId, derived.duplicateKey, current._id);
      if (duplicate) throw duplicate;
    }
    const now = deps.clock.now();
    try {
      const updated = await deps.connection.transaction(async (session) => {
        const saved = await supplierModel(deps.connection).findOneAndUpdate(
          { _id: current._id, organisationId: current.organisationId, revision: current.revision },
          { $set: { ...after, ...derived, updatedAt: now }, $inc: { revision: 1 } },
          { returnDocument: 'after', session, timestamps: false, runValidators: true },
        );
        if (!saved) return null;
        await recordActivity(
          deps.connection,
          { organisationId: current.organisationId, actor, action: 'supplier.updated', subject: ref('supplier', current._id), details: { name: after.name, fields: Object.keys(changes), changes }, at: now },
          { session },
        );
        return saved;
      });
      if (updated) {
        forgetFilterOptions(deps.connection, current.organisationId);
        return updated;
      }
    } catch (error) {
      if (isDuplicateKeyError(error)) throw (await findDuplicate(deps.connection, current.organisationId, derived.duplicateKey, current._id)) ?? error;
      throw error;
    }
    // Another edit was saved between our read and our write.
    if (request.revision !== undefined || attempt >= UPDATE_ATTEMPTS) throw new SupplierConflictError(await requireSupplier(deps.connection, organisationId, supplierId));
  }
}

/** Archives (hides from the register and new campaigns) or brings back a supplier; no-op when already so. */
export async function setSupplierArchived(deps: SupplierDeps, organisationId: Id, supplierId: unknown, archived: boolean, actor: Actor): Promise<SupplierDocument> {
  const current = await requireSupplier(deps.connection, organisationId, supplierId);
  if (Boolean(current.archivedAt) === archived) return current;
  const now = deps.clock.now();
  const updated = await deps.connection.transaction(async (session) => {
    const saved = await supplierModel(deps.connection).findOneAndUpdate(
      { _id: current._id, organisationId: current.organisationId, archivedAt: archived ? null : { $ne: null } },
      { $set: { archivedAt: archived ? now : null, updatedAt: now }, $inc: { revision: 1 } },
      { returnDocument: 'after', session, timestamps: false },
    );
    if (!saved) return null;
    await recordActivity(
      deps.connection,
      { organisationId: current.organisationId, actor, action: archived ? 'supplier.archived' : 'supplier.unarchived', subject: ref('supplier', current._id), details: { name: current.name }, at: now },
      { session },
    );
    return saved;
  });
  // Someone else archived or unarchived it at the same moment: the state asked for holds either way.
  return updated ?? requireSupplier(deps.connection, organisationId, supplierId);
}
