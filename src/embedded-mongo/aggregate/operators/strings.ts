/** String operators. Positions in $substrCP/$indexOfCP/$strLenCP count Unicode code points; $substrBytes counts UTF-8 bytes. */
import { mongoError } from '../../errors';
import { evaluate, evaluateArgs, evaluateFixedArgs, readSpec, type OperatorFn, type Scope } from '../evaluate';
import { isNullish, isNumericValue, toDouble, typeName } from '../values';
import { compareStrings } from '../../bson/compare';
import { compileRegex, regexSourceOf } from '../../query/regex';

/** What $concat-like coercions print for a value ($toLower and $substr accept numbers and dates too). */
function coerceToString(name: string, v: unknown): string {
  if (isNullish(v)) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (isNumericValue(v)) return v.toString();
  if (v instanceof Date) return v.toISOString().replace(/Z$/, 'Z');
  throw mongoError('Location16007', `can't convert from BSON type ${typeName(v)} to String`, { operator: name });
}

function concatOperator(args: unknown, scope: Scope): unknown {
  const parts = evaluateArgs(args, scope);
  let out = '';
  for (const part of parts) {
    if (isNullish(part)) return null;
    if (typeof part !== 'string') throw mongoError('Location16702', `$concat only supports strings, not ${typeName(part)}`);
    out += part;
  }
  return out;
}

/** MongoDB changes the case of ASCII letters only. */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function caseOperator(convert: (s: string) => string): OperatorFn {
  return (args, scope, name) => {
    const [v] = evaluateFixedArgs(name, args, scope, 1);
    return convert(coerceToString(name, v));
  };
}

function integerArg(name: string, v: unknown, what: string, code: 'Location16034' | 'Location16035' | 'Location34450' | 'Location34451' | 'Location34452' | 'Location34453' | 'Location34454' | 'Location34455'): number {
  if (!isNumericValue(v)) throw mongoError(code, `${name}: ${what} must be a numeric type (is BSON type ${typeName(v)})`);
  return toDouble(v);
}

function utf8Bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

function substrBytesOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input, startValue, lengthValue] = evaluateFixedArgs(name, args, scope, 3);
  const text = coerceToString(name, input);
  const start = integerArg(name, startValue, 'starting index', 'Location16034');
  const length = integerArg(name, lengthValue, 'length', 'Location16035');
  const bytes = utf8Bytes(text);
  if (start < 0 || start >= bytes.length) return '';
  const from = Math.trunc(start);
  if (isContinuationByte(bytes[from])) {
    throw mongoError('Location28656', `${name}:  Invalid range, starting index is a UTF-8 continuation byte.`);
  }
  const to = length < 0 ? bytes.length : Math.min(bytes.length, from + Math.trunc(length));
  if (isContinuationByte(bytes[to])) {
    throw mongoError('Location28657', `${name}:  Invalid range, ending index is in the middle of a UTF-8 character.`);
  }
  return bytes.subarray(from, to).toString('utf8');
}

function substrCPOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input, startValue, lengthValue] = evaluateFixedArgs(name, args, scope, 3);
  const text = coerceToString(name, input);
  if (!isNumericValue(startValue)) throw mongoError('Location34450', `${name}: starting index must be a numeric type (is BSON type ${typeName(startValue)})`);
  if (!isNumericValue(lengthValue)) throw mongoError('Location34452', `${name}: length must be a numeric type (is BSON type ${typeName(lengthValue)})`);
  const start = toDouble(startValue);
  const length = toDouble(lengthValue);
  if (!Number.isInteger(start)) throw mongoError('Location34451', `${name}: starting index cannot be represented as a 32-bit integral value`);
  if (!Number.isInteger(length)) throw mongoError('Location34453', `${name}: length cannot be represented as a 32-bit integral value`);
  if (start < 0) throw mongoError('Location34455', `${name}: starting index must be non-negative (got: ${start})`);
  if (length < 0) throw mongoError('Location34454', `${name}: length must be a nonnegative integer.`);
  return Array.from(text).slice(start, start + length).join('');
}

