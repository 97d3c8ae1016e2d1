/**
 * A supplier's company identifier: a Swedish organisationsnummer (sole traders use their personnummer), an EU VAT
 * number (or the Norwegian, Swiss and British ones Swedish buyers meet most), or another id such as a national
 * company-register number. Each is normalised to one spelling, so duplicates are found however it was typed.
 */

export const IDENTIFIER_KINDS = ['se', 'vat', 'other', 'none'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface SupplierIdentifier {
  kind: IdentifierKind;
  /** As shown: `NNNNNN-NNNN` for Swedish numbers, `DE123456789` for VAT numbers, trimmed text for other ids. */
  value: string;
}

/** Why an identifier was refused; the i18n key is `suppliers:identifier.<problem>`. */
export type IdentifierProblem =
  | 'required'
  | 'seFormat'
  | 'seCheckDigit'
  | 'seDate'
  | 'seNotForForeign'
  | 'vatFormat'
  | 'vatCountry'
  | 'otherFormat';

export class IdentifierError extends Error {
  override name = 'IdentifierError';
  constructor(
    readonly problem: IdentifierProblem,
    readonly params: Record<string, string> = {},
  ) {
    super(`identifier ${problem}`);
  }
}

/** Luhn check digit of the first nine digits (the Swedish Tax Agency's rule for organisations- and personnummer). */
export function luhnCheckDigit(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    let product = Number(nineDigits[i]) * (i % 2 === 0 ? 2 : 1);
    if (product > 9) product -= 9;
    sum += product;
  }
  return (10 - (sum % 10)) % 10;
}

function isPersonnummerDate(ten: string): boolean {
  const month = Number(ten.slice(2, 4));
  const day = Number(ten.slice(4, 6));
  // Samordningsnummer add 60 to the day.
  const dayOfMonth = day > 60 ? day - 60 : day;
  return month >= 1 && month <= 12 && dayOfMonth >= 1 && dayOfMonth <= 31;
}

/**
 * A Swedish organisationsnummer as `NNNNNN-NNNN`. Accepts `NNNNNN-NNNN`, ten digits, the twelve-digit forms
 * (`16NNNNNNNNNN` for legal entities, `YYYYMMDDNNNN` for sole traders), the `+` written for people over 100 and the
 * Swedish VAT number `SE NNNNNNNNNN 01`, with or without spaces.
 */
export function normaliseSwedishOrganisationNumber(raw: string): string {
  let compact = raw.replace(/[\s.]/g, '').toUpperCase();
  const vat = /^SE(\d{10})01$/.exec(compact);
  if (vat?.[1]) compact = vat[1];
  const match = /^(\d{2})?(\d{6})[-+]?(\d{4})$/.exec(compact);
  if (!match?.[2] || !match[3]) throw new IdentifierError('seFormat');
  const century = match[1];
  const ten = match[2] + match[3];
  if (century !== undefined && century !== '16' && century !== '18' && century !== '19' && century !== '20') throw new IdentifierError('seFormat');
  // Legal entities have a "month" of 20 or more; anything below is a personnummer, whose date must exist.
  const isLegalEntity = Number(ten.slice(2, 4)) >= 20;
  if (century === '16' && !isLegalEntity) throw new IdentifierError('seFormat');
  if (!isLegalEntity && !isPersonnummerDate(ten)) throw new IdentifierError('seDate');
  if (luhnCheckDigit(ten) !== Number(ten[9])) throw new IdentifierError('seCheckDigit');
  return `${ten.slice(0, 6)}-${ten.slice(6)}`;
}

/**
 * Structure of each VAT number by prefix (what VIES documents); check digits are not verified. EL is Greece, XI
 * Northern Ireland; CHE, NO and GB are outside the EU but common on Swedish buyers' supplier lists.
 */
