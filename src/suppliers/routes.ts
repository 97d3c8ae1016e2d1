import { Router, type Request, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import multer from 'multer';
import { z } from 'zod';
import { requireRole } from '../accounts';
import type { AppDeps } from '../deps';
import type { Actor } from '../platform/activity';
import { HttpError } from '../platform/errors';
import { rateLimit } from '../platform/security';
import { countryName, countryOptions } from '../questionnaires';
import { applyRowAction, formAction, formErrors, formValues, inputFromValues, type FormError, type SupplierFormValues } from './form';
import { deleteSupplier, describeTimeline, hasHistory, supplierTimeline } from './history';
import { IDENTIFIER_KINDS } from './identifiers';
import { IMPORT_LIMITS } from './import/limits';
import { cancelImport, confirmImport, getImport, importRows, previewImport, ROW_VIEWS } from './import/service';
import { writeTemplate } from './import/template';
import { SUPPLIER_LANGUAGES, type SupplierDocument } from './model';
import { filterOptions, NEVER_INVITED, searchSuppliers, SUPPLIER_SORTS, supplierFilterInput, UnknownFilterError, type SupplierFilterExtension } from './search';
import {
  createSupplier,
  DuplicateSupplierError,
  editableFields,
  requireSupplier,
  setSupplierArchived,
  SupplierConflictError,
  SupplierValidationError,
  updateSupplier,
} from './service';

type SupplierRouteDeps = Pick<AppDeps, 'connection' | 'clock' | 'i18n' | 'scheduler'>;

export interface SuppliersRouterOptions {
  /** Filters other domains add to the register ("has an open follow-up"). */
  filters?: readonly SupplierFilterExtension[];
}

const NOTICES = ['created', 'saved', 'archived', 'unarchived', 'deleted', 'imported', 'unchanged'] as const;

const readers = requireRole('buyer', 'auditor', 'admin');
const editors = requireRole('buyer', 'admin');
const admins = requireRole('admin');

function sessionUser(req: Request): Express.User {
  if (!req.user) throw new HttpError(401, 'common:errors.unauthenticated');
  return req.user;
}

function userActor(req: Request): Actor {
  const user = sessionUser(req);
  return { kind: 'user', id: user.id, name: user.name };
}

function canEdit(req: Request): boolean {
  return Boolean(req.user?.roles.some((role) => role === 'buyer' || role === 'admin'));
}

function noticeOf(req: Request): string | undefined {
  const notice = req.query.notice;
  return typeof notice === 'string' && (NOTICES as readonly string[]).includes(notice) ? notice : undefined;
}

function formLocals(req: Request, res: Response) {
  return {
    countries: countryOptions(req.lang),
    languages: SUPPLIER_LANGUAGES,
    identifierKinds: IDENTIFIER_KINDS,
    countryName: (code: string) => countryName(code, req.lang),
    t: res.locals.t,
  };
}

interface FormPage {
  mode: 'new' | 'edit';
  values: SupplierFormValues;
  errors?: FormError[];
  supplier?: SupplierDocument;
  revision?: number;
  /** Set when someone else saved the supplier meanwhile: what is stored now. */
  conflict?: SupplierFormValues;
  duplicate?: DuplicateSupplierError['existing'];
}

function renderForm(req: Request, res: Response, status: number, page: FormPage): void {
  const title = page.mode === 'new' ? res.locals.t('suppliers:form.newTitle') : res.locals.t('suppliers:form.editTitle', { name: page.supplier?.name ?? '' });
  res.status(status).render('suppliers/form', { ...formLocals(req, res), title, errors: [], ...page });
}

function valuesOf(supplier: SupplierDocument): SupplierFormValues {
  const fields = editableFields(supplier);
  return {
    ...fields,
    identifierKind: fields.identifierKind,
    tags: fields.tags.join(', '),
    contacts: fields.contacts.map((contact) => ({ ...contact, language: contact.language ?? 'sv' })),
    sites: fields.sites.map((site) => ({ name: site.name, country: site.country, address: site.address ?? '', products: site.products ?? '' })),
  };
}

/** Shows the form again for "add a row" / "remove a row", or returns the values to save. */
function valuesToSave(req: Request, res: Response, page: Omit<FormPage, 'values'>): SupplierFormValues | undefined {
  const values = formValues(req.body);
  const action = formAction(req.body);
  if (action.kind !== 'save') {
    renderForm(req, res, 200, { ...page, values: applyRowAction(values, action) });
    return undefined;
  }
  return values;
}

function handleSaveError(req: Request, res: Response, error: unknown, page: FormPage): void {
  if (error instanceof SupplierValidationError) {
    renderForm(req, res, 400, { ...page, errors: formErrors(error.problems, page.values, res.locals.t) });
    return;
  }
  if (error instanceof DuplicateSupplierError) {
    const field = error.field === 'name' ? 'name' : 'organisationNumber';
    renderForm(req, res, 409, { ...page, duplicate: error.existing, errors: [{ field, message: res.locals.t(error.messageKey, error.params) }] });
    return;
  }
  if (error instanceof SupplierConflictError) {
    renderForm(req, res, 409, { ...page, supplier: error.current, revision: error.current.revision, conflict: valuesOf(error.current), errors: [{ field: 'name', message: res.locals.t('suppliers:errors.conflict') }] });
    return;
  }
  throw error;
}

/** Numbers in a message as the page's language writes them (10 000 in Swedish, 10,000 in English). */
function formattedNumbers(res: Response, params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, typeof value === 'number' ? res.locals.formatNumber(value) : value]));
}