function trimOperator(mode: 'both' | 'left' | 'right'): OperatorFn {
  return (args, scope, name) => {
    const spec = readSpec(name, args, ['input'], ['chars'], { object: 'Location50696', unknown: 'Location50694', missing: 'Location50695' });
    const input = evaluate(spec.input, scope);
    if (isNullish(input)) return null;
    if (typeof input !== 'string') {
      throw mongoError('Location50699', `${name} requires its input to be a string, got ${String(input)} (of type ${typeName(input)}) instead.`);
    }
    const charsValue = spec.chars === undefined ? undefined : evaluate(spec.chars, scope);
    if (charsValue === null) return null;
    if (charsValue !== undefined && typeof charsValue !== 'string') {
      throw mongoError('Location50700', `${name} requires 'chars' to be a string, got ${String(charsValue)} (of type ${typeName(charsValue)}) instead.`);
    }
    // MongoDB's default whitespace set: NUL, space, and the Unicode spaces it lists.
    const chars = new Set(Array.from(charsValue ?? '\0 \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000'));
    const codePoints = Array.from(input);
    let from = 0;
    let to = codePoints.length;
    if (mode !== 'right') while (from < to && chars.has(codePoints[from])) from++;
    if (mode !== 'left') while (to > from && chars.has(codePoints[to - 1])) to--;
    return codePoints.slice(from, to).join('');
  };
}

function splitOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input, separator] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(input) || isNullish(separator)) return null;
  if (typeof input !== 'string') throw mongoError('Location40085', `$split requires an expression that evaluates to a string as a first argument, found: ${typeName(input)}`);
  if (typeof separator !== 'string') throw mongoError('Location40086', `$split requires an expression that evaluates to a string as a second argument, found: ${typeName(separator)}`);
  if (separator === '') throw mongoError('Location40087', '$split requires a non-empty separator');
  return input.split(separator);
}

function strLenCPOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input] = evaluateFixedArgs(name, args, scope, 1);
  if (typeof input !== 'string') throw mongoError('Location34471', `$strLenCP requires a string argument, found: ${typeName(input)}`);
  return Array.from(input).length;
}

function strLenBytesOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input] = evaluateFixedArgs(name, args, scope, 1);
  if (typeof input !== 'string') throw mongoError('Location34473', `$strLenBytes requires a string argument, found: ${typeName(input)}`);
  return utf8Bytes(input).length;
}

function indexOfCPOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input, token, startValue, endValue] = evaluateFixedArgs(name, args, scope, 2, 4);
  if (isNullish(input)) return null;
  if (typeof input !== 'string') throw mongoError('Location40093', `$indexOfCP requires a string as the first argument, found: ${typeName(input)}`);
  if (typeof token !== 'string') throw mongoError('Location40094', `$indexOfCP requires a string as the second argument, found: ${typeName(token)}`);
  const codePoints = Array.from(input);
  const start = optionalIndex(name, startValue, 0);
  const end = Math.min(optionalIndex(name, endValue, codePoints.length), codePoints.length);
  const needle = Array.from(token);
  for (let i = start; i + needle.length <= end; i++) {
    if (needle.every((c, j) => codePoints[i + j] === c)) return i;
  }
  return -1;
}

function optionalIndex(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (!isNumericValue(v) || !Number.isInteger(toDouble(v))) {
    throw mongoError('Location40096', `${name} requires an integral starting index, found a value of type: ${typeName(v)}`);
  }
  const n = toDouble(v);
  if (n < 0) throw mongoError('Location40097', `${name} requires a nonnegative start index, found: ${n}`);
  return n;
}

function indexOfBytesOperator(args: unknown, scope: Scope, name: string): unknown {
  const [input, token, startValue, endValue] = evaluateFixedArgs(name, args, scope, 2, 4);
  if (isNullish(input)) return null;
  if (typeof input !== 'string') throw mongoError('Location40091', `$indexOfBytes requires a string as the first argument, found: ${typeName(input)}`);
  if (typeof token !== 'string') throw mongoError('Location40092', `$indexOfBytes requires a string as the second argument, found: ${typeName(token)}`);
  const bytes = utf8Bytes(input);
  const start = optionalIndex(name, startValue, 0);
  const end = Math.min(optionalIndex(name, endValue, bytes.length), bytes.length);
  if (start > end) return -1;
  const found = bytes.subarray(0, end).indexOf(utf8Bytes(token), start);
  return found;
}

