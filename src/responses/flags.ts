/**
 * The red flags a set of answers raises, as the buyer's pages, exports and the API show them. The one place that asks
 * the questionnaires domain for its evaluation, so moving to another evaluator (the rules files) changes only this.
 */
import {
  SEVERITIES,
  triggeredRedFlags,
  type Answers,
  type Convention,
  type ForcedLabourIndicator,
  type Localized,
  type QuestionnaireDefinition,
  type Severity,
} from '../questionnaires';

export interface FlagMark {
  /** Stable id of the flag (or rule), the same across questionnaire versions. */
  id: string;
  /** The questions whose answers raise it, in questionnaire order. */
  questionIds: string[];
  severity: Severity;
  indicators: ForcedLabourIndicator[];
  conventions: Convention[];
  reason: Localized;
}

/** The flags raised by `answers`, the most severe first (questionnaire order within a severity). */
export function flagMarks(definition: QuestionnaireDefinition, answers: Answers): FlagMark[] {
  const marks = triggeredRedFlags(definition, answers).map(({ question, flag }): FlagMark => ({
    id: flag.id,
    questionIds: [question.id],
    severity: flag.severity,
    indicators: [...(flag.indicators ?? question.tags?.indicators ?? [])],
    conventions: [...(flag.conventions ?? question.tags?.conventions ?? [])],
    reason: flag.reason,
  }));
  return marks
    .map((mark, index) => ({ mark, index }))
    .sort((a, b) => severityRank(a.mark.severity) - severityRank(b.mark.severity) || a.index - b.index)
    .map(({ mark }) => mark);
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Flags by the question they are marked on. */
export function flagsByQuestion(marks: FlagMark[]): Map<string, FlagMark[]> {
  const byQuestion = new Map<string, FlagMark[]>();
  for (const mark of marks) {
    for (const questionId of mark.questionIds) byQuestion.set(questionId, [...(byQuestion.get(questionId) ?? []), mark]);
  }
  return byQuestion;
}

/** How many flags of each severity, for lists and summaries. */
export function severityCounts(marks: FlagMark[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const mark of marks) counts[mark.severity] += 1;
  return counts;
}
