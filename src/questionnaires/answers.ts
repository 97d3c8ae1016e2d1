/**
 * Turning what a supplier typed (form strings, string arrays from checkboxes, or JSON values from autosave) into a
 * typed answer, or an error given as an i18n key in the `questionnaire` namespace. Empty input is "unanswered", not
 * an error: whether an answer is required is decided at submit by `missingRequired`.
 */
import { INTL_LOCALES } from '../platform/i18n';
import { isCountryCode } from './countries';
import { isCalendarDate } from './schema';
import {
  type AnswerValue,
  type ChoiceOption,
  type EvidenceFile,
  type EvidenceKind,
  type EvidenceSpec,
  type Locale,
  type NumericQuestion,
  type Question,
} from './types';

export interface AnswerError {
  key: string;
  params: Record<string, string | number>;
}
export type ParsedAnswer = { ok: true; value: AnswerValue | undefined } | { ok: false; error: AnswerError };

export interface ParseOptions {
  /** The supplier's today (YYYY-MM-DD) for date bounds written as `today`; the current UTC date by default. */
  today?: string;
}

/** Media types each accepted evidence kind is stored as; content sniffing at upload must agree with these. */
export const EVIDENCE_MEDIA_TYPES: Record<EvidenceKind, string> = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const NS = 'questionnaire:';

function fail(key: string, params: Record<string, string | number> = {}): ParsedAnswer {
  return { ok: false, error: { key: `${NS}errors.${key}`, params } };
}

function ok(value: AnswerValue | undefined): ParsedAnswer {
  return { ok: true, value };
}

export function parseAnswer(question: Question, raw: unknown, locale: Locale, options: ParseOptions = {}): ParsedAnswer {
  if (isEmptyInput(raw)) return ok(undefined);
  switch (question.type) {
    case 'yes_no':
      return parseYesNo(raw);
    case 'single_choice':
      return parseSingleChoice(raw, question.options.map((o) => o.id));
    case 'multiple_choice':
      return parseMultipleChoice(raw, question.options, locale);
    case 'number':
    case 'integer':
    case 'percentage':
      return parseNumeric(question, raw, locale);
    case 'date':
      return parseDate(raw, question.min, question.max, locale, options.today ?? new Date().toISOString().slice(0, 10));
    case 'short_text':
    case 'long_text':
      return parseText(raw, question.type, question.maxLength, locale);
    case 'country':
      return parseCountry(raw);
    case 'evidence':
      return parseEvidenceFiles(question.evidence, raw, locale);
  }
}

function isEmptyInput(raw: unknown): boolean {
  if (raw === undefined || raw === null) return true;
  if (typeof raw === 'string') return raw.trim() === '';
  if (Array.isArray(raw)) return raw.every((item) => typeof item === 'string' && item.trim() === '');
  return false;
}

/** A form posts one value as a string; a repeated field or JSON may send a one-element array. */
function singleString(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw.trim();
  if (Array.isArray(raw)) {
    const filled = raw.filter((item) => !isEmptyInput(item));
    if (filled.length === 1 && typeof filled[0] === 'string') return filled[0].trim();
  }
  return undefined;
}

function parseYesNo(raw: unknown): ParsedAnswer {
  if (raw === true) return ok('yes');
  if (raw === false) return ok('no');
  const value = singleString(raw)?.toLowerCase();
  return value === 'yes' || value === 'no' ? ok(value) : fail('yesNo');
}

function parseSingleChoice(raw: unknown, optionIds: string[]): ParsedAnswer {
  if (Array.isArray(raw) && raw.filter((item) => !isEmptyInput(item)).length > 1) return fail('singleChoice');
  const value = singleString(raw);
  return value !== undefined && optionIds.includes(value) ? ok(value) : fail('unknownOption');
}

function parseMultipleChoice(raw: unknown, options: ChoiceOption[], locale: Locale): ParsedAnswer {
  const items = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
  if (!items || !items.every((item) => typeof item === 'string')) return fail('unknownOption');
  const chosen = [...new Set(items.map((item: string) => item.trim()).filter((item) => item !== ''))];
  if (!chosen.every((id) => options.some((o) => o.id === id))) return fail('unknownOption');
  const exclusive = options.find((o) => o.exclusive === true && chosen.includes(o.id));
  if (exclusive && chosen.length > 1) return fail('exclusiveOption', { option: exclusive.label[locale] });
  // Keep the definition's order so the same choice always stores (and hashes, and compares) the same.
  return ok(options.filter((o) => chosen.includes(o.id)).map((o) => o.id));
}

