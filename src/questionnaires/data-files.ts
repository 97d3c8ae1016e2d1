/**
 * Reading the data files under `questionnaires/` (questionnaires, rules, country context) and the one error type for
 * them: a start-up stops with it, naming the file, the place inside it (and the rule, in a rules file) and the problem.
 */
import fs from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';
import type { IssuePath } from './conditions-schema';

export interface LoadProblem {
  path: string;
  message: string;
  /** The id of the rule the problem is in, for rules files. */
  rule?: string;
}

export class QuestionnaireLoadError extends Error {
  override readonly name = 'QuestionnaireLoadError';
  constructor(
    readonly file: string,
    readonly problems: LoadProblem[],
  ) {
    super(`${file}: ${problems.map(describeProblem).join('; ')}`);
  }
}

function describeProblem(problem: LoadProblem): string {
  const where = [problem.rule ? `rule ${problem.rule}` : '', problem.path].filter((part) => part !== '').join(' at ');
  return where ? `${where}: ${problem.message}` : problem.message;
}

export function formatPath(issuePath: IssuePath | readonly PropertyKey[]): string {
  return issuePath.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out === '' ? String(key) : `${out}.${String(key)}`;
  }, '');
}

/** Later YAML errors are usually echoes of the first one; its line and column are what the author needs. */
export function yamlProblem(errors: readonly YAMLError[]): LoadProblem {
  const first = errors[0]?.message.split('\n')[0]?.replace(/:$/, '') ?? 'unreadable';
  return { path: '', message: `YAML syntax: ${first}` };
}

export interface ReadOptions {
  /** Largest file accepted; a rules or data file is a few hundred kB at most. */
  maxBytes: number;
  /** YAML aliases (`*name`) let a small file expand into a huge or cyclic one; data files do without them. */
  allowAliases: boolean;
}

/** Parses a YAML file into plain data, or throws naming `name` (the path shown to the author). */
export function readYamlFile(file: string, name: string, options: ReadOptions): unknown {
  const size = fs.statSync(file).size;
  if (size > options.maxBytes) throw new QuestionnaireLoadError(name, [{ path: '', message: `the file is ${size} bytes; at most ${options.maxBytes} are read` }]);
  const document = parseDocument(fs.readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) throw new QuestionnaireLoadError(name, [yamlProblem(document.errors)]);
  try {
    return document.toJS(options.allowAliases ? {} : { maxAliasCount: 0 });
  } catch (error) {
    const message = options.allowAliases ? (error as Error).message : 'YAML aliases (*name) are not allowed in this file; write the value out';
    throw new QuestionnaireLoadError(name, [{ path: '', message }]);
  }
}
