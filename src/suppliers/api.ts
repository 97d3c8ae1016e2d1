import express from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { ApiRegistry } from '../platform/api';
import { HttpError } from '../platform/errors';
import { objectIdInput } from '../platform/ids';
import { deleteSupplier, describeTimeline, supplierTimeline } from './history';
import { IMPORT_LIMITS } from './import/limits';
import { confirmImport, getImport, importRows, previewImport } from './import/service';
import { contactInput, siteInput, supplierInput } from './input';
import { IDENTIFIER_KINDS } from './identifiers';
import type { SupplierDocument } from './model';
import { NEVER_INVITED, searchSuppliers, supplierFilterInput, UnknownFilterError, type SupplierFilterExtension, type SupplierRow } from './search';
import { createSupplier, editableFields, requireSupplier, setSupplierArchived, SupplierValidationError, updateSupplier } from './service';

const idParams = z.object({ id: objectIdInput });

const supplierResponse = z.object({
  id: z.string(),
  name: z.string(),
  country: z.string(),
  organisationNumber: z.string(),
  identifierKind: z.enum(IDENTIFIER_KINDS),
  sector: z.string(),
  contacts: z.array(z.object({ name: z.string(), email: z.string(), language: z.string() })),
  sites: z.array(z.object({ name: z.string(), country: z.string(), address: z.string(), products: z.string() })),
  tags: z.array(z.string()),
  archived: z.boolean(),
  archivedAt: z.string().nullable(),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastInvitedAt: z.string().nullable(),
  lastResponseAt: z.string().nullable(),
});

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);

/** A register row (search results) or a whole supplier (one read or write), as the API answers. */
function supplierJson(supplier: SupplierRow | SupplierDocument): Record<string, unknown> {
  const common = {
    id: String(supplier._id),
    archived: Boolean(supplier.archivedAt),
    archivedAt: iso(supplier.archivedAt),
    createdAt: iso(supplier.createdAt),
    lastInvitedAt: iso(supplier.lastInvitedAt),
    lastResponseAt: iso(supplier.lastResponseAt),
  };
  if (!('revision' in supplier)) {
    const { name, country, organisationNumber, identifierKind, sector, tags } = supplier;
    return { ...common, name, country, organisationNumber, identifierKind, sector, tags, contacts: supplier.contacts.map(({ name: n, email, language }) => ({ name: n, email, language })) };
  }
  return { ...common, ...editableFields(supplier), revision: supplier.revision, updatedAt: iso(supplier.updatedAt) };
}

const patchBody = z
  .object({
    revision: z.number().int().min(1).optional(),
    archived: z.boolean().optional(),
    name: z.string().optional(),
    country: z.string().optional(),
    organisationNumber: z.string().optional(),
    identifierKind: z.enum(IDENTIFIER_KINDS).optional(),
    sector: z.string().optional(),
    contacts: z.array(contactInput).optional(),
    sites: z.array(siteInput).optional(),
    tags: z.array(z.string()).optional(),
  })
  .strict();

/** Service validation names the field inside the body; the API says `body.<field>`. */
async function inBody<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError && error.field && !error.field.startsWith('body.') && error.field !== 'file') {
      const field = `body.${error.field}`;
      const problem = error instanceof SupplierValidationError ? error.problems[0]?.message : undefined;
      throw new HttpError(error.status, error.status === 400 ? 'common:errors.invalidField' : error.messageKey, problem ? { field, problem } : { ...error.params, field }, { field });
    }
    throw error;
  }
}

const importResponse = z.object({
  id: z.string(),
  status: z.string(),
  expiresAt: z.string(),
  counts: z.object({ rows: z.number(), valid: z.number(), invalid: z.number(), duplicateInFile: z.number(), duplicateInRegister: z.number() }),
  created: z.number().nullable(),
  problems: z.array(z.object({ row: z.number(), column: z.string(), problem: z.string() })),
});

