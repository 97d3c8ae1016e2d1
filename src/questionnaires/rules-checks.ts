/**
 * Checks of a rules file against its questionnaire version: what each rule reads exists and is compared with values
 * it can have, every ILO indicator and convention a question is tagged with is carried by at least one rule that
 * reads the question, and every example is a set of valid, visible answers.
 */
import { storedAnswerProblem } from './answers';
import { conditionReferences, type Issue, type IssuePath } from './conditions-schema';
import type { CountryContext } from './country-context';
import { checkRuleCondition, locateQuestions, type Located } from './cross-checks';
import { computeVisibility, ownAnswer } from './logic';
import type { Answers, Convention, ForcedLabourIndicator, Question, QuestionnaireDefinition, Rule, RuleSet } from './types';

export function checkRuleSet(ruleSet: RuleSet, definition: QuestionnaireDefinition, context: CountryContext): Issue[] {
  const issues: Issue[] = [];
  const questions = locateQuestions(definition);
  checkRuleIds(ruleSet, issues);
  ruleSet.rules.forEach((rule, r) => {
    checkRuleCondition(rule.when, ['rules', r, 'when'], questions, issues);
    if (!context.loaded && usesMinimumWorkingAge(rule)) {
      issues.push({ path: ['rules', r, 'when'], message: 'minimum_working_age_of needs the country data file context/minimum-working-age.yaml, which is missing' });
    }
    checkExamples(rule, r, definition, questions, issues);
  });
  checkTagsCarried(ruleSet, definition, issues);
  return issues;
}

function checkRuleIds(ruleSet: RuleSet, issues: Issue[]): void {
  const seen = new Set<string>();
  ruleSet.rules.forEach((rule, r) => {
    if (seen.has(rule.id)) issues.push({ path: ['rules', r, 'id'], message: `duplicate rule id "${rule.id}"` });
    seen.add(rule.id);
  });
}

function usesMinimumWorkingAge(rule: Rule): boolean {
  return conditionReferences(rule.when, []).some((ref) => ref.role === 'country');
}

/** The ids of the questions a rule reads, in the order its condition names them. */
export function ruleQuestionIds(rule: Rule): string[] {
  return [...new Set(conditionReferences(rule.when, []).map((ref) => ref.id))];
}

function checkExamples(rule: Rule, r: number, definition: QuestionnaireDefinition, questions: ReadonlyMap<string, Located>, issues: Issue[]): void {
  for (const kind of ['triggers', 'does_not_trigger'] as const) {
    rule.examples[kind].forEach((answers, e) => checkExample(answers, ['rules', r, 'examples', kind, e], definition, questions, issues));
  }
}

function checkExample(answers: Answers, path: IssuePath, definition: QuestionnaireDefinition, questions: ReadonlyMap<string, Located>, issues: Issue[]): void {
  const before = issues.length;
  for (const [id, value] of Object.entries(answers)) {
    const target = questions.get(id);
    if (!target) {
      issues.push({ path: [...path, id], message: `"${id}" is not a question of ${definition.id}@${definition.version}` });
      continue;
    }
    const problem = storedAnswerProblem(target.question, value);
    if (problem) issues.push({ path: [...path, id], message: `not a valid answer to "${id}" (${target.question.type}): ${problem}` });
  }
  if (issues.length > before) return;
  // An answer to a hidden question is ignored, so an example relying on one would show nothing.
  const visibility = computeVisibility(definition, answers);
  for (const { question } of questions.values()) {
    if (ownAnswer(answers, question.id) !== undefined && !visibility.isQuestionVisible(question)) {
      issues.push({ path: [...path, question.id], message: `"${question.id}" is not shown with these answers (check its show_if), so its answer would be ignored` });
    }
  }
}

function checkTagsCarried(ruleSet: RuleSet, definition: QuestionnaireDefinition, issues: Issue[]): void {
  const readers = new Map<string, number[]>();
  ruleSet.rules.forEach((rule, r) => {
    for (const id of ruleQuestionIds(rule)) readers.set(id, [...(readers.get(id) ?? []), r]);
  });
  for (const section of definition.sections) {
    for (const question of section.questions) {
      const indexes = readers.get(question.id) ?? [];
      const missing = uncarriedTags(question, indexes.map((r) => ruleSet.rules[r]!));
      if (missing.length === 0) continue;
      const names = indexes.map((r) => ruleSet.rules[r]!.id);
      issues.push({
        path: indexes.length > 0 ? ['rules', indexes[0]!] : ['rules'],
        message:
          names.length > 0
            ? `question "${question.id}" is tagged with ${missing.join(', ')}, but none of the rules reading it (${names.join(', ')}) carries it`
            : `question "${question.id}" is tagged with ${missing.join(', ')}, but no rule reads it`,
      });
    }
  }
}

function uncarriedTags(question: Question, rules: Rule[]): string[] {
  const indicators = new Set<ForcedLabourIndicator>(rules.flatMap((rule) => rule.indicators));
  const conventions = new Set<Convention>(rules.flatMap((rule) => rule.conventions));
  return [
    ...(question.tags?.indicators ?? []).filter((i) => !indicators.has(i)).map((i) => `indicator ${i}`),
    ...(question.tags?.conventions ?? []).filter((c) => !conventions.has(c)).map((c) => `convention ${c}`),
  ];
}
