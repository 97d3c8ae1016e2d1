/**
 * The one validation of a supplier's fields, shared by the form, the API and the import: zod schemas whose issues
 * carry i18n keys (`params.key`), so a page can list every problem in the user's language and the API can name the
 * field.
 */
import { z } from 'zod';
import { isCountryCode } from '../questionnaires';
import { duplicateKeyOf, foldForSearch, IDENTIFIER_KINDS, IdentifierError, normaliseIdentifier } from './identifiers';
import { SUPPLIER_LANGUAGES } from './model';

export const LIMITS = { contacts: 20, sites: 50, tags: 30 } as const;

const text = (max: number) => z.string().trim().max(max);
const requiredText = (max: number) => text(max).min(1);

export const countryCode = z
  .string()
  .trim()
  .transform((code) => code.toUpperCase())
  .refine(isCountryCode, { params: { key: 'suppliers:errors.country' }, message: 'must be an ISO 3166-1 alpha-2 country code' });

export const contactInput = z.object({
  name: requiredText(200),
  email: z
    .string()
    .trim()
    .max(320)
    .pipe(z.email())
    .transform((email) => email.toLowerCase()),
  language: z.enum(SUPPLIER_LANGUAGES).default('sv'),
});

export const siteInput = z.object({
  name: requiredText(200),
  country: countryCode,
  address: text(500).default(''),
  products: text(1000).default(''),
});

const tagList = z
  .array(requiredText(50))
  .max(LIMITS.tags)
  .default([])
  .transform((tags) => [...new Map(tags.map((tag) => [foldForSearch(tag), tag])).values()]);

const fields = {
  name: requiredText(200),
  country: countryCode,
  /** Organisationsnummer, VAT number or other id, as typed; normalised below. */
  organisationNumber: text(60).default(''),
  /** Left out: read from the country and the value (see `normaliseIdentifier`). */
  identifierKind: z.enum(IDENTIFIER_KINDS).optional(),
  sector: text(200).default(''),
  contacts: z
    .array(contactInput)
    .min(1)
    .max(LIMITS.contacts),
  sites: z
    .array(siteInput)
    .max(LIMITS.sites)
    .default([]),
  tags: tagList,
};

const supplierObject = z.object(fields);

/** A supplier's fields as a person or an integration gives them; the output is normalised and checked. */
export const supplierInput = supplierObject
  .superRefine((value, ctx) => {
    if (typeof value.country !== 'string' || !isCountryCode(value.country) || typeof value.organisationNumber !== 'string') return;
    try {
      normaliseIdentifier(value.country, value.organisationNumber, value.identifierKind);
    } catch (error) {
      if (!(error instanceof IdentifierError)) throw error;
      ctx.addIssue({
        code: 'custom',
        path: ['organisationNumber'],
        message: identifierMessages[error.problem],
        params: { key: `suppliers:identifier.${error.problem}`, ...error.params },
      });
    }
  })
  .transform((value) => {
    const identifier = normaliseIdentifier(value.country, value.organisationNumber, value.identifierKind);
    return { ...value, organisationNumber: identifier.value, identifierKind: identifier.kind };
  });
export type SupplierInput = z.input<typeof supplierInput>;
export type SupplierFields = z.output<typeof supplierInput>;

/** English messages for the API (pages use the i18n key in `params.key`). */
const identifierMessages: Record<IdentifierError['problem'], string> = {
  required: 'a Swedish supplier needs its organisationsnummer',
  seFormat: 'must be a Swedish organisationsnummer: NNNNNN-NNNN',
  seCheckDigit: 'the check digit (the last one) of this organisationsnummer is wrong',
  seDate: 'a personnummer-style number must start with a real date (YYMMDD)',
  seNotForForeign: 'an organisationsnummer is only for Swedish suppliers',
  vatFormat: 'is not a well-formed VAT number',
  vatCountry: "the VAT number's country prefix does not match the supplier's country",
  otherFormat: 'must be at most 50 characters, with letters or digits',
};

/** Fields stored beside what was entered: the duplicate key and the folded search and sort keys. */
export function derivedFields(fields: SupplierFields): { duplicateKey: string; searchText: string; nameSortKey: string } {
  const searchParts = [
    fields.name,
    fields.organisationNumber,
    fields.organisationNumber.replace(/[^A-Za-z0-9]/g, ''),
    ...fields.contacts.flatMap((contact) => [contact.name, contact.email]),
    ...fields.sites.flatMap((site) => [site.name, site.products]),
  ];
  return {
    duplicateKey: duplicateKeyOf(fields.country, { kind: fields.identifierKind, value: fields.organisationNumber }, fields.name),
    searchText: foldForSearch(searchParts.filter(Boolean).join(' | ')),
    nameSortKey: swedishSortKey(fields.name),
  };
}

/** Å, Ä, Ö (and Æ, Ø) sort after Z as in a Swedish register; other accents sort with their base letter. */
export function swedishSortKey(name: string): string {
  const swedish: Record<string, string> = { å: '{', ä: '|', æ: '|', ö: '}', ø: '}' };
  let key = '';
  for (const char of name.toLowerCase()) {
    const mapped = swedish[char] ?? (char === 'ü' ? 'y' : foldForSearch(char));
    key += mapped;
  }
  return key.replace(/\s+/g, ' ').trim();
}

export interface FieldProblem {
  /** Path inside the supplier (`contacts.0.email`). */
  path: string;
  key: string;
  params: Record<string, unknown>;
  /** English, for the API. */
  message: string;
}

/** The i18n key and its values for one zod issue (custom issues carry their own key in `params.key`). */
function describeIssue(issue: z.core.$ZodIssue): { key: string; params: Record<string, unknown> } {
  switch (issue.code) {
    case 'custom': {
      const { key, ...params } = (issue.params ?? {}) as Record<string, unknown>;
      return { key: typeof key === 'string' ? key : 'suppliers:errors.invalid', params };
    }
    case 'too_small':
      if (issue.origin === 'array') return { key: issue.path.at(-1) === 'contacts' ? 'suppliers:errors.contactRequired' : 'suppliers:errors.invalid', params: {} };
      return { key: 'suppliers:errors.required', params: {} };
    case 'too_big':
      return { key: issue.origin === 'array' ? 'suppliers:errors.tooMany' : 'suppliers:errors.tooLong', params: { max: Number(issue.maximum) } };
    case 'invalid_format':
      return { key: issue.format === 'email' ? 'suppliers:errors.email' : 'suppliers:errors.invalid', params: {} };
    case 'invalid_value':
      return { key: 'suppliers:errors.invalidChoice', params: {} };
    case 'invalid_type':
      return { key: issue.input === undefined ? 'suppliers:errors.required' : 'suppliers:errors.invalid', params: {} };
    default:
      return { key: 'suppliers:errors.invalid', params: {} };
  }
}

/** Every problem of a failed parse, each once per field. */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (seen.has(path)) continue;
    seen.add(path);
    problems.push({ path, ...describeIssue(issue), message: issue.message });
  }
  return problems;
}
