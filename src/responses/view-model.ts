/**
 * What the supplier views show, computed from the definition, the answers and the request's language. Kept out of
 * the templates so the views only lay things out.
 */
import {
  computeVisibility,
  countryName,
  formatBytes,
  formatDate,
  formatNumber,
  countryOptions,
  type AnswerValue,
  type Answers,
  type Locale,
  type Localized,
  type Question,
  type QuestionnaireDefinition,
  type Section,
  type Visibility,
} from '../questionnaires';
import type { Translate } from '../platform/i18n';
import type { ResponseData } from './model';
import { evidenceFilesFor, type FieldErrors } from './service';

export interface OptionView {
  value: string;
  label: string;
}

export interface FileView {
  fileId: string;
  filename: string;
  size: string;
}

export interface QuestionView {
  id: string;
  type: Question['type'];
  label: string;
  help: string | undefined;
  required: boolean;
  /** Id of the element an error-summary link focuses: the input, or the first option of a group. */
  targetId: string;
  /** Ids for aria-describedby: hint and error, when present. */
  describedBy: string;
  value: string;
  values: string[];
  options: OptionView[];
  unit: string | undefined;
  maxLength: number | undefined;
  dateMin: string | undefined;
  dateMax: string | undefined;
  error: string | undefined;
  evidence:
    | { accept: string; acceptLabel: string; maxSize: string; maxFiles: number; request: string | undefined; files: FileView[]; error: string | undefined }
    | undefined;
}

/** Counts on a page (progress per section, positions) are small integers, formatted dozens of times per page. */
const SMALL_COUNT_LIMIT = 1000;
const smallCounts = new Map<Locale, string[]>();

export function formatCount(value: number, lang: Locale): string {
  if (Number.isInteger(value) && value >= 0 && value < SMALL_COUNT_LIMIT) {
    let texts = smallCounts.get(lang);
    if (!texts) {
      texts = [];
      smallCounts.set(lang, texts);
    }
    return (texts[value] ??= formatNumber(value, lang));
  }
  return formatNumber(value, lang);
}

export interface SectionNavItem {
  id: string;
  title: string;
  /** "3 of 5 answered, 2 of 4 required" in the page's language. */
  progressText: string;
  answered: number;
  total: number;
  required: number;
  requiredAnswered: number;
  complete: boolean;
  current: boolean;
}

export function localize(text: Localized | undefined, lang: Locale): string | undefined {
  return text ? text[lang] : undefined;
}

/** The value an input shows for a stored answer, written as the supplier would type it in their language. */
export function inputValue(value: AnswerValue | undefined, lang: Locale): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return lang === 'sv' ? String(value).replace('.', ',') : String(value);
  if (typeof value === 'string') return value;
  return '';
}

function rawToString(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) return raw.filter((item): item is string => typeof item === 'string').join(', ');
  return '';
}

function rawToArray(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((item): item is string => typeof item === 'string');
  return [];
}

function optionsOf(question: Question, lang: Locale, t: Translate): OptionView[] {
  switch (question.type) {
    case 'yes_no':
      return [
        { value: 'yes', label: t('supplier:answer.yes') },
        { value: 'no', label: t('supplier:answer.no') },
      ];
    case 'single_choice':
    case 'multiple_choice':
      return question.options.map((o) => ({ value: o.id, label: o.label[lang] }));
    case 'country':
      return countryOptions(lang).map((c) => ({ value: c.code, label: c.name }));
    default:
      return [];
  }
}

function isGroup(question: Question): boolean {
  return question.type === 'yes_no' || question.type === 'single_choice' || question.type === 'multiple_choice';
}

export interface QuestionViewInput {
  answers: Answers;
  /** What the supplier posted, shown back after a failed save instead of the stored answer. */
  input?: Record<string, unknown>;
  errors: FieldErrors;
  response: ResponseData;
  lang: Locale;
  t: Translate;
}

