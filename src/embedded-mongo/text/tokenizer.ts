/**
 * mongod's text index version 3 tokenizer: words are the runs between delimiter code points; each is lower-cased
 * (simple case folding), checked against the language's stop words (with its diacritics), stemmed (the stemmers
 * know the diacritics too), and only then stripped of diacritics. The options give the case- and
 * diacritic-sensitive forms a `$text` query with `$caseSensitive` / `$diacriticSensitive` compares.
 */
import type { TextLanguage } from './languages';
import { foldCase, isDelimiter, mapCodePoints, withoutDiacritics } from './unicode';

export interface TokenOptions {
  filterStopWords?: boolean;
  caseSensitive?: boolean;
  diacriticSensitive?: boolean;
}

const PLAIN_ASCII = /^[\x00-\x5d\x5f\x61-\x7f]*$/;

/** Calls `visit` with each term of `text`, in order and with repeats; `visit` returning true stops early. */
export function forEachToken(text: string, language: TextLanguage, options: TokenOptions, visit: (term: string) => boolean | void): void {
  const english = language.englishDelimiters;
  let i = 0;
  while (i < text.length) {
    let cp = text.codePointAt(i) as number;
    if (isDelimiter(cp, english)) {
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const start = i;
    do {
      i += cp > 0xffff ? 2 : 1;
      if (i >= text.length) break;
      cp = text.codePointAt(i) as number;
    } while (!isDelimiter(cp, english));
    const term = termOf(text.slice(start, i), language, options);
    if (term !== undefined && visit(term) === true) return;
  }
}

/** Every term of `text`, in order and with repeats. */
export function tokenize(text: string, language: TextLanguage, options: TokenOptions = {}): string[] {
  const terms: string[] = [];
  forEachToken(text, language, options, (term) => {
    terms.push(term);
  });
  return terms;
}

/** The term a word stands for, or undefined for a stop word that is filtered out. */
function termOf(word: string, language: TextLanguage, options: TokenOptions): string | undefined {
  const ascii = PLAIN_ASCII.test(word);
  const lower = ascii && !language.turkish ? word.toLowerCase() : mapCodePoints(word, (cp) => foldCase(cp, language.turkish));
  if (options.filterStopWords && language.isStopWord(lower)) return undefined;
  const stemmed = language.stem(options.caseSensitive ? word : lower);
  if (options.diacriticSensitive || (ascii && PLAIN_ASCII.test(stemmed))) return stemmed;
  return mapCodePoints(stemmed, withoutDiacritics);
}
