/** Turning a refused form into what its page shows: an error summary linking to each field, and the field's own text. */
import { z } from 'zod';
import { HttpError } from '../platform/errors';
import type { Translate } from '../platform/i18n';

export interface FieldError {
  /** The input's id, which the summary links to. */
  field: string;
  message: string;
}

export interface FormErrors {
  status: number;
  list: FieldError[];
  byField: Record<string, string>;
}

function collect(status: number, list: FieldError[]): FormErrors {
  const unique = list.filter((error, index) => list.findIndex((other) => other.field === error.field) === index);
  return { status, list: unique, byField: Object.fromEntries(unique.map((error) => [error.field, error.message])) };
}

/**
 * The errors of a refused form, or undefined when `error` is not about the form (it is then thrown on). `messages`
 * gives each field's i18n key for an invalid value.
 */
export function formErrors(error: unknown, t: Translate, messages: Record<string, string>): FormErrors | undefined {
  if (error instanceof z.ZodError) {
    return collect(
      400,
      error.issues.map((issue) => {
        const field = String(issue.path[0] ?? 'form');
        return { field, message: t(messages[field] ?? 'accounts:errors.invalid') };
      }),
    );
  }
  if (error instanceof HttpError && error.field && error.status < 500 && error.status !== 404) {
    return collect(error.status, [{ field: error.field, message: t(error.messageKey, error.params) }]);
  }
  return undefined;
}

/** The string a form field was posted with ('' when absent or not a string: `email[$ne]=` is not an email). */
export function textField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value: unknown = Reflect.get(body, name);
  return typeof value === 'string' ? value : '';
}

/** A group of checkboxes: absent, one value or several. Non-strings are dropped. */
export function listField(body: unknown, name: string): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const value: unknown = Reflect.get(body, name);
  const values = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string');
}
