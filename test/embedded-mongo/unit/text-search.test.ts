/** The text search modules on their own: tokenizer, languages, scores, query parse, index spec normalisation. */
import assert from 'node:assert/strict';
import { normaliseTextIndex } from '../../../src/embedded-mongo/text/index-spec';
import { textLanguage, type TextLanguage } from '../../../src/embedded-mongo/text/languages';
import { TextMatcher } from '../../../src/embedded-mongo/text/matcher';
import { parseTextOperand, TextQuery } from '../../../src/embedded-mongo/text/query';
import { TextIndexDefinition } from '../../../src/embedded-mongo/text/text-index';
import { tokenize } from '../../../src/embedded-mongo/text/tokenizer';
import type { Document, IndexSpec } from '../../../src/embedded-mongo/types';
import { assertThrowsMongoError } from './assert-mongo-error';

function lang(name: string): TextLanguage {
  const found = textLanguage(name);
  assert.ok(found, name);
  return found;
}

const english = lang('english');
const swedish = lang('swedish');

/** A text index definition from createIndexes-style input. */
function textIndex(key: Document, options: Document = {}): TextIndexDefinition {
  const normalised = normaliseTextIndex({ key, ...options });
  const spec: IndexSpec = { v: 2, name: 'text', ...normalised };
  return new TextIndexDefinition(spec);
}

function query(search: string, options: Partial<{ language: string; caseSensitive: boolean; diacriticSensitive: boolean }> = {}): TextQuery {
  return TextQuery.parse({ search, language: options.language, caseSensitive: options.caseSensitive ?? false, diacriticSensitive: options.diacriticSensitive ?? false }, 'english');
}

