/**
 * The character rules of mongod's text index version 3, from Unicode properties: which code points separate words
 * (White_Space, Dash, Hyphen, Quotation_Mark, Terminal_Punctuation, Pattern_Syntax, Sentence_Terminal; in English
 * the apostrophe joins words), simple case folding, and diacritic removal (decompose, drop the marks, keep the
 * result when it recomposes to one code point; a mark on its own is dropped, so "å", "ä", "ö" become "a", "a",
 * "o"). Answers beyond ASCII are computed once per code point.
 */

/** JavaScript has no `\p{Hyphen}`; these are its members that are not also Dash. */
const DELIMITER = /^[\p{White_Space}\p{Dash}\p{Quotation_Mark}\p{Terminal_Punctuation}\p{Pattern_Syntax}\p{Sentence_Terminal}\u00AD\u30FB\uFF65]$/u;
const DIACRITIC = /^\p{Diacritic}$/u;
const APOSTROPHE = 0x27;
const CAPITAL_I = 0x49;
const DOTTED_CAPITAL_I = 0x130;
const DOTLESS_SMALL_I = 0x131;

const asciiDelimiters = Uint8Array.from({ length: 128 }, (_, cp) => (DELIMITER.test(String.fromCharCode(cp)) ? 1 : 0));
const delimiters = new Map<number, boolean>();
const folded = new Map<number, number>();
const stripped = new Map<number, number>();

export function isDelimiter(cp: number, english: boolean): boolean {
  if (cp < 0x80) return asciiDelimiters[cp] === 1 && !(english && cp === APOSTROPHE);
  let known = delimiters.get(cp);
  if (known === undefined) {
    known = DELIMITER.test(String.fromCodePoint(cp));
    delimiters.set(cp, known);
  }
  return known;
}

/** Simple (one code point to one) case folding; Turkish folds I to dotless ı and İ to i. */
export function foldCase(cp: number, turkish: boolean): number {
  if (cp < 0x80) {
    if (cp < 0x41 || cp > 0x5a) return cp;
    return turkish && cp === CAPITAL_I ? DOTLESS_SMALL_I : cp | 0x20;
  }
  if (cp === DOTTED_CAPITAL_I) return turkish ? 0x69 : cp;
  let known = folded.get(cp);
  if (known === undefined) {
    known = simpleFold(cp);
    folded.set(cp, known);
  }
  return known;
}

/**
 * Through the upper case first, so that letters with several lower forms fold to one (ς and σ, µ and μ, ſ and s);
 * mappings to several code points (ß to SS) are not simple foldings and leave the letter as its lower case.
 */
function simpleFold(cp: number): number {
  if (cp === DOTLESS_SMALL_I) return cp;
  const ch = String.fromCodePoint(cp);
  const upper = singleCodePoint(ch.toUpperCase());
  const viaUpper = upper === undefined ? undefined : singleCodePoint(String.fromCodePoint(upper).toLowerCase());
  return viaUpper ?? singleCodePoint(ch.toLowerCase()) ?? cp;
}

/** The code point without its diacritics, or 0 when it is a diacritic mark itself (to be dropped). */
export function withoutDiacritics(cp: number): number {
  if (cp < 0x80) return cp === 0x5e || cp === 0x60 ? 0 : cp;
  let known = stripped.get(cp);
  if (known === undefined) {
    known = stripDiacritics(cp);
    stripped.set(cp, known);
  }
  return known;
}

function stripDiacritics(cp: number): number {
  const ch = String.fromCodePoint(cp);
  if (DIACRITIC.test(ch)) return 0;
  let kept = '';
  for (const part of ch.normalize('NFD')) if (!DIACRITIC.test(part)) kept += part;
  const base = singleCodePoint(kept.normalize('NFC'));
  return base ?? cp;
}

function singleCodePoint(s: string): number | undefined {
  const cp = s.codePointAt(0);
  if (cp === undefined) return undefined;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
}

/** `text` with every code point mapped by `map` (0 drops it). */
export function mapCodePoints(text: string, map: (cp: number) => number): string {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    i += cp > 0xffff ? 2 : 1;
    const mapped = map(cp);
    if (mapped !== 0) out += String.fromCodePoint(mapped);
  }
  return out;
}

/** `text` folded and without diacritics as a case- and diacritic-insensitive comparison needs it. */
export function normaliseForComparison(text: string, options: { caseSensitive: boolean; diacriticSensitive: boolean; turkish: boolean }): string {
  const { caseSensitive, diacriticSensitive, turkish } = options;
  if (caseSensitive && diacriticSensitive) return text;
  return mapCodePoints(text, (cp) => {
    const cased = caseSensitive ? cp : foldCase(cp, turkish);
    return diacriticSensitive ? cased : withoutDiacritics(cased);
  });
}
