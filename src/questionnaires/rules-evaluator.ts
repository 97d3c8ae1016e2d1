/**
 * Evaluating rules over one set of answers: a pure function (no database, no clock) that returns the triggered
 * flags, each with the answers that caused it. Same input, same output, in rules-file order.
 *
 * Rules that did not come from the loader are checked first as a rules file would be, so hostile data (deep
 * nesting, unknown operators, wrong types, huge lists) is refused with a QuestionnaireLoadError naming the rule and
 * path; answers are checked against their questions and refused with a RuleEvaluationError naming the answer.
 */
import { canonicalJson } from './canonical';
import { storedAnswerProblem } from './answers';
import { leafOperand, type LeafCondition } from './conditions-schema';
import type { CountryContext } from './country-context';
import { allQuestions, compareNumbers, computeVisibility, includesOption, isAnswered, isOneOf } from './logic';
import { isCheckedRuleSet, parseRuleSet, ruleSetKey } from './rules-loader';
import {
  type AnswerValue,
  type Comparison,
  type Answers,
  type Convention,
  type FollowUp,
  type ForcedLabourIndicator,
  type Localized,
  type NumberOperand,
  type QuestionnaireDefinition,
  type Rule,
  type RuleCondition,
  type RuleSet,
  type ScalarOperand,
  type Severity,
} from './types';

/** An answer that made a rule hold: the question and the value as given (null when unanswered or hidden). */
export interface FlagCause {
  question: string;
  value: AnswerValue | null;
}

/** A figure from the country context a triggered rule compared with, and where it comes from. */
export interface FlagContext {
  kind: 'minimum_working_age';
  /** The country question whose answer chose the figure. */
  question: string;
  country: string;
  age: number;
  /** True when the country has no sourced value and C138's general minimum of 15 was used. */
  fallback: boolean;
  source: { title: string; url: string };
}

export interface TriggeredFlag {
  ruleId: string;
  title: Localized;
  /** The rules version that raised the flag: `questionnaireId@questionnaireVersion/rules@rulesVersion`. */
  rulesKey: string;
  questionnaireId: string;
  questionnaireVersion: number;
  rulesVersion: number;
  severity: Severity;
  indicators: ForcedLabourIndicator[];
  conventions: Convention[];
  followUp: FollowUp;
  rationale: Localized;
  causes: FlagCause[];
  context: FlagContext[];
}

export class RuleEvaluationError extends Error {
  override readonly name = 'RuleEvaluationError';
  constructor(
    /** Where in the input the problem is, e.g. `answers.minimum_hiring_age`. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

interface Environment {
  valueOf(questionId: string): AnswerValue | undefined;
  context: CountryContext;
}

/**
 * The flags `answers` trigger under `rules`. `answers` are stored answers (as `parseAnswer` returns them), keyed by
 * question id; hidden and unanswered questions have no value.
 */
export function evaluateRules(rules: RuleSet | unknown, definition: QuestionnaireDefinition, answers: unknown, context: CountryContext): TriggeredFlag[] {
  const ruleSet = isCheckedRuleSet(rules) ? rules : parseRuleSet(rules, definition, context, 'rules given to evaluateRules');
  if (ruleSet.questionnaire.id !== definition.id || ruleSet.questionnaire.version !== definition.version) {
    throw new RuleEvaluationError('rules', `${ruleSetKey(ruleSet)} cannot be evaluated over ${definition.id}@${definition.version}`);
  }
  const checked = checkAnswers(definition, answers);
  const visibility = computeVisibility(definition, checked);
  const env: Environment = { valueOf: visibility.valueOf, context };
  const order = questionOrder(definition);
  const flags: TriggeredFlag[] = [];
  for (const rule of ruleSet.rules) {
    if (holds(rule.when, env)) flags.push(flagOf(rule, ruleSet, env, order));
  }
  return flags;
}

/** Whether every example of every rule behaves as it says; the failures, for tests and for checking a new file. */
export function checkRuleExamples(
  ruleSet: RuleSet,
  definition: QuestionnaireDefinition,
  context: CountryContext,
): Array<{ rule: string; kind: 'triggers' | 'does_not_trigger'; index: number }> {
  const failures: Array<{ rule: string; kind: 'triggers' | 'does_not_trigger'; index: number }> = [];
  for (const rule of ruleSet.rules) {
    for (const kind of ['triggers', 'does_not_trigger'] as const) {
      rule.examples[kind].forEach((answers, index) => {
        const triggered = evaluateRules(ruleSet, definition, answers, context).some((flag) => flag.ruleId === rule.id);
        if (triggered !== (kind === 'triggers')) failures.push({ rule: rule.id, kind, index });
      });
    }
  }
  return failures;
}

function checkAnswers(definition: QuestionnaireDefinition, answers: unknown): Answers {
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new RuleEvaluationError('answers', 'must be a mapping of question id to answer');
  }
  const record = answers as Record<string, unknown>;
  for (const question of allQuestions(definition)) {
    if (!Object.prototype.hasOwnProperty.call(record, question.id)) continue;
    const value = record[question.id];
    if (isEmptyValue(value)) continue;
    const problem = storedAnswerProblem(question, value);
    if (problem) throw new RuleEvaluationError(`answers.${question.id}`, `not a valid answer to this ${question.type} question: ${problem}`);
  }
  return record as Answers;
}

/** Empty text and empty lists count as unanswered everywhere, as they do for visibility; anything else is checked. */
function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string' || Array.isArray(value)) return !isAnswered(value as AnswerValue);
  return false;
}

