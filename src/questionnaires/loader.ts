/**
 * Loading `questionnaires/<id>@<version>.yaml` at start-up. Any problem stops start-up with a QuestionnaireLoadError
 * naming the file, the path inside it and what is wrong, so a buyer editing a file can fix it without reading code.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { bindSelf, type Issue, type IssuePath } from './conditions-schema';
import { crossCheck } from './cross-checks';
import { indexDefinition } from './logic';
import { definitionSchema } from './schema';
import type { QuestionnaireDefinition } from './types';

export interface LoadProblem {
  path: string;
  message: string;
}

export class QuestionnaireLoadError extends Error {
  override readonly name = 'QuestionnaireLoadError';
  constructor(
    readonly file: string,
    readonly problems: LoadProblem[],
  ) {
    super(`${file}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`);
  }
}

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
}

export function formatPath(issuePath: IssuePath | readonly PropertyKey[]): string {
  return issuePath.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

/**
 * Validates already-parsed data (YAML or JSON) as a questionnaire definition and returns it frozen and indexed for
 * the logic functions. `source` names the file in errors.
 */
export function parseDefinition(data: unknown, source: string): QuestionnaireDefinition {
  const result = definitionSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new QuestionnaireLoadError(source, result.error.issues.map(zodProblem));
  const definition = bindEvidenceSelfReferences(bindRedFlagSelfReferences(result.data));
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

function bindRedFlagSelfReferences(definition: QuestionnaireDefinition): QuestionnaireDefinition {
  return {
    ...definition,
    sections: definition.sections.map((section) => ({
      ...section,
      questions: section.questions.map((question) =>
        question.red_flags
          ? { ...question, red_flags: question.red_flags.map((flag) => ({ ...flag, when: bindSelf(flag.when, question.id) })) }
          : question,
      ),
    })),
  };
}

/** An evidence condition without `question` is about the question the evidence belongs to. */
function bindEvidenceSelfReferences(definition: QuestionnaireDefinition): QuestionnaireDefinition {
  return {
    ...definition,
    sections: definition.sections.map((section) => ({
      ...section,
      questions: section.questions.map((question) => {
        const condition = question.evidence?.show_if;
        if (!question.evidence || !condition) return question;
        return { ...question, evidence: { ...question.evidence, show_if: bindSelf(condition, question.id) } } as typeof question;
      }),
    })),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function parseDefinitionFile(file: string): QuestionnaireDefinition {
  const name = path.basename(file);
  const document = parseDocument(fs.readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    // Later YAML errors are usually echoes of the first one; its line and column are what the author needs.
    const first = document.errors[0]?.message.split('\n')[0]?.replace(/:$/, '') ?? 'unreadable';
    throw new QuestionnaireLoadError(name, [{ path: '', message: `YAML syntax: ${first}` }]);
  }
  const definition = parseDefinition(document.toJS(), name);
  const expected = `${definition.id}@${definition.version}`;
  const match = FILE_NAME.exec(name);
  if (!match || `${match.groups?.id}@${match.groups?.version}` !== expected) {
    throw new QuestionnaireLoadError(name, [{ path: '', message: `the file must be named ${expected}.yaml after its id and version` }]);
  }
  return definition;
}

/** Reads every `.yaml`/`.yml` file directly in `dir` (sub-folders are left to other data, such as risk rules). */
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
  checkPublishedHashes(dir, [...byKey.values()]);
  return createRegistry([...byKey.values()].map((entry) => entry.definition));
}

function checkPublishedHashes(dir: string, loaded: Array<{ definition: QuestionnaireDefinition; file: string }>): void {
  const hashesFile = path.join(dir, PUBLISHED_HASHES_FILE);
  if (!fs.existsSync(hashesFile)) return;
  const recorded = readHashes(hashesFile);
  for (const { definition, file } of loaded) {
    const key = `${definition.id}@${definition.version}`;
    if (definition.status !== 'published') continue;
    const expected = recorded[key];
    const actual = definitionHash(definition);
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

function readHashes(file: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: '', message: 'must map "<id>@<version>" to a sha256 hex hash' }]);
  }
  const hashes: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
      throw new QuestionnaireLoadError(PUBLISHED_HASHES_FILE, [{ path: key, message: 'must be a sha256 hex hash' }]);
    }
    hashes[key] = value;
  }
  return hashes;
}

export function createRegistry(definitions: QuestionnaireDefinition[]): QuestionnaireRegistry {
  const sorted = [...definitions].sort((a, b) => (a.id === b.id ? a.version - b.version : a.id < b.id ? -1 : 1));
  return {
    get: (id, version) => sorted.find((d) => d.id === id && d.version === version),
    latest: (id, options) =>
      sorted.filter((d) => d.id === id && (d.status === 'published' || options?.includeDrafts === true)).at(-1),
    list: () => [...sorted],
  };
}

const hashes = new WeakMap<QuestionnaireDefinition, string>();

/** sha256 of the canonical JSON (keys sorted, undefined left out): what a response records to prove what it answered. */
export function definitionHash(definition: QuestionnaireDefinition): string {
  const cached = hashes.get(definition);
  if (cached) return cached;
  const hash = createHash('sha256').update(canonicalJson(definition)).digest('hex');
  if (Object.isFrozen(definition)) hashes.set(definition, hash);
  return hash;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