const GROUP_SPACE = '[ \\u00a0\\u202f]';
const NUMBER_PATTERNS: Record<Locale, RegExp> = {
  // Swedish: comma decimals (a point is accepted too: some keyboards offer only that), space-grouped thousands.
  sv: new RegExp(`^(?<int>\\d{1,3}(?:${GROUP_SPACE}\\d{3})+|\\d+)(?:[,.](?<frac>\\d+))?$`),
  en: new RegExp(`^(?<int>\\d{1,3}(?:,\\d{3})+|\\d{1,3}(?:${GROUP_SPACE}\\d{3})+|\\d+)(?:\\.(?<frac>\\d+))?$`),
};

/** Parses a number as written in `locale`; undefined when it is not one. */
export function parseLocaleNumber(input: string, locale: Locale): number | undefined {
  let text = input.trim().replace(/^[\u2212\u2013]/, '-');
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1).trimStart();
  const match = NUMBER_PATTERNS[locale].exec(text);
  if (!match?.groups) return undefined;
  const digits = (match.groups.int ?? '').replace(/[^\d]/g, '');
  const fraction = match.groups.frac;
  const value = Number(fraction === undefined ? digits : `${digits}.${fraction}`);
  if (!Number.isFinite(value)) return undefined;
  return negative && value !== 0 ? -value : value;
}

/** Intl formatters are costly to build and a page formats dozens of values: one per language is kept. */
const numberFormats = new Map<Locale, Intl.NumberFormat>();
const calendarDateFormats = new Map<Locale, Intl.DateTimeFormat>();

export function formatNumber(value: number, locale: Locale): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(INTL_LOCALES[locale], { maximumFractionDigits: 6 });
    numberFormats.set(locale, format);
  }
  return format.format(value);
}

function parseNumeric(question: NumericQuestion, raw: unknown, locale: Locale): ParsedAnswer {
  let value: number | undefined;
  if (typeof raw === 'number') value = Number.isFinite(raw) ? raw : undefined;
  else {
    const text = singleString(raw);
    const withoutPercent = question.type === 'percentage' ? text?.replace(/\s*%$/, '') : text;
    value = withoutPercent === undefined ? undefined : parseLocaleNumber(withoutPercent, locale);
  }
  const example = formatNumber(question.type === 'integer' ? 1250 : 1250.5, locale);
  if (value === undefined) return fail(question.type === 'integer' ? 'integer' : 'number', { example });
  if (question.type === 'integer' && !Number.isInteger(value)) return fail('integer', { example });
  const min = question.min ?? (question.type === 'percentage' ? 0 : undefined);
  const max = question.max ?? (question.type === 'percentage' ? 100 : undefined);
  if (min !== undefined && value < min) return fail('tooSmall', { min: formatNumber(min, locale) });
  if (max !== undefined && value > max) return fail('tooLarge', { max: formatNumber(max, locale) });
  if (question.step !== undefined && !onStep(value, min ?? 0, question.step)) {
    return fail('step', { step: formatNumber(question.step, locale) });
  }
  return ok(value);
}

function onStep(value: number, base: number, step: number): boolean {
  const steps = (value - base) / step;
  return Math.abs(steps - Math.round(steps)) < 1e-9;
}

function parseDate(raw: unknown, min: string | undefined, max: string | undefined, locale: Locale, today: string): ParsedAnswer {
  const value = singleString(raw);
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !isCalendarDate(value)) return fail('date');
  const lower = min === 'today' ? today : min;
  const upper = max === 'today' ? today : max;
  if (lower !== undefined && value < lower) return fail('dateTooEarly', { min: formatDate(lower, locale) });
  if (upper !== undefined && value > upper) return fail('dateTooLate', { max: formatDate(upper, locale) });
  return ok(value);
}

/** A calendar date (YYYY-MM-DD, as date answers are stored) written out in `locale`. */
export function formatDate(iso: string, locale: Locale): string {
  let format = calendarDateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(INTL_LOCALES[locale], { dateStyle: 'long', timeZone: 'UTC' });
    calendarDateFormats.set(locale, format);
  }
  return format.format(new Date(`${iso}T00:00:00Z`));
}

// C0 controls other than tab and newline, DEL, C1 controls: never part of a legitimate answer.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function parseText(raw: unknown, type: 'short_text' | 'long_text', maxLength: number, locale: Locale): ParsedAnswer {
  const text = singleString(raw);
  if (text === undefined) return fail('text');
  const normalised = type === 'short_text' ? text.replace(/\s*[\r\n]+\s*/g, ' ') : text.replace(/\r\n?/g, '\n');
  if (CONTROL_CHARACTERS.test(normalised)) return fail('invalidCharacters');
  const length = [...normalised].length;
  if (length > maxLength) return fail('tooLong', { max: formatNumber(maxLength, locale), length: formatNumber(length, locale) });
  return ok(normalised);
}

function parseCountry(raw: unknown): ParsedAnswer {
  const code = singleString(raw)?.toUpperCase();
  return code !== undefined && isCountryCode(code) ? ok(code) : fail('country');
}

