/**
 * The supplier form as posted (urlencoded, `contacts[0][email]`…) turned into supplier input, and the view model the
 * form template renders: the values, every problem by field id, and rows added or removed without JavaScript.
 */
import type { Translate } from '../platform/i18n';
import type { FieldProblem, SupplierInput } from './input';

type Row = Record<string, string>;

/** qs gives arrays up to 20 items and objects keyed by index beyond; both become arrays in index order. */
function rowsOf(value: unknown): Row[] {
  if (value === undefined || value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  return entries
    .filter(([key]) => /^\d{1,3}$/.test(key))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, item]) => {
      const row: Row = {};
      if (item && typeof item === 'object') for (const [key, cell] of Object.entries(item)) if (typeof cell === 'string') row[key] = cell;
      return row;
    });
}

const isBlank = (row: Row, keys: string[]) => keys.every((key) => (row[key] ?? '').trim() === '');
const string = (value: unknown) => (typeof value === 'string' ? value : '');

export interface SupplierFormValues {
  name: string;
  country: string;
  organisationNumber: string;
  identifierKind: string;
  sector: string;
  tags: string;
  contacts: Array<{ name: string; email: string; language: string }>;
  sites: Array<{ name: string; country: string; address: string; products: string }>;
}

/** What the form posted, as the form shows it again (kept as typed). */
export function formValues(body: unknown): SupplierFormValues {
  const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return {
    name: string(form.name),
    country: string(form.country),
    organisationNumber: string(form.organisationNumber),
    identifierKind: string(form.identifierKind),
    sector: string(form.sector),
    tags: string(form.tags),
    contacts: rowsOf(form.contacts).map((row) => ({ name: row.name ?? '', email: row.email ?? '', language: row.language ?? 'sv' })),
    sites: rowsOf(form.sites).map((row) => ({ name: row.name ?? '', country: row.country ?? '', address: row.address ?? '', products: row.products ?? '' })),
  };
}

/** The values as supplier input: empty contact and site rows are left out, tags split on commas. */
export function inputFromValues(values: SupplierFormValues): SupplierInput {
  return {
    name: values.name,
    country: values.country,
    organisationNumber: values.organisationNumber,
    identifierKind: values.identifierKind === '' ? undefined : (values.identifierKind as SupplierInput['identifierKind']),
    sector: values.sector,
    tags: values.tags
      .split(/[,;]/)
      .map((tag) => tag.trim())
      .filter(Boolean),
    contacts: values.contacts.filter((row) => !isBlank(row, ['name', 'email'])) as SupplierInput['contacts'],
    sites: values.sites.filter((row) => !isBlank(row, ['name', 'address', 'products'])),
  };
}

/** Which button was pressed: save, or add / remove a contact or site row (the form is shown again). */
export function formAction(body: unknown): { kind: 'save' } | { kind: 'add'; list: 'contacts' | 'sites' } | { kind: 'remove'; list: 'contacts' | 'sites'; index: number } {
  const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (form.add === 'contact') return { kind: 'add', list: 'contacts' };
  if (form.add === 'site') return { kind: 'add', list: 'sites' };
  const remove = /^(contacts|sites):(\d{1,3})$/.exec(string(form.remove));
  if (remove?.[1] && remove[2]) return { kind: 'remove', list: remove[1] as 'contacts' | 'sites', index: Number(remove[2]) };
  return { kind: 'save' };
}

export function applyRowAction(values: SupplierFormValues, action: ReturnType<typeof formAction>): SupplierFormValues {
  if (action.kind === 'add' && action.list === 'contacts') return { ...values, contacts: [...values.contacts, { name: '', email: '', language: 'sv' }] };
  if (action.kind === 'add' && action.list === 'sites') return { ...values, sites: [...values.sites, { name: '', country: values.country, address: '', products: '' }] };
  if (action.kind === 'remove') return { ...values, [action.list]: values[action.list].filter((_, index) => index !== action.index) };
  return values;
}

/**
 * Problem paths point into the input, where blank rows were left out; map them back to the rows the form shows.
 * `contacts.1.email` → the id of the second non-blank contact row's email input.
 */
export function fieldIdOf(path: string, values: SupplierFormValues): string {
  const [list, index, leaf] = path.split('.');
  if ((list === 'contacts' || list === 'sites') && index !== undefined) {
    const keys = list === 'contacts' ? ['name', 'email'] : ['name', 'address', 'products'];
    const shown = (values[list] as Row[]).map((row, i) => ({ row, i })).filter(({ row }) => !isBlank(row, keys));
    const position = shown[Number(index)]?.i ?? 0;
    return `${list}-${position}-${leaf ?? 'name'}`;
  }
  if (list === 'contacts') return 'contacts-0-email';
  return list ?? 'name';
}

export interface FormError {
  field: string;
  message: string;
}

/** Problems as the error summary and the fields show them: "Contact 2, email: Enter a valid email address". */
export function formErrors(problems: readonly FieldProblem[], values: SupplierFormValues, t: Translate): FormError[] {
  return problems.map((problem) => {
    const field = fieldIdOf(problem.path, values);
    const [list, index, leaf] = field.split('-');
    const label =
      list === 'contacts' || list === 'sites'
        ? t(`suppliers:form.${list === 'contacts' ? 'contactN' : 'siteN'}`, { n: Number(index) + 1, field: t(`suppliers:form.${list === 'contacts' ? 'contact' : 'site'}.${leaf}`) })
        : t(`suppliers:form.${list}`);
    return { field, message: `${label}: ${t(problem.key, problem.params)}` };
  });
}
