/**
 * MongoDB collations on top of ICU through `Intl.Collator`.
 *
 * strength 1 compares base letters only, 2 adds accents, 3 (the default) adds case; 4 and 5 have no Intl
 * equivalent and behave like 3. `caseLevel` with strength 1 or 2 makes case significant again.
 * `alternate: 'shifted'` ignores punctuation and spaces. `locale: 'simple'` is the binary comparison: no collator.
 */
import { numberOf } from '../bson/double';
import type { CollationSpec, Collator } from '../types';
import { mongoError } from '../errors';

const KNOWN_FIELDS = new Set([
  'locale',
  'strength',
  'caseLevel',
  'caseFirst',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'backwards',
  'normalization',
  'version',
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string): never {
  throw mongoError('BadValue', message);
}

/** MongoDB/ICU locale ids ("en_US", "de@collation=phonebook") as BCP 47 tags ("en-US", "de-u-co-phonebk"). */
export function toBcp47(locale: string): string {
  const [base, keywords] = locale.split('@', 2);
  let tag = base.replace(/_/g, '-');
  if (keywords) {
    const match = /collation=([a-z]+)/i.exec(keywords);
    if (match) {
      const type = match[1].toLowerCase() === 'phonebook' ? 'phonebk' : match[1].toLowerCase().slice(0, 8);
      tag += `-u-co-${type}`;
    }
  }
  return tag;
}

function readBoolean(spec: Record<string, unknown>, field: string): boolean | undefined {
  const v = spec[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') invalid(`Field '${field}' must be of type bool`);
  return v;
}

function readStrength(spec: Record<string, unknown>): number {
  const v = spec.strength;
  if (v === undefined) return 3;
  const n = numberOf(v);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 5) {
    invalid(`Field 'strength' must be an integer 1 through 5. Got: ${String(v)}`);
  }
  return n;
}

function readEnum<T extends string>(spec: Record<string, unknown>, field: string, allowed: readonly T[], fallback: T): T {
  const v = spec[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    invalid(`Field '${field}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, found ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Validates a collation document and fills in MongoDB's defaults; `undefined` for the simple collation. */
export function normalizeCollation(spec: unknown): CollationSpec | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isRecord(spec)) invalid('collation must be an object');
  for (const field of Object.keys(spec)) {
    if (!KNOWN_FIELDS.has(field)) invalid(`unknown collation field: ${field}`);
  }
  if (spec.locale === undefined) invalid("Missing expected field \"locale\"");
  if (typeof spec.locale !== 'string') invalid("Field 'locale' must be a string");
  const locale = spec.locale;
  if (locale === 'simple') {
    if (Object.keys(spec).length > 1 && Object.keys(spec).some((k) => k !== 'locale' && k !== 'version')) {
      invalid('collation with locale "simple" takes no other options');
    }
    return undefined;
  }
  if (!isSupportedLocale(locale)) invalid(`Field 'locale' is invalid in: { locale: "${locale}" }`);
  return {
    locale,
    caseLevel: readBoolean(spec, 'caseLevel') ?? false,
    caseFirst: readEnum(spec, 'caseFirst', ['upper', 'lower', 'off'] as const, 'off'),
    strength: readStrength(spec),
    numericOrdering: readBoolean(spec, 'numericOrdering') ?? false,
    alternate: readEnum(spec, 'alternate', ['non-ignorable', 'shifted'] as const, 'non-ignorable'),
    maxVariable: readEnum(spec, 'maxVariable', ['punct', 'space'] as const, 'punct'),
    normalization: readBoolean(spec, 'normalization') ?? false,
    backwards: readBoolean(spec, 'backwards') ?? false,
  };
}

function isSupportedLocale(locale: string): boolean {
  if (!/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*(@[A-Za-z]+=[A-Za-z]+(;[A-Za-z]+=[A-Za-z]+)*)?$/.test(locale)) {
    return false;
  }
  try {
    const tag = toBcp47(locale);
    const base = tag.split('-u-')[0];
    const supported = Intl.Collator.supportedLocalesOf([tag]);
    // supportedLocalesOf falls back silently ("xx-YY" → nothing; "en-ZZ" → "en-ZZ"); require the language to exist.
    return supported.length > 0 && supported[0].split('-')[0].toLowerCase() === base.split('-')[0].toLowerCase();
  } catch {
    return false;
  }
}

function sensitivityFor(spec: CollationSpec): Intl.CollatorOptions['sensitivity'] {
  const strength = spec.strength ?? 3;
  if (strength === 1) return spec.caseLevel ? 'case' : 'base';
  if (strength === 2) return spec.caseLevel ? 'variant' : 'accent';
  return 'variant';
}

/** A collator for the spec; undefined for no collation or the simple one. Throws BadValue on an invalid spec. */
export function createCollator(spec?: unknown): Collator | undefined {
  const normalized = normalizeCollation(spec);
  if (!normalized) return undefined;
  const intl = new Intl.Collator(toBcp47(normalized.locale), {
    usage: 'sort',
    sensitivity: sensitivityFor(normalized),
    caseFirst: normalized.caseFirst === 'off' ? 'false' : normalized.caseFirst,
    numeric: normalized.numericOrdering,
    ignorePunctuation: normalized.alternate === 'shifted',
  });
  return {
    spec: normalized,
    compare: (a: string, b: string) => {
      if (a === b) return 0;
      const c = intl.compare(a, b);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    },
  };
}

/** True when two specs denote the same collation (both simple counts as equal). */
export function sameCollation(a: unknown, b: unknown): boolean {
  const x = normalizeCollation(a);
  const y = normalizeCollation(b);
  if (!x || !y) return x === y;
  return (Object.keys(x) as (keyof CollationSpec)[]).every((k) => x[k] === y[k]);
}