const orders = new WeakMap<QuestionnaireDefinition, Map<string, number>>();

function questionOrder(definition: QuestionnaireDefinition): Map<string, number> {
  let order = orders.get(definition);
  if (!order) {
    order = new Map(allQuestions(definition).map((q, i) => [q.id, i]));
    orders.set(definition, order);
  }
  return order;
}

function holds(condition: RuleCondition, env: Environment): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, env));
  if ('any' in condition) return condition.any.some((c) => holds(c, env));
  if ('not' in condition) return !holds(condition.not, env);
  if ('count' in condition) return countHolds(condition, condition.count.filter((c) => holds(c, env)).length);
  return leafHolds(condition, env);
}

function countHolds(condition: Extract<RuleCondition, { count: unknown }>, held: number): boolean {
  if ('equals' in condition) return held === condition.equals;
  if ('gt' in condition) return held > condition.gt;
  if ('gte' in condition) return held >= condition.gte;
  if ('lt' in condition) return held < condition.lt;
  return held <= condition.lte;
}

function leafHolds(leaf: LeafCondition, env: Environment): boolean {
  if ('answered' in leaf) return env.valueOf(leaf.answered) !== undefined;
  const value = env.valueOf(leaf.question);
  if (value === undefined) return false;
  if ('in' in leaf) return isOneOf(value, leaf.in);
  if ('includes' in leaf) return includesOption(value, leaf.includes);
  if ('equals' in leaf) {
    const operand = scalarOperand(leaf.equals, env);
    return operand !== undefined && value === operand;
  }
  const [operator, raw] = comparisonOf(leaf);
  const operand = numberOperand(raw, env);
  return operand !== undefined && compareNumbers(operator, value, operand);
}

function comparisonOf(leaf: Extract<LeafCondition, { gt: unknown } | { gte: unknown } | { lt: unknown } | { lte: unknown }>): [Comparison, NumberOperand] {
  if ('gt' in leaf) return ['gt', leaf.gt];
  if ('gte' in leaf) return ['gte', leaf.gte];
  if ('lt' in leaf) return ['lt', leaf.lt];
  return ['lte', leaf.lte];
}

function scalarOperand(operand: ScalarOperand, env: Environment): AnswerValue | undefined {
  return typeof operand === 'object' ? env.valueOf(operand.question) : operand;
}

function numberOperand(operand: NumberOperand, env: Environment): number | undefined {
  if (typeof operand === 'number') return operand;
  if ('question' in operand) {
    const value = env.valueOf(operand.question);
    return typeof value === 'number' ? value : undefined;
  }
  const country = env.valueOf(operand.minimum_working_age_of);
  return typeof country === 'string' ? env.context.minimumWorkingAge(country).age : undefined;
}

function flagOf(rule: Rule, ruleSet: RuleSet, env: Environment, order: Map<string, number>): TriggeredFlag {
  const causes = new Set<string>();
  const context: FlagContext[] = [];
  collectCauses(rule.when, env, causes, context);
  return {
    ruleId: rule.id,
    title: { sv: rule.title.sv, en: rule.title.en },
    rulesKey: ruleSetKey(ruleSet),
    questionnaireId: ruleSet.questionnaire.id,
    questionnaireVersion: ruleSet.questionnaire.version,
    rulesVersion: ruleSet.version,
    severity: rule.severity,
    indicators: [...rule.indicators],
    conventions: [...rule.conventions],
    followUp: rule.follow_up,
    rationale: { sv: rule.rationale.sv, en: rule.rationale.en },
    causes: [...causes]
      .sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
      .map((question) => ({ question, value: copyValue(env.valueOf(question)) })),
    context: uniqueContext(context),
  };
}

