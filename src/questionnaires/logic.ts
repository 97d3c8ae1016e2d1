/**
 * Conditional display and progress over a loaded definition. Pure functions of (definition, answers); rules are
 * evaluated over the same visibility in rules-evaluator.ts.
 *
 * Visibility is transitive: a question whose section or own condition is false is hidden, and a hidden question
 * counts as unanswered for every condition that reads it, whatever is stored for it. Because conditions may only
 * read earlier questions, one pass in document order settles everything.
 */
import type { AnswerValue, Answers, Comparison, Condition, Question, QuestionnaireDefinition, Section } from './types';

interface DefinitionIndex {
  definition: QuestionnaireDefinition;
  /*
   * Plain copies of the frozen definition's arrays: visibility is computed on every page render and every save, and
   * V8 iterates frozen arrays noticeably slower.
   */
  sections: Array<{ section: Section; questions: Question[] }>;
  questions: Question[];
  sectionOf: Map<Question, Section>;
}

/** Sections and questions know their definition without a back-reference in the data (which is hashed and frozen). */
const indexes = new WeakMap<object, DefinitionIndex>();

export function indexDefinition(definition: QuestionnaireDefinition): void {
  const index: DefinitionIndex = { definition, sections: [], questions: [], sectionOf: new Map() };
  indexes.set(definition, index);
  for (const section of definition.sections) {
    indexes.set(section, index);
    index.sections.push({ section, questions: [...section.questions] });
    for (const question of section.questions) {
      indexes.set(question, index);
      index.questions.push(question);
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

export interface SectionProgress {
  /** Visible questions in the section. */
  total: number;
  answered: number;
  required: number;
  requiredAnswered: number;
  complete: boolean;
}

/**
 * What the questionnaire looks like for one set of answers, computed in one pass. A page that asks many questions
 * (section list, progress, visible questions) should compute it once and ask it, rather than call the functions
 * below, which each compute it afresh.
 */
export interface Visibility {
  isSectionVisible(section: Section): boolean;
  isQuestionVisible(question: Question): boolean;
  /** The answer as conditions see it: undefined when hidden or unanswered. */
  valueOf(questionId: string): AnswerValue | undefined;
  visibleQuestions(scope?: Section): Question[];
  progress(section: Section): SectionProgress;
  missingRequired(): Question[];
  hiddenAnswerIds(): string[];
}

export function computeVisibility(definition: QuestionnaireDefinition, answers: Answers): Visibility {
  const index = indexOf(definition);
  const sections = new Set<Section>();
  const questions = new Set<Question>();
  const shown = new Map<string, AnswerValue>();
  const valueOf = (id: string): AnswerValue | undefined => shown.get(id);
  for (const entry of index.sections) {
    if (entry.section.show_if && !evaluateCondition(entry.section.show_if, valueOf)) continue;
    sections.add(entry.section);
    for (const question of entry.questions) {
      if (question.show_if && !evaluateCondition(question.show_if, valueOf)) continue;
      questions.add(question);
      const value = ownAnswer(answers, question.id);
      if (value !== undefined && isAnswered(value)) shown.set(question.id, value);
    }
  }
  const isQuestionVisible = (question: Question): boolean => questions.has(question);
  const visibleQuestions = (scope?: Section): Question[] => (scope ? scope.questions : index.questions).filter(isQuestionVisible);
  return {
    isSectionVisible: (section) => sections.has(section),
    isQuestionVisible,
    valueOf,
    visibleQuestions,
    progress: (section) => progressOf(visibleQuestions(section), valueOf),
    missingRequired: () => index.questions.filter((q) => q.required && questions.has(q) && !shown.has(q.id)),
    hiddenAnswerIds: () =>
      index.questions.filter((q) => !questions.has(q) && isAnswered(ownAnswer(answers, q.id))).map((q) => q.id),
  };
}

function progressOf(visible: Question[], valueOf: (id: string) => AnswerValue | undefined): SectionProgress {
  let answered = 0;
  let required = 0;
  let requiredAnswered = 0;
  for (const question of visible) {
    const isDone = valueOf(question.id) !== undefined;
    if (isDone) answered += 1;
    if (question.required) required += 1;
    if (question.required && isDone) requiredAnswered += 1;
  }
  return { total: visible.length, answered, required, requiredAnswered, complete: requiredAnswered === required };
}

/** Only own properties count as answers: an id such as `constructor` must not find Object.prototype. */
export function ownAnswer(answers: Answers, id: string): AnswerValue | undefined {
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
  if ('in' in condition) return isOneOf(value, condition.in);
  if ('includes' in condition) return includesOption(value, condition.includes);
  if ('gt' in condition) return compareNumbers('gt', value, condition.gt);
  if ('gte' in condition) return compareNumbers('gte', value, condition.gte);
  if ('lt' in condition) return compareNumbers('lt', value, condition.lt);
  return compareNumbers('lte', value, condition.lte);
}

/** The leaf comparisons, shared with the rules evaluator: anything but a number never compares. */
export function compareNumbers(operator: Comparison, value: AnswerValue, operand: number): boolean {
  if (typeof value !== 'number') return false;
  switch (operator) {
    case 'gt':
      return value > operand;
    case 'gte':
      return value >= operand;
    case 'lt':
      return value < operand;
    case 'lte':
      return value <= operand;
  }
}

export function isOneOf(value: AnswerValue, options: ReadonlyArray<string | number>): boolean {
  return (typeof value === 'string' || typeof value === 'number') && options.includes(value);
}

export function includesOption(value: AnswerValue, option: string): boolean {
  return Array.isArray(value) && value.some((item) => item === option);
}

export function isVisible(question: Question, answers: Answers): boolean {
  return computeVisibility(indexOf(question).definition, answers).isQuestionVisible(question);
}

export function isSectionVisible(section: Section, answers: Answers): boolean {
  return computeVisibility(indexOf(section).definition, answers).isSectionVisible(section);
}

export function visibleQuestions(scope: QuestionnaireDefinition | Section, answers: Answers): Question[] {
  const visibility = computeVisibility(indexOf(scope).definition, answers);
  return 'sections' in scope ? visibility.visibleQuestions() : visibility.visibleQuestions(scope);
}

/** Ids of answers held for questions that are hidden now; they are to be discarded, never shown or scored. */
export function hiddenAnswerIds(definition: QuestionnaireDefinition, answers: Answers): string[] {
  return computeVisibility(definition, answers).hiddenAnswerIds();
}

/** A hidden section has nothing to answer and counts as complete. */
export function sectionProgress(section: Section, answers: Answers): SectionProgress {
  return computeVisibility(indexOf(section).definition, answers).progress(section);
}

/** Required questions that are visible and unanswered, in document order; submit is refused while any remain. */
export function missingRequired(definition: QuestionnaireDefinition, answers: Answers): Question[] {
  return computeVisibility(definition, answers).missingRequired();
}

export function sectionOf(question: Question): Section {
  const section = indexOf(question).sectionOf.get(question);
  if (!section) throw new Error(`question "${question.id}" has no section`);
  return section;
}

export function allQuestions(definition: QuestionnaireDefinition): Question[] {
  return indexOf(definition).questions.slice();
}
