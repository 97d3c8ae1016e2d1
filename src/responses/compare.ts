/**
 * Comparing two answer sets of one supplier (this response against an earlier submission: an earlier version of the
 * same response, or the response to an earlier campaign). Questions are matched by id, so sets of different
 * questionnaire versions compare wherever a question kept its id and type; the others are listed as not comparable.
 * Pure functions; the language comes in only when the result is shown (compare-view in buyer-routes).
 */
import { allQuestions, isAnswered, type AnswerValue, type Question } from '../questionnaires';
import { filesOf, type AnswerSet } from './answer-set';
import type { FlagMark } from './flags';

export type ChangeKind = 'changed' | 'appeared' | 'disappeared' | 'unchanged';

export interface QuestionChange {
  questionId: string;
  kind: ChangeKind;
  /** The question as the newer set asks it; `baselineQuestion` as the older one did (labels and options may differ). */
  question: Question;
  baselineQuestion: Question;
}

export type NotComparableReason = 'newQuestion' | 'removedQuestion' | 'typeChanged';

export interface NotComparable {
  questionId: string;
  reason: NotComparableReason;
  question: Question;
  /** Whether the side(s) that ask the question hold an answer. */
  answered: boolean;
}

export interface Comparison {
  sameVersion: boolean;
  /** Matched questions answered on at least one side, in the newer questionnaire's order. */
  changes: QuestionChange[];
  notComparable: NotComparable[];
  flagsGained: FlagMark[];
  flagsLost: FlagMark[];
  flagsKept: FlagMark[];
}

/** What a question's answer is for comparing: the value (order-free for choices) and the files by name and size. */
function comparable(set: AnswerSet, question: Question): string | undefined {
  const value = set.visibility.isQuestionVisible(question) ? set.answers[question.id] : undefined;
  const files = filesOf(set, question.id)
    .map((f) => `${f.filename}\u0000${f.size}`)
    .sort();
  const answered = question.type !== 'evidence' && value !== undefined && isAnswered(value);
  if (!answered && files.length === 0) return undefined;
  return JSON.stringify({ value: answered ? normalise(value) : null, files });
}

function normalise(value: AnswerValue): unknown {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? [...(value as string[])].sort() : value;
}

function kindOf(before: string | undefined, after: string | undefined): ChangeKind | undefined {
  if (before === undefined && after === undefined) return undefined;
  if (before === undefined) return 'appeared';
  if (after === undefined) return 'disappeared';
  return before === after ? 'unchanged' : 'changed';
}

export function compareAnswerSets(subject: AnswerSet, baseline: AnswerSet): Comparison {
  const baselineQuestions = new Map(allQuestions(baseline.definition).map((q) => [q.id, q]));
  const subjectIds = new Set<string>();
  const changes: QuestionChange[] = [];
  const notComparable: NotComparable[] = [];
  for (const question of allQuestions(subject.definition)) {
    subjectIds.add(question.id);
    const before = baselineQuestions.get(question.id);
    const after = comparable(subject, question);
    if (!before) {
      notComparable.push({ questionId: question.id, reason: 'newQuestion', question, answered: after !== undefined });
      continue;
    }
    const earlier = comparable(baseline, before);
    if (before.type !== question.type) {
      notComparable.push({ questionId: question.id, reason: 'typeChanged', question, answered: after !== undefined || earlier !== undefined });
      continue;
    }
    const kind = kindOf(earlier, after);
    if (kind) changes.push({ questionId: question.id, kind, question, baselineQuestion: before });
  }
  for (const [id, question] of baselineQuestions) {
    if (!subjectIds.has(id)) notComparable.push({ questionId: id, reason: 'removedQuestion', question, answered: comparable(baseline, question) !== undefined });
  }
  const baselineFlags = new Set(baseline.flags.map((f) => f.id));
  const subjectFlags = new Set(subject.flags.map((f) => f.id));
  return {
    sameVersion: subject.definition.id === baseline.definition.id && subject.definition.version === baseline.definition.version,
    changes,
    notComparable,
    flagsGained: subject.flags.filter((f) => !baselineFlags.has(f.id)),
    flagsLost: baseline.flags.filter((f) => !subjectFlags.has(f.id)),
    flagsKept: subject.flags.filter((f) => baselineFlags.has(f.id)),
  };
}
