/**
 * The red flags a set of answers raises, as the buyer's pages, exports and the API show them: the questionnaire
 * version's current published rules, evaluated by the questionnaires domain. The one place that asks for the
 * evaluation, so the pages, the exports and the API never disagree.
 */
import {
  evaluateRules,
  SEVERITIES,
  type Answers,
  type Convention,
  type FlagContext,
  type FollowUp,
  type ForcedLabourIndicator,
  type Localized,
  type QuestionnaireDefinition,
  type QuestionnaireRegistry,
  type Severity,
} from '../questionnaires';

export interface FlagMark {
  /** The rule's id, stable across rules and questionnaire versions while its meaning stays. */
  id: string;
  /** What was found, one short sentence. */
  title: Localized;
  /** Why these answers call for a follow-up. */
  rationale: Localized;
  severity: Severity;
  indicators: ForcedLabourIndicator[];
  conventions: Convention[];
  followUp: FollowUp;
  /** The rules version that raised it: `<questionnaire>@<version>/rules@<n>`. */
  rulesKey: string;
  /** The shown questions whose answers raise it, in questionnaire order (where the flag is marked). */
  questionIds: string[];
  /** Figures the rule compared answers with (a country's minimum working age). */
  context: FlagContext[];
}

export type FlagDeps = { questionnaires: Pick<QuestionnaireRegistry, 'currentRuleSet' | 'countryContext'> };

/** The flags raised by `answers` under the current rules, the most severe first (rules order within a severity). */
export function flagMarks(deps: FlagDeps, definition: QuestionnaireDefinition, answers: Answers, isShown: (questionId: string) => boolean): FlagMark[] {
  const rules = deps.questionnaires.currentRuleSet(definition.id, definition.version);
  if (!rules) return [];
  const marks = evaluateRules(rules, definition, answers, deps.questionnaires.countryContext).map(
    (flag): FlagMark => ({
      id: flag.ruleId,
      title: flag.title,
      rationale: flag.rationale,
      severity: flag.severity,
      indicators: flag.indicators,
      conventions: flag.conventions,
      followUp: flag.followUp,
      rulesKey: flag.rulesKey,
      questionIds: flag.causes.map((cause) => cause.question).filter(isShown),
      context: flag.context,
    }),
  );
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