function isEvidenceFile(value: unknown): value is EvidenceFile {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Record<string, unknown>;
  return (
    typeof file.fileId === 'string' &&
    file.fileId !== '' &&
    typeof file.filename === 'string' &&
    file.filename !== '' &&
    typeof file.size === 'number' &&
    Number.isInteger(file.size) &&
    file.size >= 0 &&
    typeof file.contentType === 'string'
  );
}

export function acceptedMediaTypes(spec: EvidenceSpec): string[] {
  return spec.accept.map((kind) => EVIDENCE_MEDIA_TYPES[kind]);
}

/**
 * Checks the files held for an evidence question (or the documents requested beside another answer) against the
 * question's limits. The content itself is verified when a file is uploaded.
 */
export function parseEvidenceFiles(spec: EvidenceSpec, raw: unknown, locale: Locale): ParsedAnswer {
  if (isEmptyInput(raw)) return ok(undefined);
  const files = Array.isArray(raw) ? raw : [raw];
  if (!files.every(isEvidenceFile)) return fail('evidence');
  if (files.length > spec.maxFiles) return fail('tooManyFiles', { max: spec.maxFiles });
  const accepted = acceptedMediaTypes(spec);
  for (const file of files) {
    if (!accepted.includes(file.contentType)) {
      return fail('fileType', { filename: file.filename, accepted: spec.accept.map((k) => k.toUpperCase()).join(', ') });
    }
    if (file.size > spec.maxBytes) {
      return fail('fileTooLarge', { filename: file.filename, max: formatBytes(spec.maxBytes, locale) });
    }
  }
  return ok(files.map((f) => ({ fileId: f.fileId, filename: f.filename, size: f.size, contentType: f.contentType })));
}

export function formatBytes(bytes: number, locale: Locale): string {
  const megabytes = bytes / (1024 * 1024);
  if (megabytes >= 1) return `${formatNumber(Math.round(megabytes * 10) / 10, locale)} MB`;
  return `${formatNumber(Math.ceil(bytes / 1024), locale)} kB`;
}

/** The evidence a question asks for: its answer for `evidence` questions, otherwise the documents requested with it. */
export function evidenceSpecOf(question: Question): EvidenceSpec | undefined {
  return question.evidence;
}


/**
 * Whether `value` is an answer to `question` in the form answers are stored (what parseAnswer returns): the rules
 * evaluator and rule examples read stored answers, never form input. Date bounds relative to today are not checked,
 * so the result never depends on when it is asked.
 */
export function storedAnswerProblem(question: Question, value: unknown): string | undefined {
  switch (question.type) {
    case 'yes_no':
      return value === 'yes' || value === 'no' ? undefined : 'must be yes or no';
    case 'single_choice':
      return typeof value === 'string' && question.options.some((o) => o.id === value) ? undefined : `must be one of ${optionList(question.options)}`;
    case 'multiple_choice':
      return multipleChoiceProblem(question.options, value);
    case 'number':
    case 'integer':
    case 'percentage':
      return numericProblem(question, value);
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && isCalendarDate(value) ? undefined : 'must be a date written YYYY-MM-DD';
    case 'short_text':
    case 'long_text':
      return typeof value === 'string' && value.trim() !== '' && [...value].length <= question.maxLength ? undefined : `must be a text of at most ${question.maxLength} characters`;
    case 'country':
      return typeof value === 'string' && isCountryCode(value) ? undefined : 'must be an ISO 3166-1 alpha-2 country code';
    case 'evidence':
      return Array.isArray(value) && value.length > 0 && value.length <= question.evidence.maxFiles && value.every(isEvidenceFile)
        ? undefined
        : `must be a list of at most ${question.evidence.maxFiles} files ({fileId, filename, size, contentType})`;
  }
}

function optionList(options: ChoiceOption[]): string {
  return options.map((o) => o.id).join(', ');
}

function multipleChoiceProblem(options: ChoiceOption[], value: unknown): string | undefined {
  const problem = `must be a non-empty list of options from ${optionList(options)}, each once`;
  if (!Array.isArray(value) || value.length === 0 || value.length > options.length) return problem;
  if (!value.every((item) => typeof item === 'string' && options.some((o) => o.id === item))) return problem;
  if (new Set(value).size !== value.length) return problem;
  const exclusive = options.find((o) => o.exclusive === true && value.includes(o.id));
  return exclusive && value.length > 1 ? `"${exclusive.id}" cannot be combined with other options` : undefined;
}

function numericProblem(question: NumericQuestion, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  if (question.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
  const min = question.min ?? (question.type === 'percentage' ? 0 : undefined);
  const max = question.max ?? (question.type === 'percentage' ? 100 : undefined);
  if (min !== undefined && value < min) return `must be at least ${min}`;
  if (max !== undefined && value > max) return `must be at most ${max}`;
  return undefined;
}
