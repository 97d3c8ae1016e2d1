/**
 * Reading the condition format by hand rather than with a zod union: a union can only say "invalid input", while an
 * author writing `{question: x, equal: yes}` needs to hear "unknown operator equal".
 *
 * Two dialects share the reader: `display` (show_if) and `rule` (rules files), which adds comparisons with another
 * answer or with country context, and `count`. Both are bounded (depth, list sizes), so a hostile or runaway file
 * gives an error naming the place instead of exhausting the stack or the CPU.
 */
import {
  COMPARISONS,
  type Comparison,
  type CountComparison,
  type NumberOperand,
  type RuleCondition,
  type ScalarOperand,
} from './types';

export type IssuePath = Array<string | number>;
export interface Issue {
  path: IssuePath;
  message: string;
}

export type ConditionDialect = 'display' | 'rule';

/** Deeper nesting than this is refused: real conditions stay within three or four levels. */
export const MAX_CONDITION_DEPTH = 8;
/** Most conditions an `all`, `any` or `count` may combine. */
export const MAX_GROUP_MEMBERS = 50;
/** Most values an `in` list may hold. */
export const MAX_IN_VALUES = 100;
const MAX_ID_LENGTH = 100;

const LEAF_OPERATORS = ['equals', 'in', ...COMPARISONS, 'includes'] as const;
type LeafOperator = (typeof LEAF_OPERATORS)[number];
const GROUPS = ['all', 'any'] as const;
const COUNT_COMPARISONS = ['equals', ...COMPARISONS] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

const EXAMPLE = '{question: employs_migrants, equals: yes}';

interface Reader {
  dialect: ConditionDialect;
  issues: Issue[];
}

/** Returns the condition, or undefined after pushing at least one issue. */
export function readCondition(raw: unknown, path: IssuePath, issues: Issue[], dialect: ConditionDialect = 'display'): RuleCondition | undefined {
  return read(raw, path, { dialect, issues }, 1);
}

function read(raw: unknown, path: IssuePath, reader: Reader, depth: number): RuleCondition | undefined {
  const { issues } = reader;
  if (depth > MAX_CONDITION_DEPTH) {
    issues.push({ path, message: `conditions may be nested at most ${MAX_CONDITION_DEPTH} levels deep` });
    return undefined;
  }
  if (!isRecord(raw)) {
    issues.push({ path, message: `a condition must be a mapping such as ${EXAMPLE}` });
    return undefined;
  }
  const keys = Object.keys(raw);
  for (const group of GROUPS) {
    if (group in raw) {
      if (!onlyKey(group, keys, path, issues)) return undefined;
      const members = readMembers(raw[group], [...path, group], group, reader, depth);
      return members && (group === 'all' ? { all: members } : { any: members });
    }
  }
  if ('count' in raw) return readCount(raw, keys, path, reader, depth);
  if ('not' in raw) {
    if (!onlyKey('not', keys, path, issues)) return undefined;
    const inner = read(raw.not, [...path, 'not'], reader, depth + 1);
    return inner && { not: inner };
  }
  if ('answered' in raw) {
    if (!onlyKey('answered', keys, path, issues)) return undefined;
    const id = readId(raw.answered, [...path, 'answered'], issues, 'answered must name a question id');
    return id === undefined ? undefined : { answered: id };
  }
  return readLeaf(raw, keys, path, reader);
}

function onlyKey(key: string, keys: string[], path: IssuePath, issues: Issue[]): boolean {
  const extra = keys.filter((k) => k !== key);
  if (extra.length === 0) return true;
  issues.push({ path, message: `"${key}" cannot be combined with ${quoteList(extra)} in one condition` });
  return false;
}

function quoteList(keys: string[]): string {
  return keys
    .slice(0, 5)
    .map((k) => `"${k.slice(0, MAX_ID_LENGTH)}"`)
    .join(', ');
}

