/**
 * `$text` queries: the operand's validation as mongod's parser does it, and the search string's parse into terms,
 * negated terms, phrases and negated phrases. A word is negated by a "-" right before it (after white space or at
 * the start) and the negation lasts to the next white space ("-foo-bar" negates both); a "-" inside a phrase is
 * just a delimiter; the words of a positive phrase are also positive terms. Terms come out of the language's
 * tokenizer (stop words dropped, stemmed, case-folded, diacritics removed), so a query of stop words finds nothing.
 */
import { bsonType, compareStrings } from '../bson/compare';
import { mongoError } from '../errors';
import { textLanguage, type TextLanguage } from './languages';
import { tokenize, type TokenOptions } from './tokenizer';
import { isPlainDocument } from '../query/paths';

export interface TextSearchParams {
  search: string;
  /** undefined: the text index's default language. */
  language: string | undefined;
  caseSensitive: boolean;
  diacriticSensitive: boolean;
}

/** The `$text` operand, validated in mongod's order and words (before any index is looked at). */
export function parseTextOperand(operand: unknown): TextSearchParams {
  if (!isPlainDocument(operand)) throw mongoError('BadValue', '$text expects an object');
  const search = typedField(operand, '$search', 'string');
  if (search === undefined) throw mongoError('NoSuchKey', 'Missing expected field "$search"');
  const language = typedField(operand, '$language', 'string');
  const caseSensitive = typedField(operand, '$caseSensitive', 'bool');
  const diacriticSensitive = typedField(operand, '$diacriticSensitive', 'bool');
  const expected = 1 + [language, caseSensitive, diacriticSensitive].filter((v) => v !== undefined).length;
  if (Object.keys(operand).length !== expected) throw mongoError('BadValue', 'extra fields in $text');
  return { search, language, caseSensitive: caseSensitive ?? false, diacriticSensitive: diacriticSensitive ?? false };
}

function typedField(operand: Record<string, unknown>, field: string, type: 'string'): string | undefined;
function typedField(operand: Record<string, unknown>, field: string, type: 'bool'): boolean | undefined;
function typedField(operand: Record<string, unknown>, field: string, type: 'string' | 'bool'): string | boolean | undefined {
  if (!Object.prototype.hasOwnProperty.call(operand, field)) return undefined;
  const value = operand[field];
  if (bsonType(value) !== type) throw mongoError('TypeMismatch', `"${field}" had the wrong type. Expected ${type}, found ${bsonType(value)}`);
  return value as string | boolean;
}

export class TextQuery {
  /** What documents must contain one of (in the query's case and diacritic sensitivity). */
  readonly positiveTerms = new Set<string>();
  readonly negatedTerms = new Set<string>();
  readonly positivePhrases: string[] = [];
  readonly negatedPhrases: string[] = [];
  /** The folded positive terms: the keys looked up in the text index. */
  readonly termsForBounds = new Set<string>();

  private constructor(
    readonly language: TextLanguage,
    readonly caseSensitive: boolean,
    readonly diacriticSensitive: boolean,
  ) {}

  /** Throws 2 BadValue for a language mongod does not know. */
  static parse(params: TextSearchParams, defaultLanguage: string): TextQuery {
    const name = params.language ?? defaultLanguage;
    const language = textLanguage(name);
    if (!language) throw mongoError('BadValue', `unsupported language: "${name}" for text index version 3`);
    const query = new TextQuery(language, params.caseSensitive, params.diacriticSensitive);
    const { positive, negative } = query.splitSearch(params.search);
    query.addTerms(positive, false);
    query.addTerms(negative, true);
    return query;
  }

  /** The query as explain's `parsedTextQuery` shows it. */
  describe(): { terms: string[]; negatedTerms: string[]; phrases: string[]; negatedPhrases: string[] } {
    const sorted = (terms: Set<string>): string[] => [...terms].sort(compareStrings);
    return { terms: sorted(this.positiveTerms), negatedTerms: sorted(this.negatedTerms), phrases: [...this.positivePhrases], negatedPhrases: [...this.negatedPhrases] };
  }

  /** The words to tokenize as positive and as negated terms; phrases are collected on the way. */
  private splitSearch(search: string): { positive: string; negative: string } {
    const words = { positive: [] as string[], negative: [] as string[] };
    let inNegation = false;
    let phraseStart: number | undefined;
    for (const token of searchTokens(search)) {
      if (token.kind === 'text') {
        if (phraseStart !== undefined && inNegation) continue;
        if (inNegation && token.afterWhiteSpace) inNegation = false;
        (inNegation ? words.negative : words.positive).push(token.text);
      } else if (token.text === '-') {
        if (phraseStart === undefined && token.afterWhiteSpace) inNegation = true;
      } else if (phraseStart !== undefined) {
        const phrase = search.slice(phraseStart, token.offset);
        (inNegation ? this.negatedPhrases : this.positivePhrases).push(phrase);
        phraseStart = undefined;
      } else {
        if (inNegation && token.afterWhiteSpace) inNegation = false;
        phraseStart = token.offset + 1;
      }
    }
    return { positive: words.positive.join(' '), negative: words.negative.join(' ') };
  }

  private addTerms(sentence: string, negated: boolean): void {
    const target = negated ? this.negatedTerms : this.positiveTerms;
    const folded = tokenize(sentence, this.language, { filterStopWords: true });
    if (!negated) for (const term of folded) this.termsForBounds.add(term);
    const sensitive = this.caseSensitive || this.diacriticSensitive;
    const terms = sensitive ? tokenize(sentence, this.language, this.tokenOptions(true)) : folded;
    for (const term of terms) target.add(term);
  }

  /** How document text is tokenized to compare with this query's terms. */
  tokenOptions(filterStopWords = false): TokenOptions {
    return { filterStopWords, caseSensitive: this.caseSensitive, diacriticSensitive: this.diacriticSensitive };
  }
}

interface SearchToken {
  kind: 'text' | 'delimiter';
  text: string;
  offset: number;
  afterWhiteSpace: boolean;
}

const WHITE_SPACE = new Set(['\n', '\v', '\f', '\r', ' ']);

/** mongod's query tokens: runs of text, and '-' and '"' one at a time, each knowing whether white space preceded it. */
function* searchTokens(search: string): Generator<SearchToken> {
  let pos = 0;
  const skipWhiteSpace = (): boolean => {
    const start = pos;
    while (pos < search.length && WHITE_SPACE.has(search[pos])) pos++;
    return pos > start;
  };
  skipWhiteSpace();
  let afterWhiteSpace = true;
  while (pos < search.length) {
    const start = pos++;
    const delimiter = search[start] === '-' || search[start] === '"';
    if (!delimiter) while (pos < search.length && !WHITE_SPACE.has(search[pos]) && search[pos] !== '-' && search[pos] !== '"') pos++;
    const token: SearchToken = { kind: delimiter ? 'delimiter' : 'text', text: search.slice(start, pos), offset: start, afterWhiteSpace };
    afterWhiteSpace = skipWhiteSpace();
    yield token;
  }
}
