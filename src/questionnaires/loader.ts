/**
 * Loading `questionnaires/<id>@<version>.yaml` at start-up, with the rules files beside them (rules-loader.ts) and
 * the country context they use. Any problem stops start-up with a QuestionnaireLoadError naming the file, the path
 * inside it and what is wrong, so a buyer editing a file can fix it without reading code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { canonicalHash, deepFreeze } from './canonical';
import type { Issue } from './conditions-schema';
import { createCountryContext, loadCountryContext, type CountryContext } from './country-context';
import { crossCheck } from './cross-checks';
import { formatPath, QuestionnaireLoadError, yamlProblem, type LoadProblem } from './data-files';
import { indexDefinition } from './logic';
import { loadRuleSets, ruleSetHash, ruleSetKey, type LoadedRuleSet } from './rules-loader';
import { definitionSchema } from './schema';
import type { QuestionnaireDefinition, RuleSet } from './types';

/**
 * Where the hash of every published version is recorded when it is published. When the file exists, each published
 * definition must be listed and still match: a mismatch means it was edited in place.
 */
export const PUBLISHED_HASHES_FILE = 'published-hashes.json';
const FILE_NAME = /^(?<id>[^@]+)@(?<version>\d+)\.ya?ml$/;

export interface QuestionnaireRegistry {
  get(id: string, version: number): QuestionnaireDefinition | undefined;
  /** Highest published version; drafts only when asked for (previewing a draft). */
  latest(id: string, options?: { includeDrafts?: boolean }): QuestionnaireDefinition | undefined;
  /** Every loaded definition, by id then version. */
  list(): QuestionnaireDefinition[];
  /** Every rules version of a questionnaire version, oldest first, drafts included (for dry runs and old cases). */
  ruleSets(id: string, version: number): RuleSet[];
  ruleSet(id: string, version: number, rulesVersion: number): RuleSet | undefined;
  /** The highest published rules version of a questionnaire version (drafts only when asked for). */
  currentRuleSet(id: string, version: number, options?: { includeDrafts?: boolean }): RuleSet | undefined;
  /** The country data rules compare answers with. */
  countryContext: CountryContext;
  /**
   * Whether a response that recorded `hash` answered this questionnaire version: the current definition hash, or an
   * earlier one recorded in published-hashes.json for the same questions (e.g. before red flags moved out).
   */
  isDefinitionHash(id: string, version: number, hash: string): boolean;
}

/**
 * Validates already-parsed data (YAML or JSON) as a questionnaire definition and returns it frozen and indexed for
 * the logic functions. `source` names the file in errors.
 */
export function parseDefinition(data: unknown, source: string): QuestionnaireDefinition {
  const result = definitionSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new QuestionnaireLoadError(source, result.error.issues.map(zodProblem));
  const definition = result.data;
  const issues = crossCheck(definition);
  if (issues.length > 0) throw new QuestionnaireLoadError(source, issues.map(issueProblem));
  deepFreeze(definition);
  indexDefinition(definition);
  return definition;
}

function zodProblem(issue: z.core.$ZodIssue): LoadProblem {
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const last = issue.path[issue.path.length - 1];
  const language = last === 'sv' ? 'Swedish (sv)' : last === 'en' ? 'English (en)' : undefined;
  const message = missing ? (language ? `the ${language} text is missing` : 'is required') : issue.message;
  return { path: formatPath(issue.path), message };
}

function issueProblem(issue: Issue): LoadProblem {
  return { path: formatPath(issue.path), message: issue.message };
}

export function parseDefinitionFile(file: string): QuestionnaireDefinition {
  const name = path.basename(file);
  const document = parseDocument(fs.readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) throw new QuestionnaireLoadError(name, [yamlProblem(document.errors)]);
  const definition = parseDefinition(document.toJS(), name);
  const expected = `${definition.id}@${definition.version}`;
  const match = FILE_NAME.exec(name);
  if (!match || `${match.groups?.id}@${match.groups?.version}` !== expected) {
    throw new QuestionnaireLoadError(name, [{ path: '', message: `the file must be named ${expected}.yaml after its id and version` }]);
  }
  return definition;
}

/**
 * Reads every `.yaml`/`.yml` file directly in `dir` as a questionnaire, then the rules under `rules/` and the country
 * context under `context/` (sub-folders are never read as questionnaires).
 */
export function loadQuestionnaires(dir: string): QuestionnaireRegistry {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new QuestionnaireLoadError(dir, [{ path: '', message: 'the questionnaire folder does not exist' }]);
  }
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  if (files.length === 0) {
    throw new QuestionnaireLoadError(dir, [{ path: '', message: 'no questionnaire definitions (*.yaml) found' }]);
  }
  const byKey = new Map<string, { definition: QuestionnaireDefinition; file: string }>();
  for (const file of files) {
    const definition = parseDefinitionFile(path.join(dir, file));
    const key = `${definition.id}@${definition.version}`;
    const other = byKey.get(key);
    if (other) throw new QuestionnaireLoadError(file, [{ path: '', message: `${key} is also defined in ${other.file}` }]);
    byKey.set(key, { definition, file });
  }
  const definitions = [...byKey.values()];
  const countryContext = loadCountryContext(dir);
  const ruleSets = loadRuleSets(dir, definitions.map((entry) => entry.definition), countryContext);
  const recorded = readPublishedHashes(dir);
  if (recorded) checkPublishedHashes(recorded, definitions, ruleSets);
  return createRegistry(
    definitions.map((entry) => entry.definition),
    { ruleSets: ruleSets.map((entry) => entry.ruleSet), countryContext, earlierHashes: recorded ? earlierHashesOf(recorded) : {} },
  );
}