/**
 * The answers that made a holding condition hold: every part of an `all`, the holding parts of an `any` (and of a
 * `count` of at least n), and everything a `not` (or a `count` of at most n) reads, since their values, or their
 * absence, are what made the inner condition false.
 */
function collectCauses(condition: RuleCondition, env: Environment, causes: Set<string>, context: FlagContext[]): void {
  if ('all' in condition) {
    for (const c of condition.all) collectCauses(c, env, causes, context);
  } else if ('any' in condition) {
    for (const c of condition.any) if (holds(c, env)) collectCauses(c, env, causes, context);
  } else if ('not' in condition) {
    addReadIds(condition.not, causes);
  } else if ('count' in condition) {
    const atMost = 'lt' in condition || 'lte' in condition;
    for (const c of condition.count) {
      if (atMost && !holds(c, env)) addReadIds(c, causes);
      if (!atMost && holds(c, env)) collectCauses(c, env, causes, context);
    }
  } else {
    addReadIds(condition, causes);
    const operand = 'answered' in condition ? undefined : leafOperand(condition);
    if (typeof operand === 'object' && 'minimum_working_age_of' in operand) {
      const country = env.valueOf(operand.minimum_working_age_of);
      if (typeof country === 'string') {
        const figure = env.context.minimumWorkingAge(country);
        context.push({
          kind: 'minimum_working_age',
          question: operand.minimum_working_age_of,
          country,
          age: figure.age,
          fallback: figure.fallback,
          source: { title: figure.source.title, url: figure.source.url },
        });
      }
    }
  }
}

/** The ids of every question a condition reads (conditionReferences without its paths, which causes do not need). */
function addReadIds(condition: RuleCondition, ids: Set<string>): void {
  if ('all' in condition) for (const c of condition.all) addReadIds(c, ids);
  else if ('any' in condition) for (const c of condition.any) addReadIds(c, ids);
  else if ('count' in condition) for (const c of condition.count) addReadIds(c, ids);
  else if ('not' in condition) addReadIds(condition.not, ids);
  else if ('answered' in condition) ids.add(condition.answered);
  else {
    ids.add(condition.question);
    const operand = leafOperand(condition);
    if (typeof operand === 'object') ids.add('question' in operand ? operand.question : operand.minimum_working_age_of);
  }
}

function uniqueContext(context: FlagContext[]): FlagContext[] {
  const seen = new Set<string>();
  return context.filter((entry) => {
    const key = `${entry.question}:${entry.country}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function copyValue(value: AnswerValue | undefined): AnswerValue | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' ? { ...item } : item)) as AnswerValue;
  return value;
}

export interface RuleChange {
  id: string;
  before: Rule;
  after: Rule;
  /** The fields that differ, e.g. `when`, `severity`. */
  fields: Array<keyof Rule>;
}

export interface RulesDiff {
  from: string;
  to: string;
  added: Rule[];
  removed: Rule[];
  changed: RuleChange[];
  unchanged: string[];
}

/** What changed from one rules version to another, rule by rule (matched by id). */
export function diffRuleSets(from: RuleSet, to: RuleSet): RulesDiff {
  const before = new Map(from.rules.map((rule) => [rule.id, rule]));
  const after = new Map(to.rules.map((rule) => [rule.id, rule]));
  const changed: RuleChange[] = [];
  const unchanged: string[] = [];
  for (const rule of to.rules) {
    const old = before.get(rule.id);
    if (!old) continue;
    const fields = (Object.keys({ ...old, ...rule }) as Array<keyof Rule>).filter((key) => canonicalJson(old[key]) !== canonicalJson(rule[key]));
    if (fields.length > 0) changed.push({ id: rule.id, before: old, after: rule, fields });
    else unchanged.push(rule.id);
  }
  return {
    from: ruleSetKey(from),
    to: ruleSetKey(to),
    added: to.rules.filter((rule) => !before.has(rule.id)),
    removed: from.rules.filter((rule) => !after.has(rule.id)),
    changed,
    unchanged,
  };
}
