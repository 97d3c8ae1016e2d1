/**
 * Checks that need the whole definition: unique ids, and conditions that only read earlier questions with values
 * those questions can actually have. Structural validity is already established by the zod schema. The value checks
 * serve rules files too (rules-checks.ts).
 */
import { conditionReferences, leafOperand, type ConditionReference, type Issue, type IssuePath, type LeafCondition } from './conditions-schema';
import { isCountryCode } from './countries';
import { isCalendarDate } from './schema';
import type { Question, QuestionnaireDefinition, RuleCondition } from './types';

const NUMERIC_TYPES: ReadonlySet<Question['type']> = new Set(['number', 'integer', 'percentage']);

export interface Located {
  question: Question;
  sectionIndex: number;
  order: number;
}

export function crossCheck(definition: QuestionnaireDefinition): Issue[] {
  const issues: Issue[] = [];
  const located = locateQuestions(definition, issues);
  checkDuplicateSections(definition, issues);
  checkOptions(definition, issues);
  checkConditions(definition, located, issues);
  return issues;
}

export function locateQuestions(definition: QuestionnaireDefinition, issues: Issue[] = []): Map<string, Located> {
  const located = new Map<string, Located>();
  let order = 0;
  definition.sections.forEach((section, s) =>
    section.questions.forEach((question, q) => {
      const first = located.get(question.id);
      if (first) {
        const where = definition.sections[first.sectionIndex]?.id ?? '?';
        issues.push({ path: questionPath(s, q, 'id'), message: `duplicate question id "${question.id}" (first used in section "${where}")` });
        return;
      }
      located.set(question.id, { question, sectionIndex: s, order: order++ });
    }),
  );
  return located;
}

function checkDuplicateSections(definition: QuestionnaireDefinition, issues: Issue[]): void {
  const seen = new Set<string>();
  definition.sections.forEach((section, s) => {
    if (seen.has(section.id)) issues.push({ path: ['sections', s, 'id'], message: `duplicate section id "${section.id}"` });
    seen.add(section.id);
  });
}

function checkOptions(definition: QuestionnaireDefinition, issues: Issue[]): void {
  forEachQuestion(definition, (question, s, q) => {
    if (question.type !== 'single_choice' && question.type !== 'multiple_choice') return;
    const seen = new Set<string>();
    question.options.forEach((option, o) => {
      if (seen.has(option.id)) issues.push({ path: questionPath(s, q, 'options', o, 'id'), message: `duplicate option id "${option.id}"` });
      seen.add(option.id);
    });
  });
}

function checkConditions(definition: QuestionnaireDefinition, located: Map<string, Located>, issues: Issue[]): void {
  let order = 0;
  definition.sections.forEach((section, s) => {
    const firstOfSection = order;
    if (section.show_if) {
      checkCondition(section.show_if, ['sections', s, 'show_if'], located, issues, (target) =>
        target.order < firstOfSection ? undefined : 'a section condition can only refer to questions in earlier sections',
      );
    }
    section.questions.forEach((question, q) => {
      const own = order++;
      if (question.show_if) {
        checkCondition(question.show_if, questionPath(s, q, 'show_if'), located, issues, (target) =>
          target.order < own
            ? undefined
            : target.order === own
              ? 'a question cannot depend on itself'
              : `refers to a later question ("${target.question.id}"); conditions can only refer to earlier questions`,
        );
      }
    });
  });
}

function checkCondition(
  condition: RuleCondition,
  path: IssuePath,
  located: ReadonlyMap<string, Located>,
  issues: Issue[],
  positionProblem: (target: Located) => string | undefined,
): void {
  for (const ref of conditionReferences(condition, path)) {
    const target = located.get(ref.id);
    if (!target) {
      issues.push({ path: ref.path, message: `refers to unknown question "${ref.id}"` });
      continue;
    }
    const problem = positionProblem(target) ?? referenceProblem(ref, target.question, located);
    if (problem) issues.push({ path: ref.path, message: problem });
  }
}

/** Rules may read any question, in any order; only what they read and compare is checked. */
export function checkRuleCondition(condition: RuleCondition, path: IssuePath, questions: ReadonlyMap<string, Located>, issues: Issue[]): void {
  checkCondition(condition, path, questions, issues, () => undefined);
}

