/**
 * The campaign form of the pages: its flat fields turned into the API's shape (so one zod schema checks both), the
 * values it shows, and zod's or the service's problems as messages next to the right fields.
 */
import type { z } from 'zod';
import type { Translate } from '../platform/i18n';
import { HttpError } from '../platform/errors';
import { dayOf } from './dates';
import { campaignFieldsInput, unknownPlaceholders, type CampaignFields } from './inputs';
import type { CampaignDocument } from './model';

/** What the form's inputs hold (all text, as typed). */
export interface CampaignFormValues {
  name: string;
  questionnaire: string;
  dueDate: string;
  buyerContactName: string;
  buyerContactEmail: string;
  messages: { sv: { subject: string; body: string }; en: { subject: string; body: string } };
  remindersEnabled: boolean;
  beforeDays: string;
  afterDays: string;
  maxCount: string;
  minGapDays: string;
  revision: string;
}

export interface FieldError {
  field: string;
  message: string;
}

function text(value: unknown, max = 10_000): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The posted form's values, whatever was posted (anything that is not text counts as empty). */
export function formValues(body: unknown): CampaignFormValues {
  const form = record(body);
  const messages = record(form.messages);
  const message = (lang: 'sv' | 'en') => ({ subject: text(record(messages[lang]).subject, 1000), body: text(record(messages[lang]).body, 20_000) });
  return {
    name: text(form.name, 1000),
    questionnaire: text(form.questionnaire, 200),
    dueDate: text(form.dueDate, 40),
    buyerContactName: text(form.buyerContactName, 1000),
    buyerContactEmail: text(form.buyerContactEmail, 1000),
    messages: { sv: message('sv'), en: message('en') },
    remindersEnabled: form.remindersEnabled === 'on',
    beforeDays: text(form.beforeDays, 200),
    afterDays: text(form.afterDays, 200),
    maxCount: text(form.maxCount, 20),
    minGapDays: text(form.minGapDays, 20),
    revision: text(form.revision, 20),
  };
}

/** The form showing a campaign as it is stored. */
export function valuesOf(campaign: CampaignDocument): CampaignFormValues {
  const policy = campaign.reminderPolicy;
  const message = (lang: 'sv' | 'en') => ({ subject: campaign.messages?.[lang]?.subject ?? '', body: campaign.messages?.[lang]?.body ?? '' });
  return {
    name: campaign.name,
    questionnaire: `${campaign.questionnaireId}@${campaign.questionnaireVersion}`,
    dueDate: dayOf(campaign.deadline),
    buyerContactName: campaign.buyerContact?.name ?? '',
    buyerContactEmail: campaign.buyerContact?.email ?? '',
    messages: { sv: message('sv'), en: message('en') },
    remindersEnabled: policy?.enabled ?? true,
    beforeDays: (policy?.beforeDays ?? []).join(', '),
    afterDays: (policy?.afterDays ?? []).join(', '),
    maxCount: String(policy?.maxCount ?? 3),
    minGapDays: String(policy?.minGapDays ?? 2),
    revision: String(campaign.revision),
  };
}

/** "7, 1" → [7, 1]; a list that is not whole numbers is kept as text, so zod reports it against the field. */
function dayList(raw: string): unknown {
  const parts = raw.split(/[,;\s]+/).filter((part) => part !== '');
  return parts.every((part) => /^\d{1,3}$/.test(part)) ? parts.map(Number) : raw;
}

function integer(raw: string): unknown {
  return /^\d{1,4}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
}

/** The API-shaped input the values stand for. */
export function fieldsInput(values: CampaignFormValues): Record<string, unknown> {
  const [questionnaireId, version] = values.questionnaire.split('@');
  return {
    name: values.name,
    questionnaireId: questionnaireId ?? '',
    questionnaireVersion: integer(version ?? ''),
    dueDate: values.dueDate,
    buyerContact: { name: values.buyerContactName, email: values.buyerContactEmail },
    messages: values.messages,
    reminderPolicy: {
      enabled: values.remindersEnabled,
      beforeDays: dayList(values.beforeDays),
      afterDays: dayList(values.afterDays),
      maxCount: integer(values.maxCount),
      minGapDays: integer(values.minGapDays),
    },
  };
}

/** The input id and message key of a problem at a path of the API shape. */
function fieldOf(path: PropertyKey[]): { id: string; key: string } {
  const [first, second, third] = path.map(String);
  switch (first) {
    case 'questionnaireId':
    case 'questionnaireVersion':
    case 'questionnaire':
      return { id: 'questionnaire', key: 'questionnaire' };
    case 'buyerContact':
      return second === 'email' ? { id: 'buyerContactEmail', key: 'buyerContactEmail' } : { id: 'buyerContactName', key: 'buyerContactName' };
    case 'messages':
      return { id: `messages-${second ?? 'sv'}-${third === 'body' ? 'body' : 'subject'}`, key: third === 'body' ? 'body' : 'subject' };
    case 'reminderPolicy': {
      const key = second && ['beforeDays', 'afterDays', 'maxCount', 'minGapDays'].includes(second) ? second : 'beforeDays';
      return { id: key, key };
    }
    case 'dueDate':
      return { id: 'dueDate', key: 'dueDate' };
    case 'supplierIds':
      // The pages list the campaign's suppliers under this heading.
      return { id: 'suppliers-title', key: 'name' };
    case undefined:
    case 'name':
      return { id: 'name', key: 'name' };
    default:
      return { id: first, key: first };
  }
}

/** zod's problems as one message per field, in the page's language. */
export function formErrors(error: z.ZodError, values: CampaignFormValues, t: Translate): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const { id, key } = fieldOf(issue.path);
    if (seen.has(id)) continue;
    seen.add(id);
    const lang = id.startsWith('messages-sv') ? 'sv' : 'en';
    const messageText = id.startsWith('messages-') ? values.messages[lang][key === 'body' ? 'body' : 'subject'] : '';
    const unknown = unknownPlaceholders(messageText);
    errors.push({
      field: id,
      message:
        unknown.length > 0
          ? t('campaigns:form.errors.placeholder', { names: unknown.map((name) => `{{${name}}}`).join(', ') })
          : t(`campaigns:form.errors.${key}`, { language: t(`campaigns:languages.${lang}`) }),
    });
  }
  return errors;
}

/** A service's refusal (an HttpError naming a field) as a message next to that field. */
export function serviceError(error: HttpError, t: Translate): FieldError {
  const { id } = fieldOf(error.field ? [error.field] : []);
  return { field: error.field ? id : '', message: t(error.messageKey, error.params) };
}

export type ParsedForm = { ok: true; fields: CampaignFields } | { ok: false; errors: FieldError[] };

/**
 * The form's fields in the API's shape, or every problem at once: zod's, and a questionnaire that is not one of the
 * published versions the form offers.
 */
export function parseCampaignForm(values: CampaignFormValues, t: Translate, publishedQuestionnaires: string[]): ParsedForm {
  const parsed = campaignFieldsInput.safeParse(fieldsInput(values));
  const errors = parsed.success ? [] : formErrors(parsed.error, values, t);
  if (!publishedQuestionnaires.includes(values.questionnaire) && !errors.some((e) => e.field === 'questionnaire')) {
    errors.push({ field: 'questionnaire', message: t('campaigns:form.errors.questionnaire') });
  }
  if (!parsed.success || errors.length > 0) return { ok: false, errors };
  return { ok: true, fields: parsed.data };
}
