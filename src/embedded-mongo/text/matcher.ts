/**
 * Whether a document satisfies a `$text` query beyond holding one of its terms in the index: no negated term, every
 * positive phrase and no negated phrase (substrings, case- and diacritic-insensitive unless the query says
 * otherwise), read in each string's own language. With `$caseSensitive` or `$diacriticSensitive` a document found
 * through the folded index terms must also hold a positive term in that exact form.
 */
import type { Document } from '../types';
import type { TextLanguage } from './languages';
import type { TextQuery } from './query';
import type { TextIndexDefinition } from './text-index';
import { forEachToken } from './tokenizer';
import { normaliseForComparison } from './unicode';

export class TextMatcher {
  constructor(
    private readonly query: TextQuery,
    private readonly index: TextIndexDefinition,
  ) {}

  /** For a document the index scan found: the positive-term check is implied unless case or diacritics matter. */
  matchesIndexed(doc: Document): boolean {
    if ((this.query.caseSensitive || this.query.diacriticSensitive) && !this.hasTerm(doc, this.query.positiveTerms)) return false;
    return this.passesNegationsAndPhrases(doc);
  }

  /** For any document (a transaction's own write the index has not seen). */
  matches(doc: Document): boolean {
    return this.hasTerm(doc, this.query.positiveTerms) && this.passesNegationsAndPhrases(doc);
  }

  private passesNegationsAndPhrases(doc: Document): boolean {
    const { negatedTerms, positivePhrases, negatedPhrases } = this.query;
    if (negatedTerms.size > 0 && this.hasTerm(doc, negatedTerms)) return false;
    if (!positivePhrases.every((phrase) => this.hasPhrase(doc, phrase))) return false;
    return !negatedPhrases.some((phrase) => this.hasPhrase(doc, phrase));
  }

  private hasTerm(doc: Document, terms: ReadonlySet<string>): boolean {
    if (terms.size === 0) return false;
    const options = this.query.tokenOptions();
    let found = false;
    this.index.forEachText(doc, (text, language) => {
      forEachToken(text, language, options, (term) => (found = terms.has(term)));
      return found;
    });
    return found;
  }

  private hasPhrase(doc: Document, phrase: string): boolean {
    let found = false;
    this.index.forEachText(doc, (text, language) => (found = containsPhrase(text, phrase, language, this.query)));
    return found;
  }
}

/** Turkish comparisons always ignore case (its I/i pairs), as in mongod. */
function containsPhrase(haystack: string, phrase: string, language: TextLanguage, query: TextQuery): boolean {
  const options = { caseSensitive: query.caseSensitive && !language.turkish, diacriticSensitive: query.diacriticSensitive, turkish: language.turkish };
  return normaliseForComparison(haystack, options).includes(normaliseForComparison(phrase, options));
}