describe('embedded-mongo text search', () => {
  describe('tokenizer', () => {
    it('When English text is tokenized, then stop words go, words are stemmed with Porter2 and case is folded', () => {
      assert.deepEqual(tokenize('The Suppliers are running generously!', english, { filterStopWords: true }), ['supplier', 'run', 'generous']);
      assert.deepEqual(tokenize('skies, dying & news', english, { filterStopWords: true }), ['sky', 'die', 'news']);
    });

    it("When English text has apostrophes, then they stay inside words; other languages split there", () => {
      assert.deepEqual(tokenize("the supplier's products", english, { filterStopWords: true }), ['supplier', 'product']);
      assert.deepEqual(tokenize("l'usine", lang('french')), ['l', 'usin']);
    });

    it('When words are joined by hyphens, dashes, punctuation or quotes, then those split them; underscores and digits do not', () => {
      assert.deepEqual(tokenize('state-of-the-art—cotton “fair” trade_mark 2024', lang('none')), ['state', 'of', 'the', 'art', 'cotton', 'fair', 'trade_mark', '2024']);
    });

    it('When Swedish text is tokenized, then Swedish stop words go, Swedish stems are taken and å/ä/ö fold to a/a/o after stemming', () => {
      assert.deepEqual(tokenize('Leverantörer av kläder och möbler i Åre', swedish, { filterStopWords: true }), ['leverantor', 'klad', 'mobl', 'are']);
    });

    it('When diacritics or case matter, then the tokens keep them', () => {
      assert.deepEqual(tokenize('Café Kläder', swedish, { diacriticSensitive: true }), ['café', 'kläd']);
      assert.deepEqual(tokenize('Café Kläder', swedish, { caseSensitive: true }), ['Cafe', 'Klad']);
    });

    it('When the language is none, then nothing is stemmed or dropped but case and diacritics still fold', () => {
      assert.deepEqual(tokenize('The Running Möbler', lang('none')), ['the', 'running', 'mobler']);
    });

    it('When a language is named by code or in capitals, then it is found; unknown names are not', () => {
      assert.equal(textLanguage('SV')?.name, 'swedish');
      assert.equal(textLanguage('English')?.name, 'english');
      assert.equal(textLanguage('nb')?.name, 'norwegian');
      assert.equal(textLanguage('klingon'), undefined);
    });
  });

  describe('scores', () => {
    it('When a field holds one word, then it scores 1, or 1.1 when the field is exactly its term', () => {
      const index = textIndex({ name: 'text' });
      assert.deepEqual([...index.termScores({ name: 'coffee' })], [['coffe', 1]]);
      assert.deepEqual([...index.termScores({ name: 'Shop' })], [['shop', 1.1]]);
    });

    it('When a term repeats or shares its field, then frequency adds 1, ½, ¼ and the length adjustment applies', () => {
      const index = textIndex({ name: 'text' });
      assert.deepEqual(Object.fromEntries(index.termScores({ name: 'coffee shop' })), { coffe: 0.75, shop: 0.75 });
      assert.deepEqual(Object.fromEntries(index.termScores({ name: 'coffee coffee coffee' })), { coffe: 1.75 });
      assert.deepEqual(Object.fromEntries(index.termScores({ name: 'coffee tea tea' })), { coffe: 0.5 / 3 + 0.5, tea: 1.5 * (1 / 3 + 0.5) });
    });

    it('When fields have weights, then each field adds weight × its own score', () => {
      const index = textIndex({ name: 'text', products: 'text' }, { weights: { name: 10 } });
      assert.deepEqual(Object.fromEntries(index.termScores({ name: 'Acme Coffee', products: 'coffee and tea' })), { acm: 7.5, coffe: 8.25, tea: 0.75 });
    });

    it('When strings sit in arrays and sub-documents, then those on weighted paths count and others do not', () => {
      const index = textIndex({ tags: 'text', 'items.name': 'text' });
      const scores = index.termScores({ tags: ['cotton', 'wool'], items: [{ name: 'shirt', note: 'ignored' }, { name: 'sock' }], other: 'ignored' });
      assert.deepEqual([...scores.keys()].sort(), ['cotton', 'shirt', 'sock', 'wool']);
    });

    it('When the wildcard is used, then every string counts except the language field', () => {
      const index = textIndex({ '$**': 'text' });
      const scores = index.termScores({ a: 'cotton', b: { c: ['wool'] }, language: 'english', n: 5 });
      assert.deepEqual([...scores.keys()].sort(), ['cotton', 'wool']);
    });

    it('When a document or sub-document names its language, then its strings are stemmed in that language', () => {
      const index = textIndex({ name: 'text', 'notes.text': 'text' });
      const scores = index.termScores({ name: 'kläderna', language: 'swedish', notes: [{ text: 'running', language: 'english' }] });
      assert.deepEqual([...scores.keys()].sort(), ['klad', 'run']);
    });

    it('When a language field is not a string or not a language, then 17261 or 17262', () => {
      const index = textIndex({ name: 'text' });
      assertThrowsMongoError(() => index.termScores({ name: 'x', language: 3 }), 17261, 'found language override field in document with non-string type');
      assertThrowsMongoError(() => index.termScores({ name: 'x', language: 'klingon' }), 17262, 'language override unsupported: klingon');
    });

    it('When a compound text index reads its prefix and suffix fields, then keys carry them and arrays there are 133', () => {
      const index = textIndex({ shop: 1, name: 'text', year: -1 });
      assert.deepEqual(index.keys({ shop: 'a', name: 'cotton shirts', year: 2024 }), [['a', 'cotton', 0.75, 2024], ['a', 'shirt', 0.75, 2024]]);
      assert.deepEqual(index.keys({ name: 'cotton' }), [[null, 'cotton', 1.1, null]]);
      assertThrowsMongoError(() => index.keys({ shop: ['a'], name: 'cotton' }), 133, /Field 'shop' of text index contains an array/);
    });
  });

  describe('queries', () => {
    it('When a search has words, negations and phrases, then they are parsed as mongod parses them', () => {
      const parsed = query('Coffee -tea "fair trade" -"instant coffee" the').describe();
      assert.deepEqual(parsed, { terms: ['coffe', 'fair', 'trade'], negatedTerms: ['tea'], phrases: ['fair trade'], negatedPhrases: ['instant coffee'] });
    });

    it('When a minus is not right after white space, then it joins words instead of negating; a negation lasts to the next space', () => {
      assert.deepEqual(query('cotton-wool').describe().terms, ['cotton', 'wool']);
      assert.deepEqual(query('- cotton').describe().terms, ['cotton']);
      assert.deepEqual(query('-cotton-wool silk').describe(), { terms: ['silk'], negatedTerms: ['cotton', 'wool'], phrases: [], negatedPhrases: [] });
    });

    it('When a search has only stop words or only negations, then it has no terms to look up', () => {
      assert.equal(query('the and of').termsForBounds.size, 0);
      assert.equal(query('-coffee').termsForBounds.size, 0);
    });

    it('When $language is given, then the query is tokenized in it; an unknown one is 2', () => {
      assert.deepEqual(query('leverantörerna och', { language: 'swedish' }).describe().terms, ['leverantor']);
      assertThrowsMongoError(() => query('x', { language: 'klingon' }), 2, 'unsupported language: "klingon" for text index version 3');
    });

    it('When the $text operand is malformed, then mongod\'s codes and messages come back', () => {
      assertThrowsMongoError(() => parseTextOperand('coffee'), 2, '$text expects an object');
      assertThrowsMongoError(() => parseTextOperand({}), 4, 'Missing expected field "$search"');
      assertThrowsMongoError(() => parseTextOperand({ $search: 1 }), 14, '"$search" had the wrong type. Expected string, found int');
      assertThrowsMongoError(() => parseTextOperand({ $search: 'x', $caseSensitive: 'yes' }), 14, '"$caseSensitive" had the wrong type. Expected bool, found string');
      assertThrowsMongoError(() => parseTextOperand({ $search: 'x', $limit: 1 }), 2, 'extra fields in $text');
    });

    it('When a document is matched, then negated terms and phrases rule it out and phrases ignore case and diacritics', () => {
      const index = textIndex({ name: 'text' });
      const matches = (search: string, doc: Document): boolean => new TextMatcher(query(search), index).matches(doc);
      assert.equal(matches('coffee -shop', { name: 'Coffee Shop' }), false);
      assert.equal(matches('coffee -shop', { name: 'Coffee beans' }), true);
      assert.equal(matches('"CAFÉ AU"', { name: 'cafe au lait' }), true);
      assert.equal(matches('"au lait" -"cafe au"', { name: 'Café au lait' }), false);
      assert.equal(matches('tea', { name: 'Coffee beans' }), false);
    });

    it('When case or diacritics matter, then a document must hold the term in that exact form', () => {
      const index = textIndex({ name: 'text' });
      const matches = (doc: Document, options: { caseSensitive?: boolean; diacriticSensitive?: boolean }, search = 'Café'): boolean =>
        new TextMatcher(query(search, options), index).matches(doc);
      assert.equal(matches({ name: 'cafe' }, { diacriticSensitive: true }), false);
      assert.equal(matches({ name: 'café' }, { diacriticSensitive: true }), true);
      assert.equal(matches({ name: 'café' }, { caseSensitive: true }), false);
      assert.equal(matches({ name: 'Cafe' }, { caseSensitive: true }), true);
    });
  });

  describe('index specs', () => {
    it('When a text index is normalised, then its key, sorted weights and defaults are mongod\'s', () => {
      assert.deepEqual(normaliseTextIndex({ key: { shop: 1, name: 'text', products: 'text' }, weights: { products: 2.9 } }), {
        key: { shop: 1, _fts: 'text', _ftsx: 1 },
        weights: { name: 1, products: 2 },
        default_language: 'english',
        language_override: 'language',
        textIndexVersion: 3,
      });
      assert.deepEqual(normaliseTextIndex({ key: { _fts: 'text', _ftsx: 1 }, weights: { name: 1 }, default_language: 'sv' }).default_language, 'sv');
    });

    it('When a text index spec is invalid, then 67 with mongod\'s message', () => {
      const refused = (raw: Document, message: string | RegExp): void => assertThrowsMongoError(() => normaliseTextIndex(raw), 67, message);
      refused({ key: { a: 'text', b: 1, c: 'text' } }, "'text' fields in index must all be adjacent");
      refused({ key: { a: 'text', b: 2 } }, 'expected value 1 or -1 for non-text key in compound index');
      refused({ key: { a: 'text' }, weights: { a: 0 } }, 'text index weight must be in the exclusive interval (0,100000) but found: 0');
      refused({ key: { a: 'text' }, weights: 'a' }, "text index option 'weights' must be an object");
      refused({ key: { a: 'text' }, weights: { '$a': 1 } }, 'weight cannot have path component with $ prefix');
      refused({ key: { a: 'text' }, default_language: 'klingon' }, 'default_language is not valid');
      refused({ key: { a: 'text' }, language_override: 'a.b' }, 'language_override is not valid');
      refused({ key: { a: 'text' }, textIndexVersion: 7 }, 'bad textIndexVersion: 7');
      refused({ key: { 'a.$**': 'text' } }, "Index key contains an illegal field name: 'a.$**'");
    });
  });
});