function referenceProblem(ref: ConditionReference, target: Question, located: ReadonlyMap<string, Located>): string | undefined {
  if (ref.role === 'country') {
    return target.type === 'country'
      ? undefined
      : `minimum_working_age_of needs a country question; "${target.id}" is ${target.type}`;
  }
  if (ref.role === 'operand') return undefined;
  const operand = leafOperand(ref.leaf);
  if (typeof operand === 'object') {
    const other = located.get('question' in operand ? operand.question : operand.minimum_working_age_of)?.question;
    return other === undefined ? undefined : operandProblem(ref.leaf, target, 'question' in operand ? other : undefined);
  }
  return valueProblem(ref.leaf, target);
}

/** A leaf comparing with another answer (or with country context, when `other` is undefined) needs comparable types. */
function operandProblem(leaf: LeafCondition, target: Question, other: Question | undefined): string | undefined {
  if ('equals' in leaf) {
    if (other === undefined) return undefined;
    if (target.type === 'multiple_choice' || target.type === 'evidence') return `"${target.id}" is ${target.type}; equals can only compare single answers`;
    if (sameKind(target, other)) return undefined;
    return `"${target.id}" (${target.type}) and "${other.id}" (${other.type}) cannot be compared`;
  }
  if (!NUMERIC_TYPES.has(target.type)) return `gt, gte, lt and lte only work on number, integer and percentage questions; "${target.id}" is ${target.type}`;
  if (other !== undefined && !NUMERIC_TYPES.has(other.type)) return `"${other.id}" is ${other.type}; it can only be compared as a number if it is one`;
  return undefined;
}

function sameKind(a: Question, b: Question): boolean {
  return a.type === b.type || (NUMERIC_TYPES.has(a.type) && NUMERIC_TYPES.has(b.type));
}

/** Whether the value a leaf compares with is one the referenced question can have. */
function valueProblem(leaf: LeafCondition, target: Question): string | undefined {
  if ('answered' in leaf) return undefined;
  if ('equals' in leaf) return scalarProblem(leaf.equals as string | number, target, 'equals');
  if ('in' in leaf) {
    for (const value of leaf.in) {
      const problem = scalarProblem(value, target, 'in');
      if (problem) return problem;
    }
    return undefined;
  }
  if ('includes' in leaf) {
    if (target.type !== 'multiple_choice') return `includes only works on a multiple_choice question; "${target.id}" is ${target.type}`;
    return target.options.some((o) => o.id === leaf.includes) ? undefined : unknownOption(leaf.includes, target);
  }
  return NUMERIC_TYPES.has(target.type)
    ? undefined
    : `gt, gte, lt and lte only work on number, integer and percentage questions; "${target.id}" is ${target.type}`;
}

function scalarProblem(value: string | number, target: Question, operator: string): string | undefined {
  switch (target.type) {
    case 'yes_no':
      return value === 'yes' || value === 'no' ? undefined : `"${target.id}" is a yes/no question; ${operator} must use yes or no, not "${value}"`;
    case 'single_choice':
      return target.options.some((o) => o.id === value) ? undefined : unknownOption(value, target);
    case 'multiple_choice':
      return `"${target.id}" is a multiple choice; test one option with includes`;
    case 'country':
      return typeof value === 'string' && isCountryCode(value) ? undefined : `"${value}" is not an ISO 3166-1 alpha-2 country code`;
    case 'number':
    case 'integer':
    case 'percentage':
      return typeof value === 'number' ? undefined : `"${target.id}" is a number question; ${operator} needs a number`;
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? undefined : `"${target.id}" is a date question; ${operator} needs an ISO date`;
    case 'short_text':
    case 'long_text':
      return typeof value === 'string' ? undefined : `"${target.id}" is a text question; ${operator} needs a text`;
    case 'evidence':
      return `"${target.id}" is an evidence upload; test it with answered`;
  }
}

function unknownOption(value: string | number, target: Question & { options: Array<{ id: string }> }): string {
  return `"${value}" is not an option of "${target.id}" (options: ${target.options.map((o) => o.id).join(', ')})`;
}

function questionPath(section: number, question: number, ...rest: IssuePath): IssuePath {
  return ['sections', section, 'questions', question, ...rest];
}

function forEachQuestion(definition: QuestionnaireDefinition, visit: (question: Question, s: number, q: number) => void): void {
  definition.sections.forEach((section, s) => section.questions.forEach((question, q) => visit(question, s, q)));
}
