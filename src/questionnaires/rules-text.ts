/**
 * Rules in plain words, for the published rules pages: a condition becomes a tree of sentences in the reader's
 * language, naming questions by their labels and answers by their option texts, never as JSON.
 */
import type { Translate } from '../platform/i18n';
import { formatNumber } from './answers';
import { leafOperand, type LeafCondition } from './conditions-schema';
import { countryName } from './countries';
import { allQuestions, sectionOf } from './logic';
import { ruleQuestionIds } from './rules-checks';
import type { Locale, NumberOperand, Question, QuestionnaireDefinition, Rule, RuleCondition, ScalarOperand } from './types';

/** A sentence, and for a group the sentences it combines. */
export interface ConditionText {
  text: string;
  parts?: ConditionText[];
}

interface Describer {
  questions: ReadonlyMap<string, Question>;
  lang: Locale;
  t: Translate;
}

export function describeCondition(condition: RuleCondition, definition: QuestionnaireDefinition, lang: Locale, t: Translate): ConditionText {
  const questions = new Map(allQuestions(definition).map((q) => [q.id, q]));
  return describe(condition, { questions, lang, t }, false);
}

function describe(condition: RuleCondition, d: Describer, negated: boolean): ConditionText {
  if ('all' in condition) return group(negated ? 'notAll' : 'all', {}, condition.all, d);
  if ('any' in condition) return group(negated ? 'none' : 'any', {}, condition.any, d);
  if ('count' in condition) {
    const [comparison, count] = countComparison(condition);
    const text = d.t(`rules:condition.count.${comparison}`, { n: count });
    return negated ? { text: d.t('rules:condition.notThis'), parts: [{ text, parts: condition.count.map((c) => describe(c, d, false)) }] } : { text, parts: condition.count.map((c) => describe(c, d, false)) };
  }
  if ('not' in condition) return negated ? describe(condition.not, d, false) : describe(condition.not, d, true);
  return { text: leafText(condition, d, negated) };
}

function group(key: string, params: Record<string, unknown>, members: RuleCondition[], d: Describer): ConditionText {
  return { text: d.t(`rules:condition.${key}`, params), parts: members.map((c) => describe(c, d, false)) };
}

function countComparison(condition: Extract<RuleCondition, { count: unknown }>): [string, number] {
  if ('gte' in condition) return ['gte', condition.gte];
  if ('gt' in condition) return ['gt', condition.gt];
  if ('lte' in condition) return ['lte', condition.lte];
  if ('lt' in condition) return ['lt', condition.lt];
  return ['equals', condition.equals];
}

function leafText(leaf: LeafCondition, d: Describer, negated: boolean): string {
  const suffix = negated ? 'Not' : '';
  if ('answered' in leaf) {
    const target = d.questions.get(leaf.answered);
    const key = target?.type === 'evidence' ? 'uploaded' : 'answered';
    return d.t(`rules:condition.${key}${suffix}`, { question: labelOf(leaf.answered, d) });
  }
  const question = labelOf(leaf.question, d);
  const target = d.questions.get(leaf.question);
  if ('in' in leaf) return d.t(`rules:condition.in${suffix}`, { question, answers: orList(leaf.in.map((v) => answerText(v, target, d)), d) });
  if ('includes' in leaf) return d.t(`rules:condition.includes${suffix}`, { question, answer: answerText(leaf.includes, target, d) });
  if ('equals' in leaf && typeof leaf.equals === 'object') {
    return d.t(`rules:condition.sameAs${suffix}`, { question, other: labelOf(leaf.equals.question, d) });
  }
  if ('equals' in leaf) return d.t(`rules:condition.equals${suffix}`, { question, answer: answerText(leaf.equals, target, d) });
  const operator = 'gt' in leaf ? 'gt' : 'gte' in leaf ? 'gte' : 'lt' in leaf ? 'lt' : 'lte';
  return d.t(`rules:condition.${operator}${suffix}`, { question, value: operandText(leafOperand(leaf) as NumberOperand, target, d) });
}

function operandText(operand: NumberOperand, target: Question | undefined, d: Describer): string {
  if (typeof operand === 'number') return numberWithUnit(operand, target, d);
  if ('question' in operand) return d.t('rules:condition.answerTo', { question: labelOf(operand.question, d) });
  return d.t('rules:condition.minimumWorkingAgeOf', { question: labelOf(operand.minimum_working_age_of, d) });
}

function numberWithUnit(value: number, target: Question | undefined, d: Describer): string {
  const number = formatNumber(value, d.lang);
  const unit = target && 'unit' in target && target.unit ? target.unit[d.lang] : target?.type === 'percentage' ? '%' : undefined;
  return unit ? `${number} ${unit}` : number;
}

function answerText(value: ScalarOperand, target: Question | undefined, d: Describer): string {
  if (typeof value === 'object') return d.t('rules:condition.answerTo', { question: labelOf(value.question, d) });
  if (target && (target.type === 'single_choice' || target.type === 'multiple_choice')) {
    const option = target.options.find((o) => o.id === value);
    if (option) return quote(option.label[d.lang], d);
  }
  if (target?.type === 'yes_no') return quote(d.t(`rules:answers.${String(value)}`), d);
  if (target?.type === 'country' && typeof value === 'string') return quote(countryName(value, d.lang), d);
  if (typeof value === 'number') return numberWithUnit(value, target, d);
  return quote(value, d);
}

function labelOf(id: string, d: Describer): string {
  const target = d.questions.get(id);
  return quote(target ? target.label[d.lang] : id, d);
}

function quote(text: string, d: Describer): string {
  return d.t('rules:condition.quoted', { text });
}

function orList(items: string[], d: Describer): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${d.t('rules:condition.or')} ${items.at(-1)}`;
}

export interface RuleQuestion {
  id: string;
  label: string;
  section: string;
}

/** The questions a rule reads, in questionnaire order, with their section titles. */
export function ruleQuestions(rule: Rule, definition: QuestionnaireDefinition, lang: Locale): RuleQuestion[] {
  const read = new Set(ruleQuestionIds(rule));
  return allQuestions(definition)
    .filter((q) => read.has(q.id))
    .map((q) => ({ id: q.id, label: q.label[lang], section: sectionOf(q).title[lang] }));
}
