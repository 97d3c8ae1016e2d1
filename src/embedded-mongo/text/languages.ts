/**
 * The languages of mongod's text indexes (version 3), by name or two-letter code, case-insensitively. Stemming is
 * Snowball's algorithm for each language and the stop words are Snowball's lists, as in mongod: the stemmers and
 * lists of @orama/stemmers and @orama/stopwords (Snowball-generated), except English, whose Orama stemmer is
 * Porter's original algorithm and not Snowball's Porter2 that mongod uses (so it comes from nlp.js), and whose Orama
 * list differs from Snowball's by the eight words below. "none" neither stems nor drops stop words.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- each language's stemmer and stop words load on first use (all of them take ~170 ms) */

export interface TextLanguage {
  /** mongod's canonical name: "english", "swedish", "none", … */
  readonly name: string;
  /** English keeps apostrophes inside words ("supplier's"); every other language splits there. */
  readonly englishDelimiters: boolean;
  /** Turkish folds I to dotless ı and İ to i. */
  readonly turkish: boolean;
  /** `word` is lower-cased, with its diacritics. */
  isStopWord(word: string): boolean;
  stem(word: string): string;
}

/** Snowball's English list has "a" and not these, which Orama's adds. */
const NOT_SNOWBALL_ENGLISH = new Set(['us', 'will', 'shall', 'can', 'may', 'might', 'must']);

const STEM_CACHE_SIZE = 20_000;

/** A stemmer remembering its recent words (documents repeat words endlessly); forgets all once it holds too many. */
function cachedStemmer(stem: (word: string) => string): (word: string) => string {
  const cache = new Map<string, string>();
  return (word) => {
    let result = cache.get(word);
    if (result === undefined) {
      result = stem(word);
      if (cache.size >= STEM_CACHE_SIZE) cache.clear();
      cache.set(word, result);
    }
    return result;
  };
}

type OramaStemmer = typeof import('@orama/stemmers/swedish');
type OramaStopWords = typeof import('@orama/stopwords/swedish');

interface LanguageParts {
  stem?: (word: string) => string;
  stopWords: readonly string[];
}

function orama(stemmer: OramaStemmer, stopWords: OramaStopWords): LanguageParts {
  return { stem: stemmer.stemmer, stopWords: stopWords.stopwords };
}

function english(): LanguageParts {
  const StemmerEn = require('@nlpjs/lang-en-min/src/stemmer-en') as typeof import('@nlpjs/lang-en-min/src/stemmer-en');
  const stemmer = new StemmerEn();
  const { stopwords } = require('@orama/stopwords/english') as OramaStopWords;
  return {
    stem: (word) => {
      stemmer.setCurrent(word);
      stemmer.innerStem();
      return stemmer.getCurrent();
    },
    stopWords: [...stopwords.filter((word) => !NOT_SNOWBALL_ENGLISH.has(word)), 'a'],
  };
}

/** mongod's canonical name, its two-letter code and the parts' loader (module paths spelled out for bundlers). */
const SOURCES: Array<{ name: string; alias: string; load(): LanguageParts }> = [
  { name: 'none', alias: 'none', load: () => ({ stopWords: [] }) },
  { name: 'danish', alias: 'da', load: () => orama(require('@orama/stemmers/danish'), require('@orama/stopwords/danish')) },
  { name: 'dutch', alias: 'nl', load: () => orama(require('@orama/stemmers/dutch'), require('@orama/stopwords/dutch')) },
  { name: 'english', alias: 'en', load: english },
  { name: 'finnish', alias: 'fi', load: () => orama(require('@orama/stemmers/finnish'), require('@orama/stopwords/finnish')) },
  { name: 'french', alias: 'fr', load: () => orama(require('@orama/stemmers/french'), require('@orama/stopwords/french')) },
  { name: 'german', alias: 'de', load: () => orama(require('@orama/stemmers/german'), require('@orama/stopwords/german')) },
  { name: 'hungarian', alias: 'hu', load: () => orama(require('@orama/stemmers/hungarian'), require('@orama/stopwords/hungarian')) },
  { name: 'italian', alias: 'it', load: () => orama(require('@orama/stemmers/italian'), require('@orama/stopwords/italian')) },
  { name: 'norwegian', alias: 'nb', load: () => orama(require('@orama/stemmers/norwegian'), require('@orama/stopwords/norwegian')) },
  { name: 'portuguese', alias: 'pt', load: () => orama(require('@orama/stemmers/portuguese'), require('@orama/stopwords/portuguese')) },
  { name: 'romanian', alias: 'ro', load: () => orama(require('@orama/stemmers/romanian'), require('@orama/stopwords/romanian')) },
  { name: 'russian', alias: 'ru', load: () => orama(require('@orama/stemmers/russian'), require('@orama/stopwords/russian')) },
  { name: 'spanish', alias: 'es', load: () => orama(require('@orama/stemmers/spanish'), require('@orama/stopwords/spanish')) },
  { name: 'swedish', alias: 'sv', load: () => orama(require('@orama/stemmers/swedish'), require('@orama/stopwords/swedish')) },
  { name: 'turkish', alias: 'tr', load: () => orama(require('@orama/stemmers/turkish'), require('@orama/stopwords/turkish')) },
];

const BY_NAME = new Map<string, (typeof SOURCES)[number]>();
for (const source of SOURCES) {
  BY_NAME.set(source.name, source);
  BY_NAME.set(source.alias, source);
}

const loaded = new Map<string, TextLanguage>();

function build(name: string, parts: LanguageParts): TextLanguage {
  const stops = new Set(parts.stopWords);
  return {
    name,
    englishDelimiters: name === 'english',
    turkish: name === 'turkish',
    isStopWord: (word) => stops.has(word),
    stem: parts.stem ? cachedStemmer(parts.stem) : (word) => word,
  };
}

/** The language a name or code stands for (ASCII case-insensitive), or undefined when mongod knows none. */
export function textLanguage(name: string): TextLanguage | undefined {
  const source = BY_NAME.get(name.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  if (!source) return undefined;
  let language = loaded.get(source.name);
  if (!language) {
    language = build(source.name, source.load());
    loaded.set(source.name, language);
  }
  return language;
}
