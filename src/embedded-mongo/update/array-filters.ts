/**
 * `arrayFilters`: one filter per `$[identifier]`, compiled once and tested against each array element.
 */
import { mongoError } from '../errors';
import { compileFilter, type Matcher } from '../query/matcher';
import { isPlainDocument } from '../query/paths';
import type { Collator } from '../types';

const IDENTIFIER_RE = /^[a-z][a-zA-Z0-9]*$/;
const LOGICAL = new Set(['$and', '$or', '$nor']);

function parseError(message: string): never {
  throw mongoError('FailedToParse', `Error parsing array filter :: caused by :: ${message}`);
}

/** The top-level field names a filter constrains, looking inside $and/$or/$nor. */
function topLevelNames(filter: Record<string, unknown>, out: string[]): string[] {
  for (const [key, value] of Object.entries(filter)) {
    if (LOGICAL.has(key) && Array.isArray(value)) {
      for (const clause of value) if (isPlainDocument(clause)) topLevelNames(clause, out);
    } else if (!key.startsWith('$')) {
      out.push(key.split('.')[0]);
    }
  }
  return out;
}

function identifierOf(filter: Record<string, unknown>): string {
  const names = topLevelNames(filter, []);
  if (names.length === 0) {
    throw mongoError('FailedToParse', 'Cannot use an expression without a top-level field name in arrayFilters');
  }
  const other = names.find((name) => name !== names[0]);
  if (other !== undefined) parseError(`Expected a single top-level field name, found '${names[0]}' and '${other}'`);
  if (!IDENTIFIER_RE.test(names[0])) {
    throw mongoError(
      'BadValue',
      `Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '${names[0]}'`,
    );
  }
  return names[0];
}

export function compileArrayFilters(arrayFilters: unknown, collator: Collator | undefined): Map<string, Matcher> {
  const matchers = new Map<string, Matcher>();
  if (arrayFilters === undefined || arrayFilters === null) return matchers;
  if (!Array.isArray(arrayFilters)) throw mongoError('TypeMismatch', 'arrayFilters must be an array');
  for (const filter of arrayFilters) {
    if (!isPlainDocument(filter)) throw mongoError('TypeMismatch', 'Each array filter must be an object');
    const id = identifierOf(filter);
    if (matchers.has(id)) {
      throw mongoError('FailedToParse', `Found multiple array filters with the same top-level field name ${id}`);
    }
    matchers.set(id, compileFilter(filter, { collator }));
  }
  return matchers;
}