export function registerSuppliersApi(api: ApiRegistry, deps: Pick<AppDeps, 'connection' | 'clock' | 'i18n' | 'scheduler'>, options: { filters?: readonly SupplierFilterExtension[] } = {}): void {
  const filters = [NEVER_INVITED, ...(options.filters ?? [])];
  const english = deps.i18n.getFixedT('en');

  api.route(
    {
      method: 'get',
      path: '/suppliers',
      operationId: 'listSuppliers',
      summary: 'Search the supplier register',
      description: `Free text (q) over names, organisation numbers, contacts' emails and sites' products; filters; sort; pages. filter=${filters.map((f) => f.name).join('|')} may repeat.`,
      tag: 'Suppliers',
      query: supplierFilterInput,
      response: z.object({ suppliers: z.array(supplierResponse.partial()), total: z.number(), page: z.number(), pageSize: z.number(), pages: z.number() }),
    },
    async ({ query, principal }) => {
      try {
        const page = await searchSuppliers(deps.connection, principal.organisationId, query, filters);
        return { suppliers: page.rows.map((row) => supplierJson(row)), total: page.total, page: page.page, pageSize: page.pageSize, pages: page.pages };
      } catch (error) {
        if (error instanceof UnknownFilterError) throw new HttpError(400, 'common:errors.invalidField', { field: 'query.filter', problem: `unknown filter ${error.filterName}` }, { field: 'query.filter' });
        throw error;
      }
    },
  );

  api.route(
    { method: 'post', path: '/suppliers', operationId: 'createSupplier', summary: 'Add a supplier', tag: 'Suppliers', body: supplierInput, response: supplierResponse, status: 201 },
    async ({ body, principal, actor }) => supplierJson(await inBody(() => createSupplier(deps, { ...body, organisationId: principal.organisationId }, actor))),
  );

  api.route(
    { method: 'get', path: '/suppliers/{id}', operationId: 'getSupplier', summary: 'One supplier', tag: 'Suppliers', params: idParams, response: supplierResponse },
    async ({ params, principal }) => supplierJson(await requireSupplier(deps.connection, principal.organisationId, params.id)),
  );

  api.route(
    {
      method: 'patch',
      path: '/suppliers/{id}',
      operationId: 'updateSupplier',
      summary: 'Change, archive or unarchive a supplier',
      description:
        'Fields left out keep their values. With `revision` (from a GET) the change applies only if nobody saved the supplier since (409 otherwise); `archived` archives or brings back.',
      tag: 'Suppliers',
      params: idParams,
      body: patchBody,
      response: supplierResponse,
    },
    async ({ params, body, principal, actor }) => {
      const { revision, archived, ...changes } = body;
      let supplier = await requireSupplier(deps.connection, principal.organisationId, params.id);
      if (Object.keys(changes).length > 0 || revision !== undefined) {
        supplier = await inBody(() => updateSupplier(deps, principal.organisationId, params.id, { changes, revision }, actor));
      }
      if (archived !== undefined) supplier = await setSupplierArchived(deps, principal.organisationId, params.id, archived, actor);
      return supplierJson(supplier);
    },
  );

  api.route(
    { method: 'delete', path: '/suppliers/{id}', operationId: 'deleteSupplier', summary: 'Delete a supplier that has no history (else 409: archive it)', tag: 'Suppliers', params: idParams, status: 204 },
    async ({ params, principal, actor }) => {
      await deleteSupplier(deps, principal.organisationId, params.id, actor);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/suppliers/{id}/history',
      operationId: 'getSupplierHistory',
      summary: "The supplier's history (invitations, responses, flags, follow-ups, edits), oldest first",
      tag: 'Suppliers',
      params: idParams,
      response: z.object({ entries: z.array(z.object({ at: z.string(), action: z.string(), actor: z.object({ kind: z.string(), name: z.string() }), text: z.string() })) }),
    },
    async ({ params, principal, req }) => {
      const supplier = await requireSupplier(deps.connection, principal.organisationId, params.id);
      const lang = req.acceptsLanguages('en', 'sv') === 'sv' ? 'sv' : 'en';
      const items = describeTimeline(deps.i18n, lang, await supplierTimeline(deps.connection, supplier));
      return { entries: items.map((item) => ({ at: item.at.toISOString(), action: item.action, actor: { kind: item.actorKind, name: item.actorName }, text: item.sentence })) };
    },
  );

  const importJson = async (record: Awaited<ReturnType<typeof getImport>>) => {
    const { rows } = await importRows(deps, record, 'problems', 1, 1000);
    const problems = rows.flatMap((row) => [
      ...row.problems.map((problem) => ({ row: row.rowNumber, column: problem.column, problem: english(problem.key, problem.params) })),
      ...(row.duplicateOf
        ? [{ row: row.rowNumber, column: '', problem: row.duplicateOf.kind === 'file' ? english('suppliers:import.duplicateInFile', { row: row.duplicateOf.rowNumber }) : english('suppliers:import.duplicateInRegister', { name: row.duplicateOf.name }) }]
        : []),
    ]);
    return { id: record._id.toHexString(), status: record.status, expiresAt: record.expiresAt.toISOString(), counts: record.counts, created: record.created, problems };
  };

  // The file is the request body itself (CSV or XLSX), read here before the route's handler.
  api.router.post('/suppliers/imports', express.raw({ type: () => true, limit: IMPORT_LIMITS.fileBytes }));
  api.route(
    {
      method: 'post',
      path: '/suppliers/imports',
      operationId: 'previewSupplierImport',
      summary: 'Upload a CSV or XLSX file (the request body) for an import preview; nothing is imported until confirmed',
      description: 'Send the file as the body (Content-Type text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet). The answer lists every row problem (the first 1,000).',
      tag: 'Suppliers',
      response: importResponse,
      status: 201,
    },
    async ({ req, principal, actor }) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new HttpError(400, 'suppliers:import.noFile', {}, { field: 'body' });
      const record = await previewImport(deps, { organisationId: principal.organisationId, actor, fileName: 'api-upload', buffer: req.body, lang: 'en' });
      return importJson(record);
    },
  );

  api.route(
    { method: 'get', path: '/suppliers/imports/{id}', operationId: 'getSupplierImport', summary: 'An import preview and its problems', tag: 'Suppliers', params: idParams, response: importResponse },
    async ({ params, principal }) => importJson(await getImport(deps, principal.organisationId, params.id)),
  );

  api.route(
    { method: 'post', path: '/suppliers/imports/{id}/confirm', operationId: 'confirmSupplierImport', summary: 'Import every valid new row of a preview, all at once', tag: 'Suppliers', params: idParams, response: importResponse },
    async ({ params, principal, actor }) => {
      const outcome = await confirmImport(deps, principal.organisationId, params.id, actor);
      return importJson(outcome.record);
    },
  );
}