const revisionField = z.coerce.number().int().min(1);
const rowsQuery = z.object({ show: z.enum(ROW_VIEWS).catch('problems'), page: z.coerce.number().int().min(1).max(10_000).catch(1) });
const templateParams = z.object({ format: z.enum(['csv', 'xlsx']) });
const templateQuery = z.object({ headers: z.enum(['sv', 'en']).optional() });

export function suppliersRouter(deps: SupplierRouteDeps, options: SuppliersRouterOptions = {}): Router {
  const router = Router();
  const filters = [NEVER_INVITED, ...(options.filters ?? [])];
  // Browsers send file names in UTF-8 without saying so ("leverantörer.csv").
  const upload = multer({ storage: multer.memoryStorage(), defParamCharset: 'utf8', limits: { fileSize: IMPORT_LIMITS.fileBytes, files: 1, fields: 5, parts: 6 } }).single('file');
  const uploadLimiter = rateLimit({ windowMs: 15 * 60 * 1000, limit: 30, key: (req) => `supplier-import:${req.user?.id ?? ipKeyGenerator(req.ip ?? '')}`, messageKey: 'suppliers:import.tooManyUploads' });

  router.get('/suppliers', readers, async (req, res) => {
    const user = sessionUser(req);
    const parsed = supplierFilterInput.safeParse(req.query);
    if (!parsed.success) throw new HttpError(400, 'common:errors.badRequest');
    let result;
    try {
      result = await searchSuppliers(deps.connection, user.organisationId, parsed.data, filters);
    } catch (error) {
      if (error instanceof UnknownFilterError) throw new HttpError(400, 'common:errors.badRequest');
      throw error;
    }
    const options = await filterOptions(deps.connection, user.organisationId);
    const { page: _page, pageSize: _size, ...kept } = parsed.data;
    res.render('suppliers/index', {
      title: res.locals.t('suppliers:register.title'),
      result,
      query: parsed.data,
      baseQuery: kept,
      options,
      filters,
      sorts: SUPPLIER_SORTS,
      canEdit: canEdit(req),
      notice: noticeOf(req),
      countryName: (code: string) => countryName(code, req.lang),
    });
  });

  router.get('/suppliers/new', editors, (req, res) => {
    renderForm(req, res, 200, { mode: 'new', values: { ...formValues({}), country: 'SE', contacts: [{ name: '', email: '', language: 'sv' }], sites: [] } });
  });

  router.post('/suppliers', editors, async (req, res) => {
    const values = valuesToSave(req, res, { mode: 'new' });
    if (!values) return;
    try {
      const supplier = await createSupplier(deps, { ...inputFromValues(values), organisationId: sessionUser(req).organisationId }, userActor(req));
      res.redirect(303, `/suppliers/${supplier.id}?notice=created`);
    } catch (error) {
      handleSaveError(req, res, error, { mode: 'new', values });
    }
  });

  // Import routes come before /suppliers/:id so their paths are not read as ids.
  router.get('/suppliers/import', editors, (_req, res) => {
    res.render('suppliers/import', { title: res.locals.t('suppliers:import.title'), limits: IMPORT_LIMITS });
  });

  router.get('/suppliers/import/template.:format', editors, async (req, res) => {
    const params = templateParams.safeParse(req.params);
    if (!params.success) throw new HttpError(404, 'common:errors.notFound');
    const headers = templateQuery.safeParse(req.query).data?.headers ?? req.lang;
    await writeTemplate(res, params.data.format, headers);
  });

  router.post('/suppliers/import', editors, uploadLimiter, async (req, res) => {
    await new Promise<void>((resolve, reject) => upload(req, res, (error: unknown) => (error ? reject(error) : resolve())));
    if (!req.file) throw new HttpError(400, 'suppliers:import.noFile', {}, { field: 'file' });
    const user = sessionUser(req);
    try {
      const record = await previewImport(deps, { organisationId: user.organisationId, actor: userActor(req), fileName: req.file.originalname, buffer: req.file.buffer, lang: req.lang });
      res.redirect(303, `/suppliers/import/${record._id.toHexString()}`);
    } catch (error) {
      if (!(error instanceof HttpError) || error.field !== 'file') throw error;
      res.status(error.status).render('suppliers/import', {
        title: res.locals.t('suppliers:import.title'),
        limits: IMPORT_LIMITS,
        errors: [{ field: 'file', message: res.locals.t(error.messageKey, formattedNumbers(res, error.params)) }],
      });
    }
  });

  router.get('/suppliers/import/:importId', editors, async (req, res) => {
    const user = sessionUser(req);
    const record = await getImport(deps, user.organisationId, req.params.importId);
    const query = rowsQuery.parse(req.query);
    const rows = await importRows(deps, record, record.status === 'preview' ? query.show : 'all', query.page);
    res.render('suppliers/import-preview', { title: res.locals.t('suppliers:import.previewTitle'), record, rows, show: query.show, views: ROW_VIEWS, notice: noticeOf(req), countryName: (code: string) => countryName(code, req.lang) });
  });

  router.post('/suppliers/import/:importId/confirm', editors, async (req, res) => {
    const outcome = await confirmImport(deps, sessionUser(req).organisationId, req.params.importId, userActor(req));
    res.redirect(303, `/suppliers/import/${outcome.record._id.toHexString()}?notice=imported`);
  });

  router.post('/suppliers/import/:importId/cancel', editors, async (req, res) => {
    await cancelImport(deps, sessionUser(req).organisationId, req.params.importId);
    res.redirect(303, '/suppliers/import');
  });

  router.get('/suppliers/:id', readers, async (req, res) => {
    const user = sessionUser(req);
    const supplier = await requireSupplier(deps.connection, user.organisationId, req.params.id);
    const timeline = describeTimeline(deps.i18n, req.lang, await supplierTimeline(deps.connection, supplier));
    const deletable = user.roles.includes('admin') && !(await hasHistory(deps.connection, supplier));
    res.render('suppliers/show', {
      title: supplier.name,
      supplier,
      timeline,
      canEdit: canEdit(req),
      deletable,
      notice: noticeOf(req),
      countryName: (code: string) => countryName(code, req.lang),
    });
  });

  router.get('/suppliers/:id/edit', editors, async (req, res) => {
    const supplier = await requireSupplier(deps.connection, sessionUser(req).organisationId, req.params.id);
    renderForm(req, res, 200, { mode: 'edit', supplier, revision: supplier.revision, values: valuesOf(supplier) });
  });

  router.post('/suppliers/:id', editors, async (req, res) => {
    const user = sessionUser(req);
    const supplier = await requireSupplier(deps.connection, user.organisationId, req.params.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const revision = revisionField.safeParse(body.revision);
    if (!revision.success) throw new HttpError(400, 'common:errors.badRequest');
    const page = { mode: 'edit' as const, supplier, revision: revision.data };
    const values = valuesToSave(req, res, page);
    if (!values) return;
    try {
      const saved = await updateSupplier(deps, user.organisationId, supplier._id, { changes: inputFromValues(values), revision: revision.data }, userActor(req));
      res.redirect(303, `/suppliers/${saved.id}?notice=${saved.revision === supplier.revision ? 'unchanged' : 'saved'}`);
    } catch (error) {
      handleSaveError(req, res, error, { ...page, values });
    }
  });

  for (const [action, archived] of [['archive', true], ['unarchive', false]] as const) {
    router.post(`/suppliers/:id/${action}`, editors, async (req, res) => {
      const supplier = await setSupplierArchived(deps, sessionUser(req).organisationId, req.params.id, archived, userActor(req));
      res.redirect(303, `/suppliers/${supplier.id}?notice=${archived ? 'archived' : 'unarchived'}`);
    });
  }

  router.post('/suppliers/:id/delete', admins, async (req, res) => {
    await deleteSupplier(deps, sessionUser(req).organisationId, req.params.id, userActor(req));
    res.redirect(303, '/suppliers?notice=deleted');
  });

  return router;
}