function readMembers(members: unknown, path: IssuePath, group: string, reader: Reader, depth: number): RuleCondition[] | undefined {
  const { issues } = reader;
  if (!Array.isArray(members) || members.length === 0) {
    issues.push({ path, message: `${group} must be a non-empty list of conditions` });
    return undefined;
  }
  if (members.length > MAX_GROUP_MEMBERS) {
    issues.push({ path, message: `${group} may combine at most ${MAX_GROUP_MEMBERS} conditions (it has ${members.length})` });
    return undefined;
  }
  const before = issues.length;
  const conditions = members.map((member, i) => read(member, [...path, i], reader, depth + 1));
  if (issues.length > before) return undefined;
  return conditions.filter((c): c is RuleCondition => c !== undefined);
}

function readCount(raw: Record<string, unknown>, keys: string[], path: IssuePath, reader: Reader, depth: number): RuleCondition | undefined {
  const { issues } = reader;
  if (reader.dialect !== 'rule') {
    issues.push({ path, message: 'count can only be used in rules, not in show_if' });
    return undefined;
  }
  const comparisons = keys.filter((k) => k !== 'count');
  const unknown = comparisons.filter((k) => !(COUNT_COMPARISONS as readonly string[]).includes(k));
  if (unknown.length > 0 || comparisons.length !== 1) {
    issues.push({
      path,
      message: `count needs exactly one of ${COUNT_COMPARISONS.join(', ')} beside it, e.g. {count: [...], gte: 3}${unknown.length > 0 ? `; unknown key ${quoteList(unknown)}` : ''}`,
    });
    return undefined;
  }
  const operator = comparisons[0] as (typeof COUNT_COMPARISONS)[number];
  const value = raw[operator];
  const members = readMembers(raw.count, [...path, 'count'], 'count', reader, depth);
  if (!members) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > members.length) {
    issues.push({ path: [...path, operator], message: `${operator} needs a whole number from 0 to ${members.length} (the number of conditions counted)` });
    return undefined;
  }
  return { count: members, ...countComparison(operator, value) };
}

function countComparison(operator: (typeof COUNT_COMPARISONS)[number], value: number): CountComparison {
  switch (operator) {
    case 'equals':
      return { equals: value };
    case 'gt':
      return { gt: value };
    case 'gte':
      return { gte: value };
    case 'lt':
      return { lt: value };
    case 'lte':
      return { lte: value };
  }
}

function readLeaf(raw: Record<string, unknown>, keys: string[], path: IssuePath, reader: Reader): RuleCondition | undefined {
  const { issues } = reader;
  const operators = keys.filter((k) => k !== 'question');
  const unknown = operators.filter((k) => !(LEAF_OPERATORS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    const others = reader.dialect === 'rule' ? 'answered, all, any, not, count' : 'answered, all, any, not';
    issues.push({ path, message: `unknown condition key ${quoteList(unknown)}; use question with one of ${LEAF_OPERATORS.join(', ')}, or ${others}` });
    return undefined;
  }
  if (operators.length !== 1) {
    issues.push({ path, message: `a condition needs exactly one of ${LEAF_OPERATORS.join(', ')} beside question, e.g. ${EXAMPLE}` });
    return undefined;
  }
  const question =
    raw.question === undefined
      ? (issues.push({ path: [...path, 'question'], message: 'the condition does not say which question it tests' }), undefined)
      : readId(raw.question, [...path, 'question'], issues, 'question must be a question id');
  const operator = operators[0] as LeafOperator;
  const value = raw[operator];
  const valuePath = [...path, operator];
  if (question === undefined) return undefined;
  switch (operator) {
    case 'equals': {
      const operand = readScalarOperand(value, valuePath, reader);
      return operand === undefined ? undefined : { question, equals: operand };
    }
    case 'in':
      if (Array.isArray(value) && value.length > MAX_IN_VALUES) {
        issues.push({ path: valuePath, message: `in may list at most ${MAX_IN_VALUES} values (it has ${value.length})` });
        return undefined;
      }
      if (Array.isArray(value) && value.length > 0 && value.every(isScalar)) return { question, in: value };
      issues.push({ path: valuePath, message: 'in needs a non-empty list of texts or numbers' });
      return undefined;
    case 'includes':
      if (typeof value === 'string' && value !== '' && value.length <= MAX_ID_LENGTH) return { question, includes: value };
      issues.push({ path: valuePath, message: 'includes needs an option id' });
      return undefined;
    default: {
      const operand = readNumberOperand(value, operator, valuePath, reader);
      return operand === undefined ? undefined : comparison(question, operator, operand);
    }
  }
}

function readScalarOperand(value: unknown, path: IssuePath, reader: Reader): ScalarOperand | undefined {
  if (isScalar(value)) return value;
  if (reader.dialect === 'rule' && isRecord(value)) {
    const reference = readReference(value, path, reader, ['question']);
    return typeof reference === 'object' && 'question' in reference ? reference : undefined;
  }
  reader.issues.push({ path, message: typeof value === 'boolean' ? 'write yes or no (not true/false)' : 'equals needs a text or number value' });
  return undefined;
}

function readNumberOperand(value: unknown, operator: Comparison, path: IssuePath, reader: Reader): NumberOperand | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (reader.dialect === 'rule' && isRecord(value)) return readReference(value, path, reader, ['question', 'minimum_working_age_of']);
  const alternatives = reader.dialect === 'rule' ? ', {question: other_question} or {minimum_working_age_of: country_question}' : '';
  reader.issues.push({ path, message: `${operator} needs a number${alternatives}` });
  return undefined;
}

