/**
 * The zod schema every questionnaire file must satisfy. Structural only: checks that need the whole definition
 * (duplicate ids, what conditions refer to) live in `cross-checks.ts`.
 */
import { z } from 'zod';
import { readCondition, type Issue } from './conditions-schema';
import { CONVENTIONS, EVIDENCE_KINDS, TOPICS, type Condition, type EvidenceSpec, type ForcedLabourIndicator, type QuestionnaireDefinition } from './types';

export const DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_EVIDENCE_MAX_FILES = 5;
export const DEFAULT_MAX_LENGTH = { short_text: 200, long_text: 5000 } as const;

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

// YAML 1.2 reads `yes` as text, so `required: yes` must be caught with a hint rather than a bare type error.
const trueOrFalse = z.boolean({ error: 'write true or false' });

export const snakeId = z.string().regex(SNAKE_CASE, 'must be a snake_case id (a-z, 0-9 and _), e.g. employs_migrants');

/** Longest text a file may hold in one language; a paragraph, never a document. */
const MAX_TEXT_LENGTH = 5000;

function text(language: string) {
  return z.string().trim().min(1, `the ${language} text is empty`).max(MAX_TEXT_LENGTH, `the ${language} text is longer than ${MAX_TEXT_LENGTH} characters`);
}

export const localizedSchema = z.strictObject({ sv: text('Swedish (sv)'), en: text('English (en)') });

/** The display dialect only: a show_if condition never holds rule operators (readCondition refuses them). */
const displayConditionSchema = z.unknown().transform((raw, ctx): Condition => {
  const issues: Issue[] = [];
  const condition = readCondition(raw, [], issues, 'display');
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return (condition as Condition | undefined) ?? (z.NEVER as never);
});

export const indicatorSchema = z
  .number()
  .int()
  .min(1, 'ILO forced-labour indicators are numbered 1 to 11')
  .max(11, 'ILO forced-labour indicators are numbered 1 to 11')
  .transform((n) => n as ForcedLabourIndicator);

const tagsSchema = z.strictObject({
  indicators: z.array(indicatorSchema).optional(),
  conventions: z.array(z.enum(CONVENTIONS)).optional(),
  topics: z.array(z.enum(TOPICS)).optional(),
});

const evidenceSpecSchema = z
  .strictObject({
    accept: z.array(z.enum(EVIDENCE_KINDS)).min(1).default([...EVIDENCE_KINDS]),
    maxBytes: z.number().int().positive().max(100 * 1024 * 1024).default(DEFAULT_EVIDENCE_MAX_BYTES),
    maxFiles: z.number().int().min(1).max(20).default(DEFAULT_EVIDENCE_MAX_FILES),
    request: localizedSchema.optional(),
  })
  .transform((spec): EvidenceSpec => ({ ...spec, accept: [...new Set(spec.accept)] }));

const common = {
  id: snakeId,
  label: localizedSchema,
  help: localizedSchema.optional(),
  required: trueOrFalse.default(false),
  show_if: displayConditionSchema.optional(),
  evidence: evidenceSpecSchema.optional(),
  tags: tagsSchema.optional(),
  // Named so an old file gets directions instead of a bare "unrecognized key".
  red_flags: z
    .never({ error: 'red flags are no longer part of a questionnaire: write them as rules in rules/<id>@<version>/rules@<n>.yaml (see questionnaires/README.md)' })
    .optional(),
};

const optionSchema = z.strictObject({ id: snakeId, label: localizedSchema });
const multipleOptionSchema = optionSchema.extend({ exclusive: trueOrFalse.optional() });

function boundsInOrder(q: { min?: number | string; max?: number | string }): boolean {
  return q.min === undefined || q.max === undefined || q.min === 'today' || q.max === 'today' || q.min <= q.max;
}

const numericShape = {
  ...common,
  unit: localizedSchema.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().positive().optional(),
};

const dateBound = z
  .string()
  .refine((s) => s === 'today' || (ISO_DATE.test(s) && isCalendarDate(s)), 'must be an ISO date (YYYY-MM-DD) or today')
  .optional();

const questionSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('yes_no') }),
  z.strictObject({ ...common, type: z.literal('single_choice'), options: z.array(optionSchema).min(2, 'a choice needs at least 2 options') }),
  z.strictObject({
    ...common,
    type: z.literal('multiple_choice'),
    options: z.array(multipleOptionSchema).min(2, 'a choice needs at least 2 options'),
  }),
  z.strictObject({ ...numericShape, type: z.literal('number') }).refine(boundsInOrder, { message: 'min is greater than max', path: ['min'] }),
  z.strictObject({ ...numericShape, type: z.literal('integer') }).refine(boundsInOrder, { message: 'min is greater than max', path: ['min'] }),
  z
    .strictObject({
      ...numericShape,
      type: z.literal('percentage'),
      min: z.number().min(0, 'a percentage is between 0 and 100').max(100, 'a percentage is between 0 and 100').optional(),
      max: z.number().min(0, 'a percentage is between 0 and 100').max(100, 'a percentage is between 0 and 100').optional(),
    })
    .refine(boundsInOrder, { message: 'min is greater than max', path: ['min'] }),
  z.strictObject({ ...common, type: z.literal('date'), min: dateBound, max: dateBound }).refine(boundsInOrder, {
    message: 'min is later than max',
    path: ['min'],
  }),
  z.strictObject({
    ...common,
    type: z.literal('short_text'),
    maxLength: z.number().int().min(1).max(1000).default(DEFAULT_MAX_LENGTH.short_text),
  }),
  z.strictObject({
    ...common,
    type: z.literal('long_text'),
    maxLength: z.number().int().min(1).max(50000).default(DEFAULT_MAX_LENGTH.long_text),
  }),
  z.strictObject({ ...common, type: z.literal('country') }),
  z.strictObject({ ...common, type: z.literal('evidence'), evidence: evidenceSpecSchema.prefault({}) }),
]);

const sectionSchema = z.strictObject({
  id: snakeId,
  title: localizedSchema,
  intro: localizedSchema.optional(),
  show_if: displayConditionSchema.optional(),
  questions: z.array(questionSchema).min(1, 'a section needs at least one question'),
});

export const definitionSchema: z.ZodType<QuestionnaireDefinition, unknown> = z.strictObject({
  id: z.string().regex(KEBAB_CASE, 'must be a kebab-case id (a-z, 0-9 and -), e.g. code-of-conduct-saq'),
  version: z.number().int('version must be a whole number').min(1, 'version starts at 1'),
  status: z.enum(['published', 'draft']),
  title: localizedSchema,
  description: localizedSchema.optional(),
  sections: z.array(sectionSchema).min(1, 'a questionnaire needs at least one section'),
});

export function isCalendarDate(iso: string): boolean {
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso;
}
