/**
 * Types of the stemmer and stop-word modules, which are reached by subpath (`@orama/stemmers/swedish`): the
 * project's module resolution does not read package `exports`, so the packages' own declarations are not found.
 */
declare module '@orama/stemmers/*' {
  export function stemmer(word: string): string;
  export const language: string;
}

declare module '@orama/stopwords/*' {
  export const stopwords: string[];
}

/** Snowball's English (Porter2) algorithm, generated from the Snowball sources (`stemWord` would cache without bound). */
declare module '@nlpjs/lang-en-min/src/stemmer-en' {
  class StemmerEn {
    setCurrent(word: string): void;
    innerStem(): boolean;
    getCurrent(): string;
  }
  export = StemmerEn;
}
