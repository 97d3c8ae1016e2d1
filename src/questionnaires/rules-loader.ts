/**
 * Rules files: `questionnaires/rules/<questionnaire id>@<version>/rules@<n>.yaml`, versioned on their own beside the
 * questionnaire version they read. Every version stays loadable (a follow-up case refers to the rules version that
 * raised it); a published version never changes, which `published-hashes.json` enforces as for questionnaires.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { canonicalHash, deepFreeze } from './canonical';
import type { Issue } from './conditions-schema';
import type { CountryContext } from './country-context';
import { formatPath, QuestionnaireLoadError, readYamlFile, type LoadProblem } from './data-files';
import { checkRuleSet } from './rules-checks';
import { ruleSetSchema } from './rules-schema';
import type { QuestionnaireDefinition, RuleSet } from './types';

export const RULES_DIR = 'rules';
const RULES_FILE = /^rules@(?<version>[1-9]\d*)\.ya?ml$/;
const QUESTIONNAIRE_FOLDER = /^(?<id>[a-z0-9]+(?:-[a-z0-9]+)*)@(?<version>[1-9]\d*)$/;
const MAX_RULES_FILE_BYTES = 2 * 1024 * 1024;

/** Rule sets that passed every check; the evaluator trusts these and checks anything else first. */
const checkedRuleSets = new WeakSet<RuleSet>();

export function isCheckedRuleSet(value: unknown): value is RuleSet {
  return typeof value === 'object' && value !== null && checkedRuleSets.has(value as RuleSet);
}

/** `code-of-conduct-saq@1/rules@2`: how a rules version is named in hashes, cases and messages. */
export function ruleSetKey(ruleSet: Pick<RuleSet, 'questionnaire' | 'version'>): string {
  return `${ruleSet.questionnaire.id}@${ruleSet.questionnaire.version}/rules@${ruleSet.version}`;
}

export function ruleSetHash(ruleSet: RuleSet): string {
  return canonicalHash(ruleSet);
}

/**
 * Validates already-parsed data as a rules file for `definition` and returns it frozen. Problems name the rule and
 * the path inside the file; `source` names the file.
 */
export function parseRuleSet(data: unknown, definition: QuestionnaireDefinition, context: CountryContext, source: string): RuleSet {
  const result = ruleSetSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new QuestionnaireLoadError(source, result.error.issues.map((issue) => zodProblem(issue, data)));
  const ruleSet = result.data;
  const expected = `${definition.id}@${definition.version}`;
  const named = `${ruleSet.questionnaire.id}@${ruleSet.questionnaire.version}`;
  if (named !== expected) {
    throw new QuestionnaireLoadError(source, [{ path: 'questionnaire', message: `these rules are for ${named}, not ${expected}` }]);
  }
  const issues = checkRuleSet(ruleSet, definition, context);
  if (issues.length > 0) throw new QuestionnaireLoadError(source, issues.map((issue) => issueProblem(issue, ruleSet)));
  deepFreeze(ruleSet);
  checkedRuleSets.add(ruleSet);
  return ruleSet;
}

function zodProblem(issue: z.core.$ZodIssue, data: unknown): LoadProblem {
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  return { path: formatPath(issue.path), message: missing ? 'is required' : issue.message, rule: ruleIdAt(issue.path, data) };
}

function issueProblem(issue: Issue, ruleSet: RuleSet): LoadProblem {
  const index = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
  return { path: formatPath(issue.path), message: issue.message, rule: index === undefined ? undefined : ruleSet.rules[index]?.id };
}

/** The id written for the rule a problem is in, read from the raw data (it may not have passed validation). */
function ruleIdAt(issuePath: readonly PropertyKey[], data: unknown): string | undefined {
  if (issuePath[0] !== 'rules' || typeof issuePath[1] !== 'number') return undefined;
  const rules = typeof data === 'object' && data !== null ? (data as { rules?: unknown }).rules : undefined;
  const rule: unknown = Array.isArray(rules) ? rules[issuePath[1]] : undefined;
  const id = typeof rule === 'object' && rule !== null ? (rule as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length <= 100 ? id : undefined;
}

export function parseRuleSetFile(file: string, definition: QuestionnaireDefinition, context: CountryContext, name: string): RuleSet {
  const data = readYamlFile(file, name, { maxBytes: MAX_RULES_FILE_BYTES, allowAliases: false });
  const ruleSet = parseRuleSet(data, definition, context, name);
  const version = Number(RULES_FILE.exec(path.basename(file))?.groups?.version);
  if (ruleSet.version !== version) {
    throw new QuestionnaireLoadError(name, [{ path: 'version', message: `the file says version ${ruleSet.version}; name it rules@${ruleSet.version}.yaml or fix the version` }]);
  }
  return ruleSet;
}

export interface LoadedRuleSet {
  ruleSet: RuleSet;
  /** Relative to the questionnaires folder, as shown in messages. */
  file: string;
}

/** Reads every rules file under `<dir>/rules/`; a folder must name a loaded questionnaire version. */
export function loadRuleSets(dir: string, definitions: readonly QuestionnaireDefinition[], context: CountryContext): LoadedRuleSet[] {
  const rulesDir = path.join(dir, RULES_DIR);
  if (!fs.existsSync(rulesDir)) return [];
  const loaded: LoadedRuleSet[] = [];
  for (const folder of fs.readdirSync(rulesDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folderName = path.join(RULES_DIR, folder.name);
    if (!folder.isDirectory()) {
      if (/\.ya?ml$/.test(folder.name)) throw new QuestionnaireLoadError(folderName, [{ path: '', message: 'rules files go in a folder named after their questionnaire version, e.g. rules/code-of-conduct-saq@1/rules@1.yaml' }]);
      continue;
    }
    const definition = definitionFor(folder.name, definitions, folderName);
    for (const entry of fs.readdirSync(path.join(rulesDir, folder.name), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const name = path.join(folderName, entry.name);
      if (!RULES_FILE.test(entry.name)) throw new QuestionnaireLoadError(name, [{ path: '', message: 'a rules file is named rules@<version>.yaml, e.g. rules@1.yaml' }]);
      const ruleSet = parseRuleSetFile(path.join(rulesDir, folder.name, entry.name), definition, context, name);
      const other = loaded.find((l) => ruleSetKey(l.ruleSet) === ruleSetKey(ruleSet));
      if (other) throw new QuestionnaireLoadError(name, [{ path: '', message: `${ruleSetKey(ruleSet)} is also defined in ${other.file}` }]);
      loaded.push({ ruleSet, file: name });
    }
  }
  return loaded;
}

function definitionFor(folder: string, definitions: readonly QuestionnaireDefinition[], name: string): QuestionnaireDefinition {
  const match = QUESTIONNAIRE_FOLDER.exec(folder);
  const definition = match && definitions.find((d) => d.id === match.groups?.id && d.version === Number(match.groups?.version));
  if (definition) return definition;
  throw new QuestionnaireLoadError(name, [
    {
      path: '',
      message: match
        ? `there is no questionnaire ${folder} for these rules (loaded: ${definitions.map((d) => `${d.id}@${d.version}`).join(', ')})`
        : 'a rules folder is named after its questionnaire version, <id>@<version>, e.g. code-of-conduct-saq@1',
    },
  ]);
}
