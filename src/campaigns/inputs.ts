/**
 * The shapes campaign input must have, from a form or from the API: one set of zod schemas for both (the pages turn
 * their flat form fields into these shapes first), so both are checked the same way and the OpenAPI document shows
 * exactly what is accepted.
 */
import { z } from 'zod';
import { INVITATION_LANGUAGES } from './invitation-model';
import { endOfDay } from './dates';

export const MESSAGE_LANGUAGES = INVITATION_LANGUAGES;
export type MessageLanguage = (typeof MESSAGE_LANGUAGES)[number];

/** What a message may refer to; each is filled in per recipient and escaped in the HTML part. */
export const PLACEHOLDERS = ['supplier', 'contact', 'dueDate', 'organisation', 'buyerContact', 'buyerEmail', 'campaign'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER_PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Placeholders a text uses that do not exist (a typo would otherwise reach every supplier verbatim). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_PATTERN)].map((match) => match[1] ?? '').filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

export function fillPlaceholders(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PLACEHOLDER_PATTERN, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole));
}

const withKnownPlaceholders = (schema: z.ZodString) =>
  schema.refine((text) => unknownPlaceholders(text).length === 0, {
    error: (issue) => `unknown placeholder ${unknownPlaceholders(String(issue.input)).map((name) => `{{${name}}}`).join(', ')}; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
  });

export const messageTextInput = z.object({
  subject: withKnownPlaceholders(z.string().trim().min(1).max(200)).refine((text) => !/[\r\n]/.test(text), 'must be one line'),
  body: withKnownPlaceholders(z.string().trim().min(1).max(5000)),
});
export type MessageTextInput = z.output<typeof messageTextInput>;

export const messagesInput = z.object({ sv: messageTextInput, en: messageTextInput });

export const buyerContactInput = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).transform((email) => email.toLowerCase()),
});

const reminderDays = z.array(z.number().int().min(1).max(60)).max(5).transform((days) => [...new Set(days)].sort((a, b) => a - b));

export const reminderPolicyInput = z.object({
  enabled: z.boolean().default(true),
  beforeDays: reminderDays.default([7, 1]),
  afterDays: reminderDays.default([3, 10]),
  maxCount: z.number().int().min(0).max(10).default(3),
  minGapDays: z.number().int().min(1).max(30).default(2),
});
export type ReminderPolicy = z.output<typeof reminderPolicyInput>;

/** A calendar day (the due date: answers are accepted until the end of that day in Stockholm) or an exact time. */
export const dueDateInput = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((value, ctx) => {
    const date = value.length === 10 ? endOfDay(value) : new Date(value);
    if (!date || Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'is not a date' });
      return z.NEVER;
    }
    return date;
  });

const idString = z.string().regex(/^[0-9a-f]{24}$/i, 'must be a 24-character hex id');

export const campaignFieldsInput = z.object({
  name: z.string().trim().min(1).max(200),
  questionnaireId: z.string().trim().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a questionnaire id such as code-of-conduct-saq').max(100),
  questionnaireVersion: z.number().int().positive(),
  dueDate: dueDateInput,
  /** Default: the organisation's contact. Required before sending. */
  buyerContact: buyerContactInput.optional(),
  /** Default: the platform's invitation text in each language. */
  messages: messagesInput.optional(),
  reminderPolicy: reminderPolicyInput.prefault({}),
});
export type CampaignFields = z.output<typeof campaignFieldsInput>;

export const createCampaignBody = campaignFieldsInput.extend({
  supplierIds: z.array(idString).max(20_000).default([]),
});
export type CreateCampaignBody = z.output<typeof createCampaignBody>;

/** A draft's edit: any of its fields, with the revision the edit was made from (a stale edit is refused). */
export const updateCampaignBody = campaignFieldsInput.partial().extend({
  revision: z.number().int().min(0),
});
export type UpdateCampaignBody = z.output<typeof updateCampaignBody>;

/** Which suppliers to add: by hand (ids), or every active supplier matching a filter. */
export const supplierFilterInput = z.object({
  country: z.string().trim().regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').transform((code) => code.toUpperCase()).optional(),
  sector: z.string().trim().min(1).max(200).optional(),
  tag: z.string().trim().min(1).max(50).optional(),
  q: z.string().trim().min(1).max(200).optional(),
});
export type SupplierFilter = z.output<typeof supplierFilterInput>;

export const addSuppliersBody = z.union([
  z.object({ supplierIds: z.array(idString).min(1).max(20_000) }),
  z.object({ filter: supplierFilterInput }),
]);
export type AddSuppliersBody = z.output<typeof addSuppliersBody>;

export const extendBody = z.object({
  dueDate: dueDateInput,
  /** Tell every contact who has not submitted about the new date. */
  notify: z.boolean().default(true),
});

export const reissueBody = z.object({
  /** Send the new link to another of the supplier's contacts (default: the same person). */
  contactEmail: z.email().max(320).optional(),
});

export const PROGRESS_FILTER_STATUSES = ['notInvited', 'invited', 'opened', 'inProgress', 'submitted', 'overdue'] as const;
export type ProgressFilterStatus = (typeof PROGRESS_FILTER_STATUSES)[number];
export const PROGRESS_SORTS = ['name', 'country', 'status', 'lastActivity'] as const;

export const progressQuery = z.object({
  status: z.enum(PROGRESS_FILTER_STATUSES).optional(),
  country: z.string().trim().regex(/^[A-Za-z]{2}$/).transform((code) => code.toUpperCase()).optional(),
  tag: z.string().trim().min(1).max(50).optional(),
  sort: z.enum(PROGRESS_SORTS).default('name'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
});
export type ProgressQuery = z.output<typeof progressQuery>;