/** `regex` may be a BSONRegExp, a JS RegExp or a pattern string; `options` adds flags (not both). */
function buildRegex(name: string, regexValue: unknown, optionsValue: unknown, global: boolean): RegExp {
  const source = typeof regexValue === 'string' ? { pattern: regexValue, options: '' } : regexSourceOf(regexValue);
  if (!source) throw mongoError('Location51105', `${name} needs 'regex' to be of type string or regex`);
  let options = source.options;
  if (!isNullish(optionsValue)) {
    if (typeof optionsValue !== 'string') throw mongoError('Location51106', `${name} needs 'options' to be of type string`);
    if (options !== '') throw mongoError('Location51075', `${name}: regex option(s) specified in both 'regex' and 'option' fields`);
    options = optionsValue;
  }
  const regex = compileRegex(source.pattern, options);
  return global ? new RegExp(regex.source, `${regex.flags}g`) : regex;
}

function regexOperator(kind: 'match' | 'find' | 'findAll'): OperatorFn {
  return (args, scope, name) => {
    const spec = readSpec(name, args, ['input', 'regex'], ['options'], { object: 'Location51103', unknown: 'Location31024', missing: { input: 'Location31022', regex: 'Location31023' } });
    const input = evaluate(spec.input, scope);
    const regexValue = evaluate(spec.regex, scope);
    const optionsValue = spec.options === undefined ? undefined : evaluate(spec.options, scope);
    if (isNullish(regexValue)) return kind === 'match' ? false : kind === 'find' ? null : [];
    const regex = buildRegex(name, regexValue, optionsValue, kind === 'findAll');
    if (isNullish(input)) return kind === 'match' ? false : kind === 'find' ? null : [];
    if (typeof input !== 'string') throw mongoError('Location51104', `${name} needs 'input' to be of type string`);
    if (kind === 'match') return regex.test(input);
    if (kind === 'find') {
      const m = regex.exec(input);
      return m ? matchDocument(input, m) : null;
    }
    return Array.from(input.matchAll(regex), (m) => matchDocument(input, m));
  };
}

function matchDocument(input: string, m: RegExpMatchArray): Record<string, unknown> {
  const idx = Array.from(input.slice(0, m.index ?? 0)).length;
  return { match: m[0], idx, captures: m.slice(1).map((c) => (c === undefined ? null : c)) };
}

function replaceOperator(all: boolean): OperatorFn {
  return (args, scope, name) => {
    const spec = readSpec(name, args, ['input', 'find', 'replacement'], [], {
      object: 'Location51751',
      unknown: 'Location51750',
      missing: { input: 'Location51749', find: 'Location51748', replacement: 'Location51747' },
    });
    const values = [evaluate(spec.input, scope), evaluate(spec.find, scope), evaluate(spec.replacement, scope)];
    const labels = ['input', 'find', 'replacement'];
    const codes = ['Location51746', 'Location51745', 'Location51744'] as const;
    values.forEach((v, i) => {
      if (!isNullish(v) && typeof v !== 'string') {
        throw mongoError(codes[i], `${name} requires that '${labels[i]}' be a string, found: ${typeName(v)}`);
      }
    });
    if (values.some(isNullish)) return null;
    const [input, find, replacement] = values as string[];
    if (all) return input.split(find).join(replacement);
    const at = input.indexOf(find);
    return at < 0 ? input : input.slice(0, at) + replacement + input.slice(at + find.length);
  };
}

function strcasecmpOperator(args: unknown, scope: Scope, name: string): unknown {
  const [a, b] = evaluateFixedArgs(name, args, scope, 2);
  return Math.sign(compareStrings(asciiUpper(coerceToString(name, a)), asciiUpper(coerceToString(name, b))));
}

function substrOperator(args: unknown, scope: Scope, name: string): unknown {
  return substrBytesOperator(args, scope, name);
}

export const stringOperators: Record<string, OperatorFn> = {
  $concat: concatOperator,
  $toLower: caseOperator(asciiLower),
  $toUpper: caseOperator(asciiUpper),
  $substr: substrOperator,
  $substrBytes: substrBytesOperator,
  $substrCP: substrCPOperator,
  $trim: trimOperator('both'),
  $ltrim: trimOperator('left'),
  $rtrim: trimOperator('right'),
  $split: splitOperator,
  $strLenCP: strLenCPOperator,
  $strLenBytes: strLenBytesOperator,
  $indexOfCP: indexOfCPOperator,
  $indexOfBytes: indexOfBytesOperator,
  $regexMatch: regexOperator('match'),
  $regexFind: regexOperator('find'),
  $regexFindAll: regexOperator('findAll'),
  $replaceOne: replaceOperator(false),
  $replaceAll: replaceOperator(true),
  $strcasecmp: strcasecmpOperator,
};
