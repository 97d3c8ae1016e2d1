/**
 * The languages of mongod's text indexes (version 3), by name or two-letter code, case-insensitively. Stemming is
 * Snowball's algorithm for each language and the stop words are Snowball's lists, as in mongod: the stemmers and
 * lists of @orama/stemmers and @orama/stopwords (Snowball-generated), except English, whose Orama stemmer is
 * Porter's original algorithm and not Snowball's Porter2 that mongod uses (so it comes from nlp.js), and whose Orama
 * list differs from Snowball's by the eight words below. "none" neither stems nor drops stop words.
 */
import StemmerEn from '@nlpjs/lang-en-min/src/stemmer-en';
import { stemmer as danishStemmer } from '@orama/stemmers/danish';
import { stemmer as dutchStemmer } from '@orama/stemmers/dutch';
import { stemmer as finnishStemmer } from '@orama/stemmers/finnish';
import { stemmer as frenchStemmer } from '@orama/stemmers/french';
import { stemmer as germanStemmer } from '@orama/stemmers/german';
import { stemmer as hungarianStemmer } from '@orama/stemmers/hungarian';
import { stemmer as italianStemmer } from '@orama/stemmers/italian';
import { stemmer as norwegianStemmer } from '@orama/stemmers/norwegian';
import { stemmer as portugueseStemmer } from '@orama/stemmers/portuguese';
import { stemmer as romanianStemmer } from '@orama/stemmers/romanian';
import { stemmer as russianStemmer } from '@orama/stemmers/russian';
import { stemmer as spanishStemmer } from '@orama/stemmers/spanish';
import { stemmer as swedishStemmer } from '@orama/stemmers/swedish';
import { stemmer as turkishStemmer } from '@orama/stemmers/turkish';
import { stopwords as danishStopWords } from '@orama/stopwords/danish';
import { stopwords as dutchStopWords } from '@orama/stopwords/dutch';
import { stopwords as englishStopWords } from '@orama/stopwords/english';
import { stopwords as finnishStopWords } from '@orama/stopwords/finnish';
import { stopwords as frenchStopWords } from '@orama/stopwords/french';
import { stopwords as germanStopWords } from '@orama/stopwords/german';
import { stopwords as hungarianStopWords } from '@orama/stopwords/hungarian';
import { stopwords as italianStopWords } from '@orama/stopwords/italian';
import { stopwords as norwegianStopWords } from '@orama/stopwords/norwegian';
import { stopwords as portugueseStopWords } from '@orama/stopwords/portuguese';
import { stopwords as romanianStopWords } from '@orama/stopwords/romanian';
import { stopwords as russianStopWords } from '@orama/stopwords/russian';
import { stopwords as spanishStopWords } from '@orama/stopwords/spanish';
import { stopwords as swedishStopWords } from '@orama/stopwords/swedish';
import { stopwords as turkishStopWords } from '@orama/stopwords/turkish';

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
const SNOWBALL_ENGLISH = [...englishStopWords.filter((word) => !NOT_SNOWBALL_ENGLISH.has(word)), 'a'];

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

function snowballEnglish(): (word: string) => string {
  const stemmer = new StemmerEn();
  return (word) => {
    stemmer.setCurrent(word);
    stemmer.innerStem();
    return stemmer.getCurrent();
  };
}

function language(name: string, stem: ((word: string) => string) | undefined, stopWords: readonly string[]): TextLanguage {
  const stops = new Set(stopWords);
  return {
    name,
    englishDelimiters: name === 'english',
    turkish: name === 'turkish',
    isStopWord: (word) => stops.has(word),
    stem: stem ? cachedStemmer(stem) : (word) => word,
  };
}

const LANGUAGES: Array<{ alias: string; language: TextLanguage }> = [
  { alias: 'none', language: language('none', undefined, []) },
  { alias: 'da', language: language('danish', danishStemmer, danishStopWords) },
  { alias: 'nl', language: language('dutch', dutchStemmer, dutchStopWords) },
  { alias: 'en', language: language('english', snowballEnglish(), SNOWBALL_ENGLISH) },
  { alias: 'fi', language: language('finnish', finnishStemmer, finnishStopWords) },
  { alias: 'fr', language: language('french', frenchStemmer, frenchStopWords) },
  { alias: 'de', language: language('german', germanStemmer, germanStopWords) },
  { alias: 'hu', language: language('hungarian', hungarianStemmer, hungarianStopWords) },
  { alias: 'it', language: language('italian', italianStemmer, italianStopWords) },
  { alias: 'nb', language: language('norwegian', norwegianStemmer, norwegianStopWords) },
  { alias: 'pt', language: language('portuguese', portugueseStemmer, portugueseStopWords) },
  { alias: 'ro', language: language('romanian', romanianStemmer, romanianStopWords) },
  { alias: 'ru', language: language('russian', russianStemmer, russianStopWords) },
  { alias: 'es', language: language('spanish', spanishStemmer, spanishStopWords) },
  { alias: 'sv', language: language('swedish', swedishStemmer, swedishStopWords) },
  { alias: 'tr', language: language('turkish', turkishStemmer, turkishStopWords) },
];

const BY_NAME = new Map<string, TextLanguage>();
for (const { alias, language: lang } of LANGUAGES) {
  BY_NAME.set(lang.name, lang);
  BY_NAME.set(alias, lang);
}

/** The language a name or code stands for (ASCII case-insensitive), or undefined when mongod knows none. */
export function textLanguage(name: string): TextLanguage | undefined {
  return BY_NAME.get(name.replace(/[A-Z]/g, (c) => c.toLowerCase()));
}