const VAT_PATTERNS: Record<string, { pattern: RegExp; countries: readonly string[]; example: string }> = {
  AT: { pattern: /^ATU\d{8}$/, countries: ['AT'], example: 'ATU12345678' },
  BE: { pattern: /^BE[01]\d{9}$/, countries: ['BE'], example: 'BE0123456789' },
  BG: { pattern: /^BG\d{9,10}$/, countries: ['BG'], example: 'BG123456789' },
  CY: { pattern: /^CY\d{8}[A-Z]$/, countries: ['CY'], example: 'CY12345678X' },
  CZ: { pattern: /^CZ\d{8,10}$/, countries: ['CZ'], example: 'CZ12345678' },
  DE: { pattern: /^DE\d{9}$/, countries: ['DE'], example: 'DE123456789' },
  DK: { pattern: /^DK\d{8}$/, countries: ['DK'], example: 'DK12345678' },
  EE: { pattern: /^EE\d{9}$/, countries: ['EE'], example: 'EE123456789' },
  EL: { pattern: /^EL\d{9}$/, countries: ['GR'], example: 'EL123456789' },
  ES: { pattern: /^ES[A-Z0-9]\d{7}[A-Z0-9]$/, countries: ['ES'], example: 'ESX1234567X' },
  FI: { pattern: /^FI\d{8}$/, countries: ['FI', 'AX'], example: 'FI12345678' },
  FR: { pattern: /^FR[A-HJ-NP-Z0-9]{2}\d{9}$/, countries: ['FR', 'MC'], example: 'FR12345678901' },
  HR: { pattern: /^HR\d{11}$/, countries: ['HR'], example: 'HR12345678901' },
  HU: { pattern: /^HU\d{8}$/, countries: ['HU'], example: 'HU12345678' },
  IE: { pattern: /^IE(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$/, countries: ['IE'], example: 'IE1234567WA' },
  IT: { pattern: /^IT\d{11}$/, countries: ['IT'], example: 'IT12345678901' },
  LT: { pattern: /^LT(\d{9}|\d{12})$/, countries: ['LT'], example: 'LT123456789' },
  LU: { pattern: /^LU\d{8}$/, countries: ['LU'], example: 'LU12345678' },
  LV: { pattern: /^LV\d{11}$/, countries: ['LV'], example: 'LV12345678901' },
  MT: { pattern: /^MT\d{8}$/, countries: ['MT'], example: 'MT12345678' },
  NL: { pattern: /^NL\d{9}B\d{2}$/, countries: ['NL'], example: 'NL123456789B01' },
  PL: { pattern: /^PL\d{10}$/, countries: ['PL'], example: 'PL1234567890' },
  PT: { pattern: /^PT\d{9}$/, countries: ['PT'], example: 'PT123456789' },
  RO: { pattern: /^RO\d{2,10}$/, countries: ['RO'], example: 'RO1234567890' },
  SE: { pattern: /^SE\d{10}01$/, countries: ['SE'], example: 'SE556677889901' },
  SI: { pattern: /^SI\d{8}$/, countries: ['SI'], example: 'SI12345678' },
  SK: { pattern: /^SK\d{10}$/, countries: ['SK'], example: 'SK1234567890' },
  XI: { pattern: /^XI(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/, countries: ['GB'], example: 'XI123456789' },
  GB: { pattern: /^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$/, countries: ['GB', 'IM'], example: 'GB123456789' },
  NO: { pattern: /^NO\d{9}(MVA)?$/, countries: ['NO'], example: 'NO123456789MVA' },
  CHE: { pattern: /^CHE\d{9}(MWST|TVA|IVA)?$/, countries: ['CH', 'LI'], example: 'CHE123456789MWST' },
};

function vatPrefixOf(compact: string): string | undefined {
  if (compact.startsWith('CHE')) return 'CHE';
  const prefix = compact.slice(0, 2);
  // Greek numbers are often written with the ISO code; VIES uses EL.
  if (prefix === 'GR') return 'EL';
  return VAT_PATTERNS[prefix] ? prefix : undefined;
}

function compactVat(raw: string): string {
  const compact = raw.replace(/[\s.\-]/g, '').toUpperCase();
  return compact.startsWith('GR') ? `EL${compact.slice(2)}` : compact;
}

/** A VAT number as `DE123456789`, checked against its prefix's structure and the supplier's country. */
export function normaliseVatNumber(raw: string, country: string): string {
  const compact = compactVat(raw);
  const prefix = vatPrefixOf(compact);
  const spec = prefix ? VAT_PATTERNS[prefix] : undefined;
  if (!spec) throw new IdentifierError('vatFormat', { example: exampleVatFor(country) });
  if (!spec.pattern.test(compact)) throw new IdentifierError('vatFormat', { example: spec.example });
  if (!spec.countries.includes(country)) throw new IdentifierError('vatCountry', { prefix: prefix ?? '', example: exampleVatFor(country) });
  return compact;
}

function exampleVatFor(country: string): string {
  const spec = Object.values(VAT_PATTERNS).find((candidate) => candidate.countries.includes(country));
  return spec?.example ?? 'DE123456789';
}

/** Whether `raw` reads as a well-formed VAT number for a supplier in `country` (to guess the kind of an import cell). */
export function looksLikeVatNumber(raw: string, country: string): boolean {
  try {
    normaliseVatNumber(raw, country);
    return true;
  } catch {
    return false;
  }
}

/**
 * The identifier as stored. Swedish suppliers need an organisationsnummer; foreign ones have a VAT number, another
 * id or none. Without a kind (an import cell, an API call that leaves it out) it is read from the country and the
 * value: Swedish → organisationsnummer; a well-formed VAT number → VAT; empty → none; anything else → other.
 */
export function normaliseIdentifier(country: string, raw: string, kind?: IdentifierKind): SupplierIdentifier {
  const value = raw.trim().replace(/\s+/g, ' ');
  const chosen: IdentifierKind = kind ?? (country === 'SE' ? 'se' : value === '' ? 'none' : looksLikeVatNumber(value, country) ? 'vat' : 'other');
  if (chosen === 'se' && country !== 'SE') throw new IdentifierError('seNotForForeign');
  if (country === 'SE' && chosen !== 'se') throw new IdentifierError('required');
  if (chosen === 'none') return { kind: 'none', value: '' };
  if (value === '') throw new IdentifierError('required');
  if (chosen === 'se') return { kind: 'se', value: normaliseSwedishOrganisationNumber(value) };
  if (chosen === 'vat') return { kind: 'vat', value: normaliseVatNumber(value, country) };
  if (!/[\p{L}\p{N}]/u.test(value) || value.length > 50) throw new IdentifierError('otherFormat');
  return { kind: 'other', value };
}

/**
 * What makes two suppliers of one organisation the same company: the identifier (any spelling of it), or, for a
 * supplier without one, its name in the same country ignoring case, accents, punctuation and spacing.
 */
export function duplicateKeyOf(country: string, identifier: SupplierIdentifier, name: string): string {
  if (identifier.kind === 'none') return `name:${country}:${foldForSearch(name).replace(/[^\p{L}\p{N}]+/gu, '')}`;
  const compact = identifier.value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return identifier.kind === 'other' ? `id:${country}:${compact}` : `id:${compact}`;
}

/** Lower case without diacritics, for search and duplicate keys ("Åhléns" → "ahlens"). */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[æ]/g, 'ae')
    .replace(/[ø]/g, 'o')
    .replace(/[đ]/g, 'd')
    .replace(/[ł]/g, 'l')
    .replace(/\s+/g, ' ')
    .trim();
}
