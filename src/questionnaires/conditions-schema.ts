/**
 * Reading the condition format by hand rather than with a zod union: a union can only say "invalid input", while an
 * author writing `{question: x, equal: yes}` needs to hear "unknown operator equal".
 */
import type { Condition } from './types';

export type IssuePath = Array<string | number>;
export interface Issue {
  path: IssuePath;
  message: string;
}

/** Stands for "the question this red flag belongs to" until the loader fills in the real id. */
export const SELF_QUESTION = '$self';

const COMPARISONS = ['gt', 'gte', 'lt', 'lte'] as const;
const LEAF_OPERATORS = ['equals', 'in', ...COMPARISONS, 'includes'] as const;
const GROUPS = ['all', 'any'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

const EXAMPLE = '{question: employs_migrants, equals: yes}';

/**
 * Returns the condition, or undefined after pushing at least one issue. `implicitQuestion` lets red-flag conditions
 * leave out `question` to mean their own question.
 */
export function readCondition(
  raw: unknown,
  path: IssuePath,
  issues: Issue[],
  implicitQuestion = false,
): Condition | undefined {
  if (!isRecord(raw)) {
    issues.push({ path, message: `a condition must be a mapping such as ${EXAMPLE}` });
    return undefined;
  }
  const keys = Object.keys(raw);
  for (const group of GROUPS) {
    if (group in raw) return readGroup(group, raw, keys, path, issues, implicitQuestion);
  }
  if ('not' in raw) {
    if (!onlyKey('not', keys, path, issues)) return undefined;
    const inner = readCondition(raw.not, [...path, 'not'], issues, implicitQuestion);
    return inner && { not: inner };
  }
  if ('answered' in raw) {
    if (!onlyKey('answered', keys, path, issues)) return undefined;
    if (typeof raw.answered !== 'string' || raw.answered === '') {
      issues.push({ path: [...path, 'answered'], message: 'answered must name a question id' });
      return undefined;
    }
    return { answered: raw.answered };
  }
  return readLeaf(raw, keys, path, issues, implicitQuestion);
}

function onlyKey(key: string, keys: string[], path: IssuePath, issues: Issue[]): boolean {
  const extra = keys.filter((k) => k !== key);
  if (extra.length === 0) return true;
  issues.push({ path, message: `"${key}" cannot be combined with ${extra.map((k) => `"${k}"`).join(', ')} in one condition` });
  return false;
}

function readGroup(
  group: (typeof GROUPS)[number],
  raw: Record<string, unknown>,
  keys: string[],
  path: IssuePath,
  issues: Issue[],
  implicitQuestion: boolean,
): Condition | undefined {
  if (!onlyKey(group, keys, path, issues)) return undefined;
  const members = raw[group];
  if (!Array.isArray(members) || members.length === 0) {
    issues.push({ path: [...path, group], message: `${group} must be a non-empty list of conditions` });
    return undefined;
  }
  const before = issues.length;
  const read = members.map((member, i) => readCondition(member, [...path, group, i], issues, implicitQuestion));
  if (issues.length > before) return undefined;
  const conditions = read.filter((c): c is Condition => c !== undefined);
  return group === 'all' ? { all: conditions } : { any: conditions };
}

function readLeaf(
  raw: Record<string, unknown>,
  keys: string[],
  path: IssuePath,
  issues: Issue[],
  implicitQuestion: boolean,
): Condition | undefined {
  const operators = keys.filter((k) => k !== 'question');
  const unknown = operators.filter((k) => !(LEAF_OPERATORS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    issues.push({
      path,
      message: `unknown condition key ${unknown.map((k) => `"${k}"`).join(', ')}; use question with one of ${LEAF_OPERATORS.join(', ')}, or answered, all, any, not`,
    });
    return undefined;
  }
  if (operators.length !== 1) {
    issues.push({ path, message: `a condition needs exactly one of ${LEAF_OPERATORS.join(', ')} beside question, e.g. ${EXAMPLE}` });
    return undefined;
  }
  const question = readQuestionRef(raw.question, path, issues, implicitQuestion);
  const operator = operators[0] as (typeof LEAF_OPERATORS)[number];
  const value = raw[operator];
  const valuePath = [...path, operator];
  if (question === undefined) return undefined;
  switch (operator) {
    case 'equals':
      if (isScalar(value)) return { question, equals: value };
      issues.push({ path: valuePath, message: typeof value === 'boolean' ? 'write yes or no (not true/false)' : 'equals needs a text or number value' });
      return undefined;
    case 'in':
      if (Array.isArray(value) && value.length > 0 && value.every(isScalar)) return { question, in: value };
      issues.push({ path: valuePath, message: 'in needs a non-empty list of texts or numbers' });
      return undefined;
    case 'includes':
      if (typeof value === 'string' && value !== '') return { question, includes: value };
      issues.push({ path: valuePath, message: 'includes needs an option id' });
      return undefined;
    default:
      if (typeof value === 'number' && Number.isFinite(value)) return comparison(question, operator, value);
      issues.push({ path: valuePath, message: `${operator} needs a number` });
      return undefined;
  }
}

function comparison(question: string, operator: (typeof COMPARISONS)[number], value: number): Condition {
  switch (operator) {
    case 'gt':
      return { question, gt: value };
    case 'gte':
      return { question, gte: value };
    case 'lt':
      return { question, lt: value };
    case 'lte':
      return { question, lte: value };
  }
}

function readQuestionRef(raw: unknown, path: IssuePath, issues: Issue[], implicitQuestion: boolean): string | undefined {
  if (raw === undefined && implicitQuestion) return SELF_QUESTION;
  if (typeof raw === 'string' && raw !== '') return raw;
  issues.push({ path: [...path, 'question'], message: raw === undefined ? 'the condition does not say which question it tests' : 'question must be a question id' });
  return undefined;
}

/** Every question id a condition reads, with the path of the leaf that reads it. */
export function conditionReferences(condition: Condition, path: IssuePath): Array<{ id: string; path: IssuePath; leaf: Condition }> {
  if ('all' in condition) return condition.all.flatMap((c, i) => conditionReferences(c, [...path, 'all', i]));
  if ('any' in condition) return condition.any.flatMap((c, i) => conditionReferences(c, [...path, 'any', i]));
  if ('not' in condition) return conditionReferences(condition.not, [...path, 'not']);
  if ('answered' in condition) return [{ id: condition.answered, path, leaf: condition }];
  return [{ id: condition.question, path, leaf: condition }];
}

/** Replaces the implicit self reference of red-flag conditions with the owning question's id. */
export function bindSelf(condition: Condition, questionId: string): Condition {
  if ('all' in condition) return { all: condition.all.map((c) => bindSelf(c, questionId)) };
  if ('any' in condition) return { any: condition.any.map((c) => bindSelf(c, questionId)) };
  if ('not' in condition) return { not: bindSelf(condition.not, questionId) };
  if ('answered' in condition) return condition;
  return condition.question === SELF_QUESTION ? { ...condition, question: questionId } : condition;
}
