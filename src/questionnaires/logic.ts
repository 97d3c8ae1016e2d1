/**
 * Conditional display, progress and red flags over a loaded definition. Pure functions of (definition, answers).
 *
 * Visibility is transitive: a question whose section or own condition is false is hidden, and a hidden question
 * counts as unanswered for every condition that reads it, whatever is stored for it. Because conditions may only
 * read earlier questions, one pass in document order settles everything.
 */
import type { AnswerValue, Answers, Condition, Question, QuestionnaireDefinition, RedFlag, Section } from './types';

interface DefinitionIndex {
  definition: QuestionnaireDefinition;
  sectionOf: Map<Question, Section>;
}

/** Sections and questions know their definition without a back-reference in the data (which is hashed and frozen). */
const indexes = new WeakMap<object, DefinitionIndex>();

export function indexDefinition(definition: QuestionnaireDefinition): void {
  const index: DefinitionIndex = { definition, sectionOf: new Map() };
  indexes.set(definition, index);
  for (const section of definition.sections) {
    indexes.set(section, index);
    for (const question of section.questions) {
      indexes.set(question, index);
      index.sectionOf.set(question, section);
    }
  }
}

function indexOf(node: QuestionnaireDefinition | Section | Question): DefinitionIndex {
  const index = indexes.get(node);
  if (!index) {
    throw new Error(
      `"${node.id}" does not come from a loaded questionnaire; use the objects returned by loadQuestionnaires or parseDefinition`,
    );
  }
  return index;
}

export function isAnswered(value: AnswerValue | null | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return Number.isFinite(value);
}

/** What the questionnaire sees for one set of answers: which questions are shown and what each shown one holds. */
export interface Visibility {
  isSectionVisible(section: Section): boolean;
  isQuestionVisible(question: Question): boolean;
  /** The answer as conditions see it: undefined when hidden or unanswered. */
  valueOf(questionId: string): AnswerValue | undefined;
}

export function computeVisibility(definition: QuestionnaireDefinition, answers: Answers): Visibility {
  const sections = new Set<Section>();
  const questions = new Set<Question>();
  const shown = new Map<string, AnswerValue>();
  const valueOf = (id: string): AnswerValue | undefined => shown.get(id);
  for (const section of definition.sections) {
    if (section.show_if && !evaluateCondition(section.show_if, valueOf)) continue;
    sections.add(section);
    for (const question of section.questions) {
      if (question.show_if && !evaluateCondition(question.show_if, valueOf)) continue;
      questions.add(question);
      const value = ownAnswer(answers, question.id);
      if (value !== undefined && isAnswered(value)) shown.set(question.id, value);
    }
  }
  return {
    isSectionVisible: (section) => sections.has(section),
    isQuestionVisible: (question) => questions.has(question),
    valueOf,
  };
}

/** Only own properties count as answers: an id such as `constructor` must not find Object.prototype. */
function ownAnswer(answers: Answers, id: string): AnswerValue | undefined {
  return Object.prototype.hasOwnProperty.call(answers, id) ? answers[id] : undefined;
}

export function evaluateCondition(condition: Condition, valueOf: (questionId: string) => AnswerValue | undefined): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluateCondition(c, valueOf));
  if ('any' in condition) return condition.any.some((c) => evaluateCondition(c, valueOf));
  if ('not' in condition) return !evaluateCondition(condition.not, valueOf);
  if ('answered' in condition) return valueOf(condition.answered) !== undefined;
  const value = valueOf(condition.question);
  if (value === undefined) return false;
  if ('equals' in condition) return value === condition.equals;
  if ('in' in condition) return (typeof value === 'string' || typeof value === 'number') && condition.in.includes(value);
  if ('includes' in condition) return Array.isArray(value) && value.some((item) => item === condition.includes);
  if (typeof value !== 'number') return false;
  if ('gt' in condition) return value > condition.gt;
  if ('gte' in condition) return value >= condition.gte;
  if ('lt' in condition) return value < condition.lt;
  return value <= condition.lte;
}

export function isVisible(question: Question, answers: Answers): boolean {
  return computeVisibility(indexOf(question).definition, answers).isQuestionVisible(question);
}

export function isSectionVisible(section: Section, answers: Answers): boolean {
  return computeVisibility(indexOf(section).definition, answers).isSectionVisible(section);
}

export function visibleQuestions(scope: QuestionnaireDefinition | Section, answers: Answers): Question[] {
  const visibility = computeVisibility(indexOf(scope).definition, answers);
  const questions = 'sections' in scope ? scope.sections.flatMap((s) => s.questions) : scope.questions;
  return questions.filter((q) => visibility.isQuestionVisible(q));
}

/** Ids of answers held for questions that are hidden now; they are to be discarded, never shown or scored. */
export function hiddenAnswerIds(definition: QuestionnaireDefinition, answers: Answers): string[] {
  const visibility = computeVisibility(definition, answers);
  return allQuestions(definition)
    .filter((q) => isAnswered(ownAnswer(answers, q.id)) && !visibility.isQuestionVisible(q))
    .map((q) => q.id);
}

export interface SectionProgress {
  /** Visible questions in the section. */
  total: number;
  answered: number;
  required: number;
  requiredAnswered: number;
  complete: boolean;
}

export function sectionProgress(section: Section, answers: Answers): SectionProgress {
  const visibility = computeVisibility(indexOf(section).definition, answers);
  const visible = section.questions.filter((q) => visibility.isQuestionVisible(q));
  const answered = visible.filter((q) => visibility.valueOf(q.id) !== undefined);
  const required = visible.filter((q) => q.required);
  const requiredAnswered = required.filter((q) => visibility.valueOf(q.id) !== undefined);
  return {
    total: visible.length,
    answered: answered.length,
    required: required.length,
    requiredAnswered: requiredAnswered.length,
    complete: requiredAnswered.length === required.length,
  };
}

/** Required questions that are visible and unanswered, in document order; submit is refused while any remain. */
export function missingRequired(definition: QuestionnaireDefinition, answers: Answers): Question[] {
  const visibility = computeVisibility(definition, answers);
  return allQuestions(definition).filter(
    (q) => q.required && visibility.isQuestionVisible(q) && visibility.valueOf(q.id) === undefined,
  );
}

export function sectionOf(question: Question): Section {
  const section = indexOf(question).sectionOf.get(question);
  if (!section) throw new Error(`question "${question.id}" has no section`);
  return section;
}

export interface TriggeredRedFlag {
  question: Question;
  flag: RedFlag;
}

/** Red flags whose condition holds for the visible answers; input for the risk engine. */
export function triggeredRedFlags(definition: QuestionnaireDefinition, answers: Answers): TriggeredRedFlag[] {
  const visibility = computeVisibility(definition, answers);
  return allQuestions(definition)
    .filter((q) => visibility.isQuestionVisible(q))
    .flatMap((question) =>
      (question.red_flags ?? [])
        .filter((flag) => evaluateCondition(flag.when, visibility.valueOf))
        .map((flag) => ({ question, flag })),
    );
}

export function allQuestions(definition: QuestionnaireDefinition): Question[] {
  return definition.sections.flatMap((section) => section.questions);
}
