/**
 * A text index as mongod keeps it (the spec has been normalised by `normaliseTextIndex`): which strings of a
 * document it reads, in which language and with which weight, the score each term gets, and the index keys
 * `[...prefix values, term, score, ...suffix values]`, one per distinct term of the document.
 *
 * Reading strings follows mongod's FTSElementIterator: a string counts when its dotted path (array elements take
 * their array's path) is a weighted field, or anywhere with the `$**` wildcard; sub-documents and arrays are entered
 * on the way to a weighted field (arrays of arrays only with the wildcard); a sub-document's language field
 * (`language_override`) sets the language of the strings inside it.
 *
 * A term's score in one string is weight × frequency × (0.5 × count / terms + 0.5), × 1.1 when the whole string is
 * that term; frequency adds 1, ½, ¼ … per repeat. Scores of a term add up over the strings of the document.
 */
import { compareStrings } from '../bson/compare';
import { MongoServerError, mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { Document, IndexSpec } from '../types';
import { textLanguage, type TextLanguage } from './languages';
import { tokenize } from './tokenizer';

export const TEXT_INDEX_VERSION = 3;
export const WILDCARD = '$**';
export const TEXT_KEY_FIELDS = ['_fts', '_ftsx'] as const;

/** One indexed string: its text, the language it is read in and the weight of its field. */
export type TextVisitor = (text: string, language: TextLanguage, weight: number) => boolean | void;

export class TextIndexDefinition {
  readonly wildcard: boolean;
  /** Weighted fields in byte order (mongod looks them up by lower bound). */
  private readonly weightedFields: string[];
  private readonly weights: Map<string, number>;
  readonly defaultLanguage: string;
  readonly languageOverride: string;
  readonly prefixFields: string[];
  readonly suffixFields: string[];
  /** Top-level fields the keys are computed from (undefined with the wildcard: any field). */
  private readonly readsFields: Set<string> | undefined;

  constructor(spec: IndexSpec) {
    const weights = spec.weights as Record<string, number>;
    this.wildcard = Object.prototype.hasOwnProperty.call(weights, WILDCARD);
    this.weights = new Map(Object.entries(weights).filter(([field]) => field !== WILDCARD));
    this.weightedFields = [...this.weights.keys()].sort(compareStrings);
    this.defaultLanguage = spec.default_language as string;
    this.languageOverride = spec.language_override as string;
    const fields = Object.keys(spec.key);
    const textAt = fields.indexOf(TEXT_KEY_FIELDS[0]);
    this.prefixFields = fields.slice(0, textAt);
    this.suffixFields = fields.slice(textAt + 2);
    this.readsFields = this.wildcard
      ? undefined
      : new Set([...this.weightedFields, ...this.prefixFields, ...this.suffixFields, this.languageOverride].map((path) => path.split('.')[0]));
  }

  /** Whether a document changed only in `changedFields` (top-level) can have other keys. */
  readsAnyOf(changedFields: readonly string[]): boolean {
    return this.readsFields === undefined || changedFields.some((field) => this.readsFields?.has(field));
  }

  /** Visits the document's indexed strings in mongod's order; the visitor returning true stops the walk. */
  forEachText(doc: Document, visit: TextVisitor): void {
    this.walk(doc, '', false, this.languageOf(doc, this.defaultLanguageOf()), visit);
  }

  /** Each distinct term of the document with its score. Throws 17261/17262 for a bad language field. */
  termScores(doc: Document): Map<string, number> {
    const scores = new Map<string, number>();
    this.forEachText(doc, (text, language, weight) => addStringScores(text, language, weight, scores));
    return scores;
  }

  /** The index keys of `doc`: none when it has no terms. Throws 133 when a prefix or suffix field meets an array. */
  keys(doc: Document): unknown[][] {
    const prefix = this.prefixFields.map((path) => nonTextKeyValue(doc, path));
    const suffix = this.suffixFields.map((path) => nonTextKeyValue(doc, path));
    const keys: unknown[][] = [];
    // Built at their exact size: spread arrays keep spare capacity, which doubled the index's memory.
    const plain = prefix.length === 0 && suffix.length === 0;
    for (const [term, score] of this.termScores(doc)) keys.push(plain ? [term, score] : prefix.concat([term, score], suffix));
    return keys;
  }

  private defaultLanguageOf(): TextLanguage {
    return textLanguage(this.defaultLanguage) as TextLanguage;
  }

  /** The language a (sub-)document's strings are read in: its own language field, else its parent's. */
  private languageOf(obj: Document, inherited: TextLanguage): TextLanguage {
    if (!Object.prototype.hasOwnProperty.call(obj, this.languageOverride)) return inherited;
    const name = obj[this.languageOverride];
    if (typeof name !== 'string') throw mongoError('Location17261', 'found language override field in document with non-string type');
    const language = textLanguage(name);
    if (!language) throw mongoError('Location17262', `language override unsupported: ${name}`);
    return language;
  }

  /** Returns true when the visitor stopped the walk. */
  private walk(obj: Document | unknown[], parentPath: string, isArray: boolean, language: TextLanguage, visit: TextVisitor): boolean {
    const entries: Array<[string, unknown]> = Array.isArray(obj) ? obj.map((value, i) => [String(i), value]) : Object.entries(obj);
    for (const [field, value] of entries) {
      if (this.wildcard && field === this.languageOverride) continue;
      const dotted = parentPath === '' ? field : isArray ? parentPath : `${parentPath}.${field}`;
      const document = isPlainDocument(value);
      const candidate = this.lowerBound(document ? `${dotted}.` : dotted);
      if (!this.wildcard && (candidate === undefined || !(candidate === dotted || candidate.startsWith(`${dotted}.`)))) continue;
      const exact = candidate === dotted;
      // mongod takes the weight of the lower bound even when it is not this field (only the wildcard gets here then).
      const weight = candidate === undefined ? 1 : (this.weights.get(candidate) as number);
      if (typeof value === 'string') {
        if ((exact || this.wildcard) && visit(value, language, weight) === true) return true;
      } else if (document) {
        if ((!exact || this.wildcard) && this.walk(value, dotted, false, this.languageOf(value, language), visit)) return true;
      } else if (Array.isArray(value)) {
        if ((!isArray || this.wildcard) && this.walk(value, dotted, true, language, visit)) return true;
      }
    }
    return false;
  }

  /** The first weighted field at or after `path` in byte order. */
  private lowerBound(path: string): string | undefined {
    for (const field of this.weightedFields) if (compareStrings(field, path) >= 0) return field;
    return undefined;
  }
}

interface TermCount {
  count: number;
  frequency: number;
  step: number;
}

function addStringScores(text: string, language: TextLanguage, weight: number, scores: Map<string, number>): void {
  const counts = new Map<string, TermCount>();
  let tokens = 0;
  for (const term of tokenize(text, language, { filterStopWords: true })) {
    const seen = counts.get(term);
    if (seen) {
      seen.step *= 2;
      seen.count += 1;
      seen.frequency += 1 / seen.step;
    } else counts.set(term, { count: 1, frequency: 1, step: 1 });
    tokens++;
  }
  for (const [term, { count, frequency }] of counts) {
    const coefficient = (0.5 * count) / tokens + 0.5;
    const adjustment = text.length === term.length && equalsIgnoringAsciiCase(text, term) ? 1.1 : 1;
    scores.set(term, (scores.get(term) ?? 0) + weight * frequency * coefficient * adjustment);
  }
}

function equalsIgnoringAsciiCase(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

/** A prefix or suffix field's value: null when missing; arrays are not allowed on its path, except by index ("a.3"). */
function nonTextKeyValue(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(part)) throw arrayInTextIndex(path, doc);
      value = value[Number(part)];
    } else if (isPlainDocument(value) && Object.prototype.hasOwnProperty.call(value, part)) value = value[part];
    else return null;
    if (value === undefined) return null;
  }
  if (Array.isArray(value)) throw arrayInTextIndex(path, doc);
  return value;
}

function arrayInTextIndex(path: string, doc: Document): MongoServerError {
  return mongoError('CannotBuildIndexKeys', `Field '${path}' of text index contains an array in document: { _id: ${describeId(doc._id)} }`);
}

function describeId(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(id) : String(id);
}
