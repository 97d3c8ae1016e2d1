/**
 * The import's columns: Swedish and English headers (and the spellings people use), numbered repeats for further
 * contacts and sites ("E-post 2"), and the conversion of one row into the same supplier input the form gives.
 */
import { countryOptions } from '../../questionnaires';
import { foldForSearch } from '../identifiers';
import { LIMITS, type SupplierInput } from '../input';

export const IMPORT_FIELDS = [
  'name',
  'organisationNumber',
  'identifierKind',
  'country',
  'sector',
  'tags',
  'contactName',
  'contactEmail',
  'contactLanguage',
  'siteName',
  'siteCountry',
  'siteAddress',
  'siteProducts',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

interface ColumnSpec {
  sv: string;
  en: string;
  aliases: string[];
  /** Repeats with a number for further contacts or sites. */
  repeat?: 'contact' | 'site';
}

/** The template's headers (first) and other accepted spellings, compared folded and without punctuation. */
export const COLUMN_SPECS: Record<ImportField, ColumnSpec> = {
  name: { sv: 'Namn', en: 'Name', aliases: ['Leverantör', 'Leverantörsnamn', 'Företag', 'Företagsnamn', 'Supplier', 'Supplier name', 'Company', 'Company name'] },
  organisationNumber: {
    sv: 'Organisationsnummer',
    en: 'Organisation number',
    aliases: ['Orgnr', 'Org nr', 'Organisationsnr', 'Momsregistreringsnummer', 'Momsnummer', 'VAT-nummer', 'VAT', 'VAT number', 'Organization number', 'Company registration number', 'Registration number', 'Company id'],
  },
  identifierKind: { sv: 'Id-typ', en: 'Identifier type', aliases: ['Typ av id', 'Id type'] },
  country: { sv: 'Land', en: 'Country', aliases: ['Landskod', 'Country code'] },
  sector: { sv: 'Bransch', en: 'Sector', aliases: ['Sektor', 'Industry'] },
  tags: { sv: 'Taggar', en: 'Tags', aliases: ['Etiketter', 'Tag', 'Tagg'] },
  contactName: { sv: 'Kontaktperson', en: 'Contact name', aliases: ['Kontakt', 'Kontaktnamn', 'Contact', 'Contact person'], repeat: 'contact' },
  contactEmail: { sv: 'E-post', en: 'Email', aliases: ['E-postadress', 'Epost', 'Mejl', 'Kontaktens e-post', 'E-mail', 'Contact email', 'Email address'], repeat: 'contact' },
  contactLanguage: { sv: 'Språk', en: 'Language', aliases: ['Kontaktens språk', 'Contact language'], repeat: 'contact' },
  siteName: { sv: 'Anläggning', en: 'Site', aliases: ['Anläggningens namn', 'Produktionsställe', 'Fabrik', 'Site name', 'Factory'], repeat: 'site' },
  siteCountry: { sv: 'Anläggningens land', en: 'Site country', aliases: [], repeat: 'site' },
  siteAddress: { sv: 'Anläggningens adress', en: 'Site address', aliases: ['Adress', 'Address'], repeat: 'site' },
  siteProducts: { sv: 'Tillverkar', en: 'Products', aliases: ['Produkter', 'Vad som tillverkas', 'What is made there', 'Products made'], repeat: 'site' },
};

/** The columns a file must have. */
const REQUIRED: ImportField[] = ['name', 'country', 'contactName', 'contactEmail'];

function headerKey(text: string): string {
  return foldForSearch(text).replace(/[^a-z0-9]+/g, '');
}

const HEADER_LOOKUP: Map<string, ImportField> = new Map(
  IMPORT_FIELDS.flatMap((field) => {
    const spec = COLUMN_SPECS[field];
    return [spec.sv, spec.en, ...spec.aliases].map((text) => [headerKey(text), field] as const);
  }),
);

/** Which field (and which repeat: 1 for the first contact or site) each column holds. */
export interface ColumnMapping {
  columns: Array<{ index: number; header: string; field: ImportField; repeat: number }>;
  /** Headers that name no field; their cells are ignored. */
  ignored: string[];
}

export class ColumnError extends Error {
  constructor(
    readonly code: 'missingColumns' | 'duplicateColumn',
    readonly params: Record<string, string>,
  ) {
    super(`import columns: ${code}`);
  }
}

export function mapColumns(headers: readonly string[], lang: 'sv' | 'en'): ColumnMapping {
  const columns: ColumnMapping['columns'] = [];
  const ignored: string[] = [];
  headers.forEach((header, index) => {
    if (header === '') return;
    const key = headerKey(header);
    const numbered = /^(.*?)(\d{1,2})$/.exec(key);
    let field = HEADER_LOOKUP.get(key);
    let repeat = 1;
    if (!field && numbered?.[1] && numbered[2]) {
      const base = HEADER_LOOKUP.get(numbered[1]);
      if (base && COLUMN_SPECS[base].repeat) {
        field = base;
        repeat = Number(numbered[2]);
      }
    }
    const limit = field && COLUMN_SPECS[field].repeat === 'site' ? LIMITS.sites : LIMITS.contacts;
    if (!field || repeat < 1 || repeat > limit) {
      ignored.push(header);
      return;
    }
    if (columns.some((column) => column.field === field && column.repeat === repeat)) throw new ColumnError('duplicateColumn', { column: header });
    columns.push({ index, header, field, repeat });
  });
  const missing = REQUIRED.filter((field) => !columns.some((column) => column.field === field && column.repeat === 1));
  if (missing.length > 0) throw new ColumnError('missingColumns', { columns: missing.map((field) => COLUMN_SPECS[field][lang]).join(', ') });
  return { columns, ignored };
}

const countryCodesByName: Map<string, string> = new Map(
  (['sv', 'en'] as const).flatMap((lang) => countryOptions(lang).map((option) => [headerKey(option.name), option.code] as const)),
);

/** An ISO code as is; a country's Swedish or English name ("Sverige", "Germany") as its code; anything else unchanged. */
export function countryFromCell(cell: string): string {
  if (/^[A-Za-z]{2}$/.test(cell.trim())) return cell.trim().toUpperCase();
  return countryCodesByName.get(headerKey(cell)) ?? cell;
}

const LANGUAGE_WORDS: Record<string, 'sv' | 'en'> = { sv: 'sv', svenska: 'sv', swedish: 'sv', se: 'sv', en: 'en', engelska: 'en', english: 'en', eng: 'en' };
const KIND_WORDS: Record<string, string> = {
  se: 'se', organisationsnummer: 'se', orgnr: 'se',
  vat: 'vat', moms: 'vat', momsnummer: 'vat', momsregistreringsnummer: 'vat', vatnumber: 'vat',
  other: 'other', annat: 'other', annatid: 'other', otherid: 'other',
  none: 'none', inget: 'none', saknas: 'none',
};

/** Where each part of the supplier input came from, to name the column of a problem. */
export interface RowSources {
  contacts: number[];
  sites: number[];
}

/**
 * One row as supplier input. Empty cells are left out (defaults apply); a contact's language defaults to Swedish for
 * Swedish suppliers and English for others; a site's country to the supplier's.
 */
export function rowToInput(cells: readonly string[], mapping: ColumnMapping): { input: SupplierInput; sources: RowSources } {
  const cell = (field: ImportField, repeat = 1) => {
    const column = mapping.columns.find((candidate) => candidate.field === field && candidate.repeat === repeat);
    return column ? (cells[column.index] ?? '').trim() : '';
  };
  const repeats = (kind: 'contact' | 'site') =>
    [...new Set(mapping.columns.filter((column) => COLUMN_SPECS[column.field].repeat === kind).map((column) => column.repeat))].sort((a, b) => a - b);
  const country = countryFromCell(cell('country'));
  const kindCell = headerKey(cell('identifierKind'));
  const contactNumbers = repeats('contact').filter((n) => cell('contactName', n) || cell('contactEmail', n) || cell('contactLanguage', n));
  const siteNumbers = repeats('site').filter((n) => cell('siteName', n) || cell('siteCountry', n) || cell('siteAddress', n) || cell('siteProducts', n));
  const input = {
    name: cell('name'),
    country,
    organisationNumber: cell('organisationNumber'),
    identifierKind: kindCell === '' ? undefined : (KIND_WORDS[kindCell] ?? kindCell),
    sector: cell('sector'),
    tags: cell('tags')
      .split(/[,;|]/)
      .map((tag) => tag.trim())
      .filter(Boolean),
    contacts: contactNumbers.map((n) => {
      const language = headerKey(cell('contactLanguage', n));
      return { name: cell('contactName', n), email: cell('contactEmail', n), language: language === '' ? (country === 'SE' ? 'sv' : 'en') : (LANGUAGE_WORDS[language] ?? language) };
    }),
    sites: siteNumbers.map((n) => ({
      name: cell('siteName', n),
      country: cell('siteCountry', n) ? countryFromCell(cell('siteCountry', n)) : country,
      address: cell('siteAddress', n),
      products: cell('siteProducts', n),
    })),
  } as SupplierInput;
  return { input, sources: { contacts: contactNumbers, sites: siteNumbers } };
}

const CONTACT_FIELDS: Record<string, ImportField> = { name: 'contactName', email: 'contactEmail', language: 'contactLanguage' };
const SITE_FIELDS: Record<string, ImportField> = { name: 'siteName', country: 'siteCountry', address: 'siteAddress', products: 'siteProducts' };

/** The header of the column a problem at `path` (`contacts.1.email`) comes from. */
export function columnOfPath(path: string, sources: RowSources, mapping: ColumnMapping): string {
  const [head, index, leaf] = path.split('.');
  let field: ImportField | undefined;
  let repeat = 1;
  if (head === 'contacts') {
    field = leaf ? CONTACT_FIELDS[leaf] : 'contactEmail';
    repeat = index !== undefined ? (sources.contacts[Number(index)] ?? 1) : 1;
  } else if (head === 'sites') {
    field = leaf ? SITE_FIELDS[leaf] : 'siteName';
    repeat = index !== undefined ? (sources.sites[Number(index)] ?? 1) : 1;
  } else if (head && (IMPORT_FIELDS as readonly string[]).includes(head)) {
    field = head as ImportField;
  }
  const column = mapping.columns.find((candidate) => candidate.field === field && candidate.repeat === repeat);
  return column?.header ?? path;
}

/** The template's header row in one language. */
export function templateHeaders(lang: 'sv' | 'en'): string[] {
  const first = IMPORT_FIELDS.map((field) => COLUMN_SPECS[field][lang]);
  const second = (['contactName', 'contactEmail', 'contactLanguage'] as const).map((field) => `${COLUMN_SPECS[field][lang]} 2`);
  return [...first, ...second];
}