export function questionView(question: Question, data: QuestionViewInput): QuestionView {
  const { lang, t } = data;
  const posted = data.input && question.id in data.input ? data.input[question.id] : undefined;
  const hasPosted = data.input !== undefined && question.type !== 'evidence';
  const stored = data.answers[question.id];
  const value = hasPosted ? rawToString(posted) : inputValue(stored, lang);
  const values = hasPosted ? rawToArray(posted) : Array.isArray(stored) && stored.every((s) => typeof s === 'string') ? (stored as string[]) : [];
  const error = data.errors[question.id];
  const fileError = data.errors[`file-${question.id}`];
  const help = localize(question.help, lang);
  const baseId = `q-${question.id}`;
  const options = optionsOf(question, lang, t);
  const targetId = isGroup(question) ? `${baseId}-${options[0]?.value ?? '0'}` : question.type === 'evidence' ? `file-${question.id}` : baseId;
  const describedBy = [help ? `${baseId}-hint` : '', error ? `${baseId}-error` : ''].filter(Boolean).join(' ');
  const spec = question.evidence;
  return {
    id: question.id,
    type: question.type,
    label: question.label[lang],
    help,
    required: question.required,
    targetId,
    describedBy,
    value,
    values,
    options,
    unit: 'unit' in question ? localize(question.unit, lang) : question.type === 'percentage' ? '%' : undefined,
    maxLength: 'maxLength' in question ? question.maxLength : undefined,
    dateMin: question.type === 'date' && question.min !== 'today' ? question.min : undefined,
    dateMax: question.type === 'date' && question.max !== 'today' ? question.max : undefined,
    error: error ? t(error.key, error.params) : undefined,
    evidence: spec
      ? {
          accept: spec.accept.map((kind) => (kind === 'jpeg' ? '.jpg,.jpeg' : `.${kind}`)).join(','),
          acceptLabel: spec.accept.map((kind) => kind.toUpperCase()).join(', '),
          maxSize: formatBytes(spec.maxBytes, lang),
          maxFiles: spec.maxFiles,
          request: localize(spec.request, lang),
          files: evidenceFilesFor(data.response, question.id).map((f) => ({ fileId: f.fileId, filename: f.filename, size: formatBytes(f.size, lang) })),
          error: fileError ? t(fileError.key, fileError.params) : undefined,
        }
      : undefined,
  };
}

export function sectionNav(
  definition: QuestionnaireDefinition,
  answers: Answers,
  currentId: string | undefined,
  lang: Locale,
  t: Translate,
  visibility: Visibility = computeVisibility(definition, answers),
): SectionNavItem[] {
  // One visibility pass for the whole list: a section hidden by its condition, or with nothing visible, has total 0.
  return definition.sections
    .map((section) => ({ section, progress: visibility.progress(section) }))
    .filter(({ progress }) => progress.total > 0)
    .map(({ section, progress }) => {
      return {
        id: section.id,
        title: section.title[lang],
        progressText: t('supplier:nav.progress', {
          answered: formatCount(progress.answered, lang),
          total: formatCount(progress.total, lang),
          requiredAnswered: formatCount(progress.requiredAnswered, lang),
          required: formatCount(progress.required, lang),
        }),
        answered: progress.answered,
        total: progress.total,
        required: progress.required,
        requiredAnswered: progress.requiredAnswered,
        complete: progress.complete,
        current: section.id === currentId,
      };
    });
}

/** An answer as text for the review page, the receipt and the receipt email. */
export function formatAnswer(question: Question, value: AnswerValue | undefined, lang: Locale, t: Translate): string | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  switch (question.type) {
    case 'yes_no':
      return t(`supplier:answer.${String(value)}`);
    case 'single_choice':
      return question.options.find((o) => o.id === value)?.label[lang] ?? String(value);
    case 'multiple_choice':
      return Array.isArray(value)
        ? question.options.filter((o) => (value as unknown[]).includes(o.id)).map((o) => o.label[lang]).join('; ')
        : String(value);
    case 'number':
    case 'integer':
    case 'percentage': {
      const number = typeof value === 'number' ? formatCount(value, lang) : String(value);
      const unit = question.type === 'percentage' ? '%' : localize(question.unit, lang);
      return unit ? `${number} ${unit}` : number;
    }
    case 'date':
      return typeof value === 'string' ? formatDate(value, lang) : undefined;
    case 'country':
      return typeof value === 'string' ? countryName(value, lang) : undefined;
    case 'evidence':
      return Array.isArray(value)
        ? value.map((f) => (typeof f === 'object' && f !== null && 'filename' in f ? f.filename : '')).filter(Boolean).join('; ')
        : undefined;
    default:
      return String(value);
  }
}

export interface ReviewItem {
  id: string;
  label: string;
  answer: string | undefined;
  required: boolean;
  files: string[];
}

export interface ReviewSection {
  id: string;
  title: string;
  items: ReviewItem[];
}

export function reviewSections(
  definition: QuestionnaireDefinition,
  answers: Answers,
  response: ResponseData,
  lang: Locale,
  t: Translate,
  visibility: Visibility = computeVisibility(definition, answers),
): ReviewSection[] {
  return definition.sections
    .filter((section: Section) => visibility.isSectionVisible(section))
    .map((section) => ({
      id: section.id,
      title: section.title[lang],
      items: visibility.visibleQuestions(section).map((question) => ({
        id: question.id,
        label: question.label[lang],
        answer: formatAnswer(question, answers[question.id], lang, t),
        required: question.required,
        // Documents beside an answer count only while the answer asks for them (a "No" makes the policy irrelevant).
        files: question.type === 'evidence' || !visibility.isEvidenceRequested(question) ? [] : evidenceFilesFor(response, question.id).map((f) => f.filename),
      })),
    }))
    .filter((section) => section.items.length > 0);
}
