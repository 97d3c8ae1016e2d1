/**
 * The zod schema every rules file must satisfy (structure only; what the rules read is checked against their
 * questionnaire in rules-checks.ts). Sizes are bounded so that a runaway or hostile file is refused, not evaluated.
 */
import { z } from 'zod';
import { readCondition, type Issue } from './conditions-schema';
import { indicatorSchema, localizedSchema, snakeId } from './schema';
import { CONVENTIONS, FOLLOW_UPS, SEVERITIES, type Answers, type RuleCondition, type RuleSet } from './types';

export const MAX_RULES_PER_FILE = 500;
export const MAX_EXAMPLES_PER_KIND = 20;
const MAX_ANSWERS_PER_EXAMPLE = 500;

const ruleConditionSchema = z.unknown().transform((raw, ctx): RuleCondition => {
  const issues: Issue[] = [];
  const condition = readCondition(raw, [], issues, 'rule');
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return condition ?? (z.NEVER as never);
});

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** Values are checked against the questions they answer in rules-checks.ts. */
const exampleAnswersSchema = z
  .record(z.string(), z.unknown(), { error: 'an example is a mapping of question id to answer' })
  .refine((answers) => Object.keys(answers).length <= MAX_ANSWERS_PER_EXAMPLE, `an example may answer at most ${MAX_ANSWERS_PER_EXAMPLE} questions`)
  .transform((answers) => answers as Answers);

const examplesSchema = z.strictObject({
  triggers: z
    .array(exampleAnswersSchema)
    .min(1, 'give at least one answer set that triggers the rule')
    .max(MAX_EXAMPLES_PER_KIND, `at most ${MAX_EXAMPLES_PER_KIND} examples`),
  does_not_trigger: z
    .array(exampleAnswersSchema)
    .min(1, 'give at least one answer set that does not trigger the rule')
    .max(MAX_EXAMPLES_PER_KIND, `at most ${MAX_EXAMPLES_PER_KIND} examples`),
});

const ruleSchema = z.strictObject({
  id: snakeId,
  title: localizedSchema,
  when: ruleConditionSchema,
  severity: z.enum(SEVERITIES),
  indicators: z.array(indicatorSchema).max(11).default([]).transform(unique),
  conventions: z.array(z.enum(CONVENTIONS)).max(CONVENTIONS.length).default([]).transform(unique),
  follow_up: z.enum(FOLLOW_UPS),
  rationale: localizedSchema,
  examples: examplesSchema,
});

const QUESTIONNAIRE_KEY = /^(?<id>[a-z0-9]+(?:-[a-z0-9]+)*)@(?<version>[1-9]\d*)$/;

export const ruleSetSchema: z.ZodType<RuleSet, unknown> = z
  .strictObject({
    questionnaire: z.string().regex(QUESTIONNAIRE_KEY, 'must name the questionnaire version as <id>@<version>, e.g. code-of-conduct-saq@1'),
    version: z.number().int('version must be a whole number').min(1, 'version starts at 1'),
    status: z.enum(['published', 'draft']),
    changes: localizedSchema.optional(),
    rules: z
      .array(ruleSchema)
      .min(1, 'a rules file needs at least one rule')
      .max(MAX_RULES_PER_FILE, `a rules file may hold at most ${MAX_RULES_PER_FILE} rules`),
  })
  .transform(({ questionnaire, ...rest }): RuleSet => {
    const match = QUESTIONNAIRE_KEY.exec(questionnaire);
    return { questionnaire: { id: match?.groups?.id ?? '', version: Number(match?.groups?.version) }, ...rest };
  });