function readReference(
  value: Record<string, unknown>,
  path: IssuePath,
  reader: Reader,
  allowed: ReadonlyArray<'question' | 'minimum_working_age_of'>,
): NumberOperand | undefined {
  const keys = Object.keys(value);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || !(allowed as readonly string[]).includes(key)) {
    reader.issues.push({ path, message: `compare with a value, or with ${allowed.map((k) => `{${k}: question_id}`).join(' or ')}` });
    return undefined;
  }
  const id = readId(value[key], [...path, key], reader.issues, `${key} must name a question id`);
  if (id === undefined) return undefined;
  return key === 'question' ? { question: id } : { minimum_working_age_of: id };
}

function readId(raw: unknown, path: IssuePath, issues: Issue[], message: string): string | undefined {
  if (typeof raw === 'string' && raw !== '' && raw.length <= MAX_ID_LENGTH) return raw;
  issues.push({ path, message });
  return undefined;
}

function comparison(question: string, operator: Comparison, value: NumberOperand): RuleCondition {
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

export type LeafCondition = Exclude<RuleCondition, { all: unknown } | { any: unknown } | { not: unknown } | { count: unknown }>;

export interface ConditionReference {
  /** The question read. */
  id: string;
  path: IssuePath;
  leaf: LeafCondition;
  /** How the leaf reads it: the answer it tests, an answer it compares with, or a country whose context it uses. */
  role: 'subject' | 'operand' | 'country';
}

/** Every question id a condition reads, with the path of the leaf that reads it. */
export function conditionReferences(condition: RuleCondition, path: IssuePath): ConditionReference[] {
  if ('all' in condition) return condition.all.flatMap((c, i) => conditionReferences(c, [...path, 'all', i]));
  if ('any' in condition) return condition.any.flatMap((c, i) => conditionReferences(c, [...path, 'any', i]));
  if ('count' in condition) return condition.count.flatMap((c, i) => conditionReferences(c, [...path, 'count', i]));
  if ('not' in condition) return conditionReferences(condition.not, [...path, 'not']);
  if ('answered' in condition) return [{ id: condition.answered, path, leaf: condition, role: 'subject' }];
  const references: ConditionReference[] = [{ id: condition.question, path, leaf: condition, role: 'subject' }];
  const operand = leafOperand(condition);
  if (typeof operand === 'object') {
    references.push(
      'question' in operand
        ? { id: operand.question, path, leaf: condition, role: 'operand' }
        : { id: operand.minimum_working_age_of, path, leaf: condition, role: 'country' },
    );
  }
  return references;
}

/** The value a comparison leaf compares with (a literal or a reference); undefined for `in`, `includes`, `answered`. */
export function leafOperand(leaf: LeafCondition): ScalarOperand | NumberOperand | undefined {
  if ('equals' in leaf) return leaf.equals;
  if ('gt' in leaf) return leaf.gt;
  if ('gte' in leaf) return leaf.gte;
  if ('lt' in leaf) return leaf.lt;
  if ('lte' in leaf) return leaf.lte;
  return undefined;
}
