/**
 * MongoDB (PCRE) regular expressions as JavaScript RegExps. Options i, m, s and x are supported; x is applied by
 * removing unescaped whitespace and #-comments outside character classes; a leading inline flag group such as
 * `(?i)` is turned into a flag because JavaScript does not know it.
 */
import { mongoError } from '../errors';
import { bsonTag } from '../bson/compare';

const ALLOWED_OPTIONS = /^[imsxu]*$/;

export interface RegexSource {
  pattern: string;
  options: string;
}

/** The pattern and options of a BSONRegExp or RegExp; undefined for anything else. */
export function regexSourceOf(v: unknown): RegexSource | undefined {
  if (v instanceof RegExp) {
    const options = v.flags.replace(/[^imsu]/g, '');
    return { pattern: v.source, options };
  }
  if (bsonTag(v) === 'BSONRegExp') {
    const r = v as { pattern: string; options: string };
    return { pattern: r.pattern, options: r.options };
  }
  return undefined;
}

export function isRegexValue(v: unknown): boolean {
  return regexSourceOf(v) !== undefined;
}

function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) {
      out += ch + pattern[++i];
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      continue;
    }
    if (/\s/.test(ch)) continue;
    if (ch === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i++;
      continue;
    }
    out += ch;
  }
  return out;
}

/** Builds the RegExp, throwing BadValue for invalid options or an invalid pattern. */
export function compileRegex(pattern: string, options = ''): RegExp {
  if (!ALLOWED_OPTIONS.test(options)) {
    const bad = options.replace(/[imsxu]/g, '')[0];
    throw mongoError('Location51108', `invalid flag in regex options: ${bad}`);
  }
  let flags = options;
  let source = pattern;
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    flags += inline[1];
    source = source.slice(inline[0].length);
  }
  if (flags.includes('x')) source = stripExtended(source);
  const jsFlags = [...new Set(flags.replace(/[xu]/g, '').split(''))].join('');
  try {
    return new RegExp(source, jsFlags + 'u');
  } catch {
    try {
      return new RegExp(source, jsFlags);
    } catch (err) {
      throw mongoError('Location51091', `Regular expression is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