/** A recorded hash, with the hashes the same questions had before a change that left them as they were. */
interface RecordedHash {
  hash: string;
  earlier: Array<{ hash: string; reason: string }>;
}

function checkPublishedHashes(recorded: Record<string, RecordedHash>, definitions: Array<{ definition: QuestionnaireDefinition; file: string }>, ruleSets: LoadedRuleSet[]): void {
  const published = [
    ...definitions.filter((d) => d.definition.status === 'published').map((d) => ({ key: `${d.definition.id}@${d.definition.version}`, actual: definitionHash(d.definition), file: d.file })),
    ...ruleSets.filter((r) => r.ruleSet.status === 'published').map((r) => ({ key: ruleSetKey(r.ruleSet), actual: ruleSetHash(r.ruleSet), file: r.file })),
  ];
  for (const { key, actual, file } of published) {
    const expected = recorded[key]?.hash;
    if (expected === undefined) {
      throw new QuestionnaireLoadError(file, [
        { path: '', message: `published ${key} has no recorded hash; add "${key}": "${actual}" to ${PUBLISHED_HASHES_FILE}` },
      ]);
    }
    if (actual !== expected) {
      throw new QuestionnaireLoadError(file, [
        {
          path: '',
          message: `published ${key} was changed after publication (hash ${actual}, recorded ${expected} in ${PUBLISHED_HASHES_FILE}); publish the change as a new version instead`,
        },
      ]);
    }
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const HASHES_FORMAT = 'maps "<id>@<version>" (or "<id>@<version>/rules@<n>") to a sha256 hex hash, or to {"hash": …, "earlier": [{"hash": …, "reason": …}]}';

function readPublishedHashes(dir: string): Record<string, RecordedHash> | undefined {
  const file = path.join(dir, PUBLISHED_HASHES_FILE);
  if (!fs.existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: '', message: HASHES_FORMAT }]);
  }
  const hashes: Record<string, RecordedHash> = {};
  for (const [key, value] of Object.entries(data)) {
    const entry = recordedHash(value);
    if (!entry) throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: key, message: `must be a sha256 hex hash; the file ${HASHES_FORMAT}` }]);
    hashes[key] = entry;
  }
  return hashes;
}

function recordedHash(value: unknown): RecordedHash | undefined {
  if (typeof value === 'string') return SHA256_HEX.test(value) ? { hash: value, earlier: [] } : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { hash, earlier, ...rest } = value as { hash?: unknown; earlier?: unknown };
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash) || Object.keys(rest).length > 0 || !Array.isArray(earlier)) return undefined;
  const previous = earlier.map((item: unknown) => {
    const { hash: h, reason } = (typeof item === 'object' && item !== null ? item : {}) as { hash?: unknown; reason?: unknown };
    return typeof h === 'string' && SHA256_HEX.test(h) && typeof reason === 'string' && reason.trim() !== '' ? { hash: h, reason } : undefined;
  });
  return previous.every((p) => p !== undefined) ? { hash, earlier: previous as RecordedHash['earlier'] } : undefined;
}

function earlierHashesOf(recorded: Record<string, RecordedHash>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(recorded).map(([key, entry]) => [key, entry.earlier.map((e) => e.hash)]));
}

export interface RegistryExtras {
  ruleSets?: RuleSet[];
  countryContext?: CountryContext;
  /** By `<id>@<version>`: definition hashes recorded for the same questions before a later, content-neutral change. */
  earlierHashes?: Record<string, string[]>;
}

export function createRegistry(definitions: QuestionnaireDefinition[], extras: RegistryExtras = {}): QuestionnaireRegistry {
  const sorted = [...definitions].sort((a, b) => (a.id === b.id ? a.version - b.version : a.id < b.id ? -1 : 1));
  const rules = [...(extras.ruleSets ?? [])].sort((a, b) => a.version - b.version);
  const rulesOf = (id: string, version: number) => rules.filter((r) => r.questionnaire.id === id && r.questionnaire.version === version);
  const get = (id: string, version: number) => sorted.find((d) => d.id === id && d.version === version);
  return {
    get,
    latest: (id, options) =>
      sorted.filter((d) => d.id === id && (d.status === 'published' || options?.includeDrafts === true)).at(-1),
    list: () => [...sorted],
    ruleSets: rulesOf,
    ruleSet: (id, version, rulesVersion) => rulesOf(id, version).find((r) => r.version === rulesVersion),
    currentRuleSet: (id, version, options) =>
      rulesOf(id, version).filter((r) => r.status === 'published' || options?.includeDrafts === true).at(-1),
    countryContext: extras.countryContext ?? createCountryContext(undefined),
    isDefinitionHash: (id, version, hash) => {
      const definition = get(id, version);
      if (!definition) return false;
      return definitionHash(definition) === hash || (extras.earlierHashes?.[`${id}@${version}`] ?? []).includes(hash);
    },
  };
}

const hashes = new WeakMap<QuestionnaireDefinition, string>();

/**
 * sha256 of the canonical JSON (keys sorted, undefined left out) of the definition, which holds exactly what a
 * supplier sees: what a response records to prove what it answered. Rules are hashed on their own.
 */
export function definitionHash(definition: QuestionnaireDefinition): string {
  const cached = hashes.get(definition);
  if (cached) return cached;
  const hash = canonicalHash(definition);
  if (Object.isFrozen(definition)) hashes.set(definition, hash);
  return hash;
}
