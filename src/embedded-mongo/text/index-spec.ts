/**
 * A text index spec normalised as mongod's fixSpec does it: the key's text fields become `_fts: 'text', _ftsx: 1`
 * between the prefix and suffix fields, their weights (1 unless given, truncated to integers) join `weights` in
 * field order, and `default_language` ('english'), `language_override` ('language') and `textIndexVersion` (3) are
 * filled in. Every refusal is 67 CannotCreateIndex with mongod's message. Text indexes take no collation.
 */
import { compareStrings, isNumeric } from '../bson/compare';
import { mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { CollationSpec, Document } from '../types';
import { textLanguage } from './languages';
import { TEXT_INDEX_VERSION, TEXT_KEY_FIELDS, WILDCARD } from './text-index';

/** Weights must lie strictly between 0 and this. */
const MAX_WORD_WEIGHT = 100_000;

export interface NormalisedTextIndex {
  key: Document;
  weights: Record<string, number>;
  default_language: string;
  language_override: string;
  textIndexVersion: number;
}

/** A key pattern with a 'text' field (or already in `_fts` form) makes a text index. */
export function isTextIndexKey(key: Document): boolean {
  return Object.entries(key).some(([field, value]) => value === 'text' || field === TEXT_KEY_FIELDS[0]);
}

export function normaliseTextIndex(raw: Document): NormalisedTextIndex {
  const { key, textFields } = normaliseKey(raw.key as Document);
  return {
    key,
    weights: normaliseWeights(textFields, raw.weights),
    default_language: languageOption(raw.default_language),
    language_override: overrideOption(raw.language_override),
    textIndexVersion: versionOption(raw.textIndexVersion),
  };
}

/** A text index has no collation: an explicit 'simple' one is dropped, any other (or the collection's) refused. */
export function checkTextIndexCollation(explicit: unknown, collection: CollationSpec | undefined): void {
  const effective = explicit === undefined ? collection : explicit;
  if (effective === undefined) return;
  if (isPlainDocument(effective) && effective.locale === 'simple') return;
  throw cannotCreate(`Index type 'text' does not support collation: ${JSON.stringify(effective)}`);
}

function cannotCreate(message: string): never {
  throw mongoError('CannotCreateIndex', message);
}

function normaliseKey(raw: Document): { key: Document; textFields: string[] } {
  const key: Document = {};
  const textFields: string[] = [];
  const entries = Object.entries(raw);
  let phase: 'before' | 'text' | 'after' = 'before';
  for (let i = 0; i < entries.length; i++) {
    const [field, value] = entries[i];
    const isText = value === 'text' || field === TEXT_KEY_FIELDS[0];
    if (isText && phase === 'after') cannotCreate("'text' fields in index must all be adjacent");
    if (field === TEXT_KEY_FIELDS[0]) {
      if (value !== 'text') cannotCreate('expecting _fts:"text"');
      if (entries[i + 1]?.[0] !== TEXT_KEY_FIELDS[1]) cannotCreate('expected _ftsx after _fts');
      if (Number(entries[i + 1][1]) !== 1) cannotCreate('expecting _ftsx:1');
      i++;
    } else if (isText) {
      checkTextField(field);
      textFields.push(field);
    } else {
      if (field === TEXT_KEY_FIELDS[1]) cannotCreate('text index with reserved fields _fts/_ftsx not allowed');
      if (typeof value === 'string') cannotCreate(`Can't use more than one index plugin for a single index.`);
      const direction = isNumeric(value) ? Number(value) : NaN;
      if (direction !== 1 && direction !== -1) cannotCreate('expected value 1 or -1 for non-text key in compound index');
      checkPath(field, `Index key contains an illegal field name: '${field}'`);
      if (phase === 'text') phase = 'after';
      key[field] = direction;
      continue;
    }
    if (phase === 'before') {
      phase = 'text';
      key[TEXT_KEY_FIELDS[0]] = 'text';
      key[TEXT_KEY_FIELDS[1]] = 1;
    }
  }
  return { key, textFields };
}

function checkTextField(field: string): void {
  if (field === WILDCARD) return;
  checkPath(field, `Index key contains an illegal field name: '${field}'`);
}

function checkPath(path: string, message: string): void {
  if (path.length === 0 || path.split('.').some((part) => part.length === 0 || part.startsWith('$'))) cannotCreate(message);
}

function normaliseWeights(textFields: string[], raw: unknown): Record<string, number> {
  const weights = new Map<string, number>(textFields.map((field) => [field, 1]));
  if (isPlainDocument(raw)) {
    for (const [field, value] of Object.entries(raw)) {
      if (!isNumeric(value)) cannotCreate('weight for text index needs numeric type');
      weights.set(field, Math.trunc(Number(value)));
    }
  } else if (raw === WILDCARD) weights.set(WILDCARD, 1);
  else if (raw !== undefined) cannotCreate("text index option 'weights' must be an object");
  if (weights.size === 0) cannotCreate("text index option 'weights' must specify fields or the wildcard");
  const out: Record<string, number> = {};
  for (const field of [...weights.keys()].sort(compareStrings)) {
    const weight = weights.get(field) as number;
    if (!(weight > 0 && weight < MAX_WORD_WEIGHT)) {
      cannotCreate(`text index weight must be in the exclusive interval (0,${MAX_WORD_WEIGHT}) but found: ${weight}`);
    }
    if (field !== WILDCARD) checkWeightField(field);
    out[field] = weight;
  }
  return out;
}

function checkWeightField(field: string): void {
  if (field.length === 0) cannotCreate('weight cannot be on an empty field');
  for (const part of field.split('.')) {
    if (part.length === 0) cannotCreate('weight cannot have empty path component');
    if (part.startsWith('$')) cannotCreate('weight cannot have path component with $ prefix');
  }
}

function languageOption(value: unknown): string {
  if (value === undefined) return 'english';
  if (typeof value !== 'string') cannotCreate('default_language needs a string type');
  if (!textLanguage(value)) cannotCreate('default_language is not valid');
  return value;
}

function overrideOption(value: unknown): string {
  if (value === undefined) return 'language';
  if (typeof value !== 'string') cannotCreate('language_override must be a string');
  if (value.length === 0 || value.startsWith('$') || value.includes('.')) cannotCreate('language_override is not valid');
  return value;
}

function versionOption(value: unknown): number {
  if (value === undefined) return TEXT_INDEX_VERSION;
  if (!isNumeric(value)) cannotCreate("text index option 'textIndexVersion' must be a number");
  const version = Math.trunc(Number(value));
  if (version === 1 || version === 2) cannotCreate(`textIndexVersion ${version} is not supported by the embedded server, only ${TEXT_INDEX_VERSION}`);
  if (version !== TEXT_INDEX_VERSION) cannotCreate(`bad textIndexVersion: ${version}`);
  return version;
}
