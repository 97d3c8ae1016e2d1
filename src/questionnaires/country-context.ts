/**
 * Country context for rules: the legal minimum working age per country, as each country specified it when ratifying
 * ILO's Minimum Age Convention (C138, Article 2(1)), from `questionnaires/context/minimum-working-age.yaml`. Every
 * value names its public source; a country without one falls back to the Convention's general minimum of 15
 * (Article 2(3)), and whoever shows the figure says that it is the fallback.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isCountryCode } from './countries';
import { formatPath, QuestionnaireLoadError, readYamlFile, type LoadProblem } from './data-files';
import { isCalendarDate, localizedSchema, snakeId } from './schema';
import type { Localized } from './types';

export const MINIMUM_WORKING_AGE_FILE = path.join('context', 'minimum-working-age.yaml');
/** C138 Article 2(3): the minimum age "shall not be less than ... 15 years". */
export const C138_GENERAL_MINIMUM_AGE = 15;
const MAX_FILE_BYTES = 1024 * 1024;

export interface ContextSource {
  id: string;
  title: string;
  url: string;
  /** How the source was read, e.g. which copy or which part of it. */
  note?: string;
}

export interface MinimumWorkingAge {
  country: string;
  age: number;
  /** True when the country has no sourced value and the Convention's general minimum is used instead. */
  fallback: boolean;
  /** Date of the C138 ratification the value comes from, when the source gives it. */
  ratified?: string;
  source: ContextSource;
}

export interface CountryContext {
  minimumWorkingAge(country: string): MinimumWorkingAge;
  /** The countries with a sourced value, by country code. */
  listedMinimumWorkingAges(): readonly MinimumWorkingAge[];
  generalMinimumAge: number;
  /** What the general minimum stands on, in both languages, for pages that show the fallback. */
  generalMinimumBasis: Localized;
  generalMinimumSource: ContextSource;
  /** False when the data file was not found: every country then gets the fallback. */
  loaded: boolean;
}

const sourceSchema = z.strictObject({
  id: snakeId,
  title: z.string().trim().min(1).max(500),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(2000),
  note: z.string().trim().min(1).max(2000).optional(),
});

const countrySchema = z.strictObject({
  country: z.string().refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code, e.g. BD'),
  // C138 Art. 2(1), 2(4): 15 or more, or 14 under the developing-economy declaration; 18 is the hazardous-work age.
  minimum_age: z.number().int().min(14, 'C138 allows no minimum age below 14').max(18, 'a minimum working age above 18 is not a C138 figure'),
  ratified: z.string().refine(isCalendarDate, 'must be an ISO date (YYYY-MM-DD)').optional(),
  source: snakeId,
});

const fileSchema = z.strictObject({
  convention: z.literal('C138'),
  general_minimum_age: z.literal(C138_GENERAL_MINIMUM_AGE, { error: `C138 Article 2(3) sets the general minimum at ${C138_GENERAL_MINIMUM_AGE}` }),
  general_minimum_basis: localizedSchema,
  general_minimum_source: sourceSchema.omit({ id: true }),
  sources: z.array(sourceSchema).min(1).max(200),
  countries: z.array(countrySchema).max(300),
});

type ContextFile = z.infer<typeof fileSchema>;

const DEFAULT_BASIS: Localized = {
  sv: 'ILO:s konvention om minimiålder (nr 138), artikel 2.3: minimiåldern får inte vara lägre än 15 år.',
  en: 'ILO Minimum Age Convention (No. 138), Article 2(3): the minimum age shall not be less than 15 years.',
};
const C138_SOURCE: ContextSource = {
  id: 'c138_article_2_3',
  title: 'ILO Minimum Age Convention, 1973 (No. 138), Article 2(3)',
  url: 'https://normlex.ilo.org/dyn/normlex/en/f?p=NORMLEXPUB:12100:0::NO::P12100_ILO_CODE:C138',
};

/** Reads the data file under `questionnairesDir`; without one every country gets the general minimum. */
export function loadCountryContext(questionnairesDir: string): CountryContext {
  const file = path.join(questionnairesDir, MINIMUM_WORKING_AGE_FILE);
  if (!fs.existsSync(file)) return createCountryContext(undefined);
  const data = readYamlFile(file, MINIMUM_WORKING_AGE_FILE, { maxBytes: MAX_FILE_BYTES, allowAliases: false });
  return parseCountryContext(data, MINIMUM_WORKING_AGE_FILE);
}

export function parseCountryContext(data: unknown, source: string): CountryContext {
  const result = fileSchema.safeParse(data);
  if (!result.success) {
    throw new QuestionnaireLoadError(
      source,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0) throw new QuestionnaireLoadError(source, problems);
  return createCountryContext(result.data);
}

function crossCheck(file: ContextFile): LoadProblem[] {
  const problems: LoadProblem[] = [];
  const sourceIds = new Set<string>();
  file.sources.forEach((s, i) => {
    if (sourceIds.has(s.id)) problems.push({ path: `sources[${i}].id`, message: `duplicate source id "${s.id}"` });
    sourceIds.add(s.id);
  });
  const used = new Set<string>();
  const countries = new Set<string>();
  file.countries.forEach((entry, i) => {
    if (countries.has(entry.country)) problems.push({ path: `countries[${i}].country`, message: `${entry.country} is listed twice` });
    countries.add(entry.country);
    if (!sourceIds.has(entry.source)) problems.push({ path: `countries[${i}].source`, message: `unknown source "${entry.source}"; list it under sources` });
    used.add(entry.source);
  });
  file.sources.forEach((s, i) => {
    if (!used.has(s.id)) problems.push({ path: `sources[${i}]`, message: `source "${s.id}" is not used by any country` });
  });
  return problems;
}

export function createCountryContext(file: ContextFile | undefined): CountryContext {
  const generalSource: ContextSource = file ? { id: C138_SOURCE.id, ...file.general_minimum_source } : C138_SOURCE;
  const sources = new Map((file?.sources ?? []).map((s) => [s.id, Object.freeze({ ...s })]));
  const listed = new Map<string, MinimumWorkingAge>();
  for (const entry of [...(file?.countries ?? [])].sort((a, b) => (a.country < b.country ? -1 : 1))) {
    const source = sources.get(entry.source);
    if (!source) continue;
    listed.set(entry.country, Object.freeze({ country: entry.country, age: entry.minimum_age, fallback: false, ratified: entry.ratified, source }));
  }
  const listedValues = Object.freeze([...listed.values()]);
  return Object.freeze({
    minimumWorkingAge: (country: string) =>
      listed.get(country) ?? { country, age: C138_GENERAL_MINIMUM_AGE, fallback: true, source: generalSource },
    listedMinimumWorkingAges: () => listedValues,
    generalMinimumAge: C138_GENERAL_MINIMUM_AGE,
    generalMinimumBasis: file?.general_minimum_basis ?? DEFAULT_BASIS,
    generalMinimumSource: generalSource,
    loaded: file !== undefined,
  });
}
