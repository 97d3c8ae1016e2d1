/**
 * The find/update/delete query language (MongoDB 7 semantics), compiled once into a predicate.
 *
 * A field condition is evaluated against every value its path reaches (see `walkPath`): arrays are traversed
 * implicitly, so `{a: 1}` matches `{a: [1, 2]}`. Operators that look at arrays themselves ($size, $elemMatch, $all
 * with $elemMatch) only see the arrays found at the end of the path, never their elements. Negations ($ne, $nin,
 * $not, $nor) hold when the positive condition matches none of the values.
 */
import type { Collator, Document } from '../types';
import { mongoError } from '../errors';
import { bsonTag, bsonType, compareValues, isNumeric, typeOrder } from '../bson/compare';
import { isDouble, jsNumber } from '../bson/double';
import { isTruthy } from '../bson/numeric';
import { isPlainDocument, splitPath, walkPath, type PathCandidate } from './paths';
import { compileRegex, regexSourceOf, type RegexSource } from './regex';
import { checkExpression, loadEvaluateExpression, type ExpressionEnv } from './expression-loader';
import { compileJsonSchema } from './json-schema';
import { hasTypeCode, parseTypeSpec } from './type-codes';

export interface Matcher {
  test(doc: Document): boolean;
  /** Index of the array element the query matched in the first array of the matched path (for `$`). */
  positionalIndex(doc: Document): number | undefined;
}

export interface MatcherOptions {
  collator?: Collator;
  /** `$$NOW` inside `$expr`: pass the command's clock; defaults to the instant the filter is compiled. */
  now?: Date;
  /** `$$name` variables inside `$expr` (a command's `let`, a $lookup's `let`). */
  variables?: Record<string, unknown>;
  /**
   * What a top-level `$text` tests (the text search's own checks, or `TEXT_SEARCH_MATCHED` for documents a text
   * search returned); without it `$text` is refused as mongod refuses it outside queries (validators, partial
   * indexes).
   */
  text?: (doc: Document) => boolean;
}

/** For re-checking documents that a text search returned: their `$text` holds. */
export const TEXT_SEARCH_MATCHED = (): boolean => true;

/** What a successful match learned about the array element it went through (the last condition to see one wins, as in MongoDB). */
interface MatchContext {
  arrayIndex?: number;
}

type DocPredicate = (doc: unknown, ctx: MatchContext) => boolean;
/** A condition on the values a path reaches. */
type ValuesPredicate = (candidates: PathCandidate[], ctx: MatchContext) => boolean;

interface CompileOptions {
  collator: Collator | undefined;
  /** Fixed once per compiled filter, so every document (and every `$expr` in it) sees one `$$NOW`. */
  expression: ExpressionEnv & { now: Date };
  text: ((doc: Document) => boolean) | undefined;
  /** Inside `$elemMatch`: conditions on array elements, not on the document. */
  nested?: boolean;
}

function badValue(message: string): never {
  throw mongoError('BadValue', message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return isPlainDocument(v);
}

export function compileFilter(filter: unknown, options: MatcherOptions = {}): Matcher {
  const expression = { now: options.now ?? new Date(), collator: options.collator, variables: options.variables };
  const predicate = compileDocument(filter ?? {}, { collator: options.collator, expression, text: options.text });
  return {
    test: (doc) => predicate(doc, {}),
    positionalIndex: (doc) => {
      const ctx: MatchContext = {};
      return predicate(doc, ctx) ? ctx.arrayIndex : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Documents and logical operators

function compileDocument(filter: unknown, opts: CompileOptions): DocPredicate {
  if (!isRecord(filter)) badValue('query filter must be an object');
  const predicates: DocPredicate[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const predicate = key.startsWith('$') ? compileTopLevel(key, value, opts) : compileFieldCondition(key, value, opts);
    if (predicate) predicates.push(predicate);
  }
  return allOf(predicates);
}

function allOf(predicates: DocPredicate[]): DocPredicate {
  if (predicates.length === 1) return predicates[0];
  return (doc, ctx) => predicates.every((p) => p(doc, ctx));
}

function compileTopLevel(op: string, value: unknown, opts: CompileOptions): DocPredicate | undefined {
  switch (op) {
    case '$and':
      return allOf(compileClauses(value, opts));
    case '$or': {
      const clauses = compileClauses(value, opts);
      return (doc, ctx) => clauses.some((clause) => matchInto(clause, doc, ctx));
    }
    case '$nor': {
      const clauses = compileClauses(value, opts);
      return (doc) => !clauses.some((clause) => clause(doc, {}));
    }
    case '$expr':
      return compileExpr(value, opts.expression);
    case '$comment':
      return undefined;
    case '$alwaysTrue':
      return () => true;
    case '$alwaysFalse':
      return () => false;
    case '$where':
      return badValue('$where is not supported by this server');
    case '$text': {
      if (opts.nested) badValue('$text can only be applied to the top-level document');
      const test = opts.text;
      if (!test) badValue('$text is not allowed in this context');
      return (doc) => test(doc as Document);
    }
    case '$jsonSchema': {
      const check = compileJsonSchema(value);
      return (doc) => check(doc);
    }
    case '$id':
    case '$ref':
    case '$db':
      // DBRef fields are field names, compared by plain equality ($id under the collation, $ref and $db binary).
      return compilePathCondition(op, anyValue(equalityTest(value, op === '$id' ? opts : { ...opts, collator: undefined })));
    default:
      return badValue(
        `unknown top level operator: ${op}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
      );
  }
}

/** Runs a predicate with its own context and keeps what it learned only when it matched. */
function matchInto(predicate: DocPredicate, doc: unknown, ctx: MatchContext): boolean {
  const sub: MatchContext = {};
  if (!predicate(doc, sub)) return false;
  if (sub.arrayIndex !== undefined) ctx.arrayIndex = sub.arrayIndex;
  return true;
}

function compileClauses(value: unknown, opts: CompileOptions): DocPredicate[] {
  if (!Array.isArray(value) || value.length === 0) badValue('$and/$or/$nor must be a nonempty array');
  return value.map((clause) => {
    if (!isRecord(clause)) badValue(`$or/$and/$nor entries need to be full objects`);
    return compileDocument(clause, opts);
  });
}


function compileExpr(expr: unknown, env: CompileOptions['expression']): DocPredicate {
  checkExpression(expr);
  const options = { now: env.now, collator: env.collator };
  return (doc) => isTruthy(loadEvaluateExpression()(expr, doc, env.variables, options));
}

// ---------------------------------------------------------------------------------------------------------------
// Field conditions

const DBREF_FIELDS = new Set(['$ref', '$id', '$db']);

/**
 * True when `v` is an operator object such as `{$gt: 1}` rather than a literal embedded document: its first field
 * is `$`-prefixed and it is no DBRef (one holding both `$ref` and `$id` is a value, as in mongod).
 */
function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isRecord(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 0 || !keys[0].startsWith('$')) return false;
  return !(keys.includes('$ref') && keys.includes('$id'));
}

function compileFieldCondition(path: string, value: unknown, opts: CompileOptions): DocPredicate {
  return compilePathCondition(path, compileValueCondition(value, opts));
}

/** Applies `predicate` to the values `path` reaches in a document. */
function compilePathCondition(path: string, predicate: ValuesPredicate): DocPredicate {
  const parts = splitPath(path);
  // Fast path while the path meets no array: a single reused candidate instead of a full walk. Reuse is safe
  // because evaluation is synchronous and a compiled condition never re-enters itself.
  const single: PathCandidate = { value: undefined, missing: false, expanded: false, arrayIndex: undefined };
  const singleList = [single];
  return (doc, ctx) => {
    let current: unknown = doc;
    for (const part of parts) {
      if (Array.isArray(current)) return predicate(walkPath(doc, parts), ctx);
      if (!isRecord(current) || !Object.prototype.hasOwnProperty.call(current, part)) {
        single.value = undefined;
        single.missing = true;
        return predicate(singleList, ctx);
      }
      current = current[part];
    }
    if (Array.isArray(current)) return predicate(walkPath(doc, parts), ctx);
    single.value = current;
    single.missing = false;
    return predicate(singleList, ctx);
  };
}

/** The condition `value` places on a path: operators, a regex, or equality. */
function compileValueCondition(value: unknown, opts: CompileOptions): ValuesPredicate {
  if (isOperatorObject(value)) return compileOperators(value, opts);
  if (regexSourceOf(value)) return anyValue(literalRegexTest(value));
  return anyValue(equalityTest(value, opts));
}

function compileOperators(ops: Record<string, unknown>, opts: CompileOptions): ValuesPredicate {
  const predicates: ValuesPredicate[] = [];
  const hasRegex = Object.prototype.hasOwnProperty.call(ops, '$regex');
  for (const [op, operand] of Object.entries(ops)) {
    if (op === '$options') {
      if (!hasRegex) badValue('$options needs a $regex');
      continue;
    }
    predicates.push(compileOperator(op, operand, ops, opts));
  }
  if (predicates.length === 1) return predicates[0];
  return (candidates, ctx) => predicates.every((p) => p(candidates, ctx));
}

function compileOperator(op: string, operand: unknown, ops: Record<string, unknown>, opts: CompileOptions): ValuesPredicate {
  switch (op) {
    case '$eq':
      return anyValue(equalityTest(operand, opts));
    case '$ne':
      if (regexSourceOf(operand)) badValue("Can't have regex as arg to $ne.");
      return not(anyValue(equalityTest(operand, opts)));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return anyValue(comparisonTest(op, operand, opts));
    case '$in':
      return anyValue(inTest(op, operand, opts));
    case '$nin':
      return not(anyValue(inTest(op, operand, opts)));
    case '$exists': {
      const wanted = isTruthy(operand);
      // Like any path condition, an existing value reached through an array records its position (for `$`).
      return (candidates, ctx) => {
        const found = candidates.find((c) => !c.missing);
        if (wanted && found?.arrayIndex !== undefined) ctx.arrayIndex = found.arrayIndex;
        return (found !== undefined) === wanted;
      };
    }
    case '$type':
      return anyValue(typeTest(operand));
    case '$regex':
      return anyValue(regexTest(regexOperand(operand, ops.$options)));
    case '$mod':
      return anyValue(modTest(operand));
    case '$size':
      return arrays(sizeTest(operand));
    case '$all':
      return compileAll(operand, opts);
    case '$elemMatch':
      return compileElemMatch(operand, opts);
    case '$not':
      return compileNot(operand, opts);
    case '$bitsAllSet':
    case '$bitsAnySet':
    case '$bitsAllClear':
    case '$bitsAnyClear':
      return anyValue(bitsTest(op, operand));
    case '$comment':
      return () => true;
    default:
      return badValue(`unknown operator: ${op}`);
  }
}

function not(predicate: ValuesPredicate): ValuesPredicate {
  return (candidates) => !predicate(candidates, {});
}

/** Holds when some reached value (arrays and their elements alike) passes `test`; records its array position. */
function anyValue(test: (c: PathCandidate) => boolean): ValuesPredicate {
  return (candidates, ctx) => {
    for (const candidate of candidates) {
      if (!test(candidate)) continue;
      if (candidate.arrayIndex !== undefined) ctx.arrayIndex = candidate.arrayIndex;
      return true;
    }
    return false;
  };
}

/** Holds when some array found at the end of the path (not an element of it) passes `test`. */
function arrays(test: (array: unknown[]) => boolean): ValuesPredicate {
  return (candidates, ctx) => {
    for (const candidate of candidates) {
      if (candidate.expanded || !Array.isArray(candidate.value) || !test(candidate.value)) continue;
      if (candidate.arrayIndex !== undefined) ctx.arrayIndex = candidate.arrayIndex;
      return true;
    }
    return false;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Equality and comparison

function isNullish(c: PathCandidate): boolean {
  return c.missing || c.value === null || c.value === undefined;
}

function equalityTest(operand: unknown, opts: CompileOptions): (c: PathCandidate) => boolean {
  if (operand === null || operand === undefined) return isNullish;
  if (typeof operand === 'number' || (typeof operand === 'string' && !opts.collator)) {
    const kind = typeof operand;
    // Same JS type: strict equality decides (NaN aside); otherwise fall back to the full BSON comparison.
    return (c) => {
      if (c.missing) return false;
      if (typeof c.value === kind && !Number.isNaN(operand)) return c.value === operand;
      return compareValues(c.value, operand, opts.collator) === 0;
    };
  }
  return (c) => !c.missing && compareValues(c.value, operand, opts.collator) === 0;
}

function isNaNValue(v: unknown): boolean {
  if (typeof v === 'number') return Number.isNaN(v);
  return bsonTag(v) === 'Decimal128' && /nan/i.test(String(v));
}

function isMinOrMaxKey(v: unknown): boolean {
  const type = bsonType(v);
  return type === 'minKey' || type === 'maxKey';
}

function comparisonTest(op: string, operand: unknown, opts: CompileOptions): (c: PathCandidate) => boolean {
  const inclusive = op === '$gte' || op === '$lte';
  const wantSign = op === '$gt' || op === '$gte' ? 1 : -1;
  if (operand === null || operand === undefined) return inclusive ? isNullish : () => false;
  const operandNaN = isNaNValue(operand);
  const crossType = isMinOrMaxKey(operand);
  const bracket = typeOrder(operand);
  const numericOperand = typeof operand === 'number' && !operandNaN;
  return (c) => {
    // MinKey/MaxKey bounds compare with every type, a missing field included.
    if (c.missing) return crossType && (wantSign === 1 ? bsonType(operand) === 'minKey' : bsonType(operand) === 'maxKey');
    const v = c.value;
    if (numericOperand && typeof v === 'number' && !Number.isNaN(v)) {
      return wantSign === 1 ? v > operand || (inclusive && v === operand) : v < operand || (inclusive && v === operand);
    }
    if (!crossType && typeOrder(c.value) !== bracket) return false;
    if (operandNaN || isNaNValue(c.value)) return inclusive && operandNaN && isNaNValue(c.value);
    const cmp = compareValues(c.value, operand, opts.collator);
    return cmp === wantSign || (inclusive && cmp === 0);
  };
}

/**
 * A string that is equal for two values exactly when MongoDB considers them equal, for the common scalar types
 * (numbers as JS numbers or safe int64, strings when no collator applies, ObjectIds, booleans, dates);
 * undefined for anything else, which is then compared the slow way.
 */
function equalityHashKey(v: unknown, collator: Collator | undefined): string | undefined {
  switch (typeof v) {
    case 'number':
      return `n:${v === 0 ? 0 : v}`;
    case 'bigint':
      return v >= -9007199254740991n && v <= 9007199254740991n ? `n:${v}` : undefined;
    case 'string':
      return collator ? undefined : `s:${v}`;
    case 'boolean':
      return `b:${v}`;
    case 'object':
      if (v instanceof Date) return `d:${v.getTime()}`;
      if (isDouble(v)) return `n:${v.value}`;
      if (bsonTag(v) === 'ObjectId') return `o:${(v as { toHexString(): string }).toHexString()}`;
      return undefined;
    default:
      return undefined;
  }
}

function inTest(op: string, operand: unknown, opts: CompileOptions): (c: PathCandidate) => boolean {
  if (!Array.isArray(operand)) badValue(`${op} needs an array`);
  const hashed = new Set<string>();
  const others: ((c: PathCandidate) => boolean)[] = [];
  let hasNull = false;
  for (const item of operand) {
    if (isOperatorObject(item)) badValue(`cannot nest $ under ${op}`);
    if (regexSourceOf(item)) {
      others.push(literalRegexTest(item));
      continue;
    }
    if (item === null || item === undefined) {
      hasNull = true;
      continue;
    }
    const key = equalityHashKey(item, opts.collator);
    if (key === undefined) others.push(equalityTest(item, opts));
    else hashed.add(key);
  }
  // Values whose hash key is unknown (Decimal128, documents...) may still equal a hashed item: compare them all.
  const hashedItems = operand.filter((item) => item !== null && item !== undefined && !regexSourceOf(item) && equalityHashKey(item, opts.collator) !== undefined);
  return (c) => {
    if (isNullish(c)) return hasNull || others.some((test) => test(c));
    const key = equalityHashKey(c.value, opts.collator);
    if (key !== undefined) {
      if (hashed.has(key)) return true;
    } else if (hashedItems.some((item) => compareValues(c.value, item, opts.collator) === 0)) {
      return true;
    }
    return others.some((test) => test(c));
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $regex, $type, $mod, $size, $bits*

/** The regex of `{$regex, $options}`: a string pattern, or a regex value whose own flags $options may not repeat. */
function regexOperand(pattern: unknown, options: unknown): RegexSource {
  if (options !== undefined && typeof options !== 'string') badValue('$options has to be a string');
  if (typeof pattern === 'string') return { pattern, options: options ?? '' };
  const source = regexSourceOf(pattern);
  if (!source) badValue('$regex has to be a string');
  if (options !== undefined && source.options !== '') badValue('options set in both $regex and $options');
  return { pattern: source.pattern, options: options ?? source.options };
}

/** A regex literal used as a query value (`{a: /x/}`, inside `$in`, `$all`, `$not`). */
function literalRegexTest(value: unknown): (c: PathCandidate) => boolean {
  const source = regexSourceOf(value);
  if (!source) badValue('$regex has to be a string');
  return regexTest(source);
}

/** Strings match the pattern; a stored regex matches when it is the same regex. */
function regexTest(source: RegexSource): (c: PathCandidate) => boolean {
  const regex = compileRegex(source.pattern, source.options);
  const flags = sortFlags(source.options);
  return (c) => {
    if (c.missing) return false;
    const v = c.value;
    if (typeof v === 'string') return regex.test(v);
    if (bsonTag(v) === 'BSONSymbol') return regex.test(String((v as { value: unknown }).value));
    const stored = regexSourceOf(v);
    return stored !== undefined && stored.pattern === source.pattern && sortFlags(stored.options) === flags;
  };
}

function sortFlags(flags: string): string {
  return flags.split('').sort().join('');
}

function typeTest(spec: unknown): (c: PathCandidate) => boolean {
  const codes = parseTypeSpec(spec);
  return (c) => !c.missing && hasTypeCode(c.value, codes);
}

function toBigIntTruncated(v: unknown): bigint | undefined {
  const n = Number(v);
  if (!Number.isFinite(n)) return undefined;
  if (typeof v === 'bigint') return v;
  return BigInt(Math.trunc(n));
}

function modTest(operand: unknown): (c: PathCandidate) => boolean {
  if (!Array.isArray(operand)) badValue('malformed mod, needs to be an array');
  if (operand.length < 2) badValue('malformed mod, not enough elements');
  if (operand.length > 2) badValue('malformed mod, too many elements');
  if (!isNumeric(operand[0])) badValue('malformed mod, divisor not a number');
  if (!isNumeric(operand[1])) badValue('malformed mod, remainder not a number');
  const divisor = toBigIntTruncated(operand[0]);
  const remainder = toBigIntTruncated(operand[1]);
  if (divisor === undefined || remainder === undefined) badValue('malformed mod, divisor and remainder must be finite');
  if (divisor === 0n) badValue('divisor cannot be 0');
  return (c) => {
    if (c.missing || !isNumeric(c.value)) return false;
    const n = toBigIntTruncated(c.value);
    return n !== undefined && n % divisor === remainder;
  };
}

function sizeTest(operand: unknown): (array: unknown[]) => boolean {
  if (!isNumeric(operand)) badValue('$size needs a number');
  const n = Number(operand);
  if (!Number.isInteger(n)) badValue('$size must be a whole number');
  if (n < 0) badValue('$size may not be negative');
  return (array) => array.length === n;
}

/** The bit positions of a $bits* operand: a non-negative mask, an array of positions, or BinData. */
function parseBitPositions(op: string, operand: unknown): number[] {
  if (Array.isArray(operand)) {
    return operand.map((p) => {
      const n = Number(p);
      if (!isNumeric(p) || !Number.isInteger(n) || n < 0) badValue(`${op} bit positions must be non-negative integers`);
      return n;
    });
  }
  if (isNumeric(operand)) {
    const mask = toBigIntTruncated(operand);
    if (mask === undefined || mask < 0n || Number(operand) !== Number(mask)) {
      badValue(`${op} mask must be a non-negative integer`);
    }
    const positions: number[] = [];
    for (let bit = 0; mask >> BigInt(bit) > 0n; bit++) if ((mask >> BigInt(bit)) & 1n) positions.push(bit);
    return positions;
  }
  if (bsonTag(operand) === 'Binary') {
    const bin = operand as { buffer: Uint8Array; position: number };
    const positions: number[] = [];
    for (let i = 0; i < bin.position; i++) {
      for (let bit = 0; bit < 8; bit++) if (bin.buffer[i] & (1 << bit)) positions.push(i * 8 + bit);
    }
    return positions;
  }
  return badValue(`${op} takes an Array, a number, or a BinData but received: ${String(operand)}`);
}

/** Two's complement bits of an integral number, or of a BinData payload (little-endian). */
function bitOf(v: unknown): ((position: number) => boolean) | undefined {
  if (bsonTag(v) === 'Binary') {
    const bin = v as { buffer: Uint8Array; position: number };
    return (p) => p >> 3 < bin.position && (bin.buffer[p >> 3] & (1 << (p & 7))) !== 0;
  }
  const integral = typeof v === 'bigint' ? v : jsNumber(v);
  if (integral === undefined) return undefined;
  if (typeof integral === 'number' && (!Number.isInteger(integral) || Math.abs(integral) > 2 ** 63)) return undefined;
  const n = BigInt.asUintN(64, BigInt(integral));
  return (p) => (p >= 64 ? n >> 63n === 1n : ((n >> BigInt(p)) & 1n) === 1n);
}

function bitsTest(op: string, operand: unknown): (c: PathCandidate) => boolean {
  const positions = parseBitPositions(op, operand);
  const wantSet = op === '$bitsAllSet' || op === '$bitsAnySet';
  const all = op === '$bitsAllSet' || op === '$bitsAllClear';
  return (c) => {
    const bit = c.missing ? undefined : bitOf(c.value);
    if (!bit) return false;
    const check = (p: number): boolean => bit(p) === wantSet;
    return all ? positions.every(check) : positions.some(check);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $all, $elemMatch, $not

function compileAll(operand: unknown, opts: CompileOptions): ValuesPredicate {
  if (!Array.isArray(operand)) badValue('$all needs an array');
  if (operand.length === 0) return () => false;
  const elemMatches = operand.filter((item) => isRecord(item) && Object.keys(item)[0] === '$elemMatch');
  if (elemMatches.length > 0) {
    if (elemMatches.length !== operand.length) badValue('$all/$elemMatch has to be consistent');
    const predicates = operand.map((item) => compileElemMatch((item as Record<string, unknown>).$elemMatch, opts));
    return (candidates, ctx) => predicates.every((p) => p(candidates, ctx));
  }
  const predicates = operand.map((item) => {
    if (isOperatorObject(item)) badValue('no $ expressions in $all');
    return anyValue(regexSourceOf(item) ? literalRegexTest(item) : equalityTest(item, opts));
  });
  return (candidates, ctx) => predicates.every((p) => p(candidates, ctx));
}

/** Operators that take no path: at the head of an `$elemMatch` they make it a condition on element documents. */
const PATHLESS_OPERATORS = new Set(['$and', '$or', '$nor', '$expr', '$where', '$text', '$comment', '$jsonSchema', '$alwaysTrue', '$alwaysFalse', ...DBREF_FIELDS]);

/**
 * `{$elemMatch: {$gt: 1}}` tests elements as values; `{$elemMatch: {b: 1}}` tests them as documents. As in mongod
 * the first field decides, and any DBRef field (`{$elemMatch: {$id: x}}`) makes it a condition on documents.
 */
function isValueElemMatch(spec: Record<string, unknown>): boolean {
  const keys = Object.keys(spec);
  return keys.length > 0 && keys[0].startsWith('$') && !PATHLESS_OPERATORS.has(keys[0]) && !keys.some((k) => DBREF_FIELDS.has(k));
}

function compileElemMatch(operand: unknown, opts: CompileOptions): ValuesPredicate {
  if (!isRecord(operand)) badValue('$elemMatch needs an Object');
  const elementMatches = isValueElemMatch(operand) ? elementValueMatcher(operand, opts) : elementDocumentMatcher(operand, opts);
  return (candidates, ctx) => {
    for (const candidate of candidates) {
      if (candidate.expanded || !Array.isArray(candidate.value)) continue;
      const index = candidate.value.findIndex(elementMatches);
      if (index < 0) continue;
      ctx.arrayIndex = candidate.arrayIndex ?? index;
      return true;
    }
    return false;
  };
}

function elementValueMatcher(operators: Record<string, unknown>, opts: CompileOptions): (element: unknown) => boolean {
  const predicate = compileOperators(operators, opts);
  return (element) => predicate([{ value: element, missing: false, expanded: false, arrayIndex: undefined }], {});
}

function elementDocumentMatcher(filter: Record<string, unknown>, opts: CompileOptions): (element: unknown) => boolean {
  const predicate = compileDocument(filter, { ...opts, nested: true });
  return (element) => (isRecord(element) || Array.isArray(element)) && predicate(element, {});
}

function compileNot(operand: unknown, opts: CompileOptions): ValuesPredicate {
  if (regexSourceOf(operand)) return not(anyValue(literalRegexTest(operand)));
  if (!isRecord(operand)) badValue('$not needs a regex or a document');
  if (Object.keys(operand).length === 0) badValue('$not cannot be empty');
  if (!isOperatorObject(operand)) badValue(`unknown operator: ${Object.keys(operand)[0]}`);
  return not(compileOperators(operand, opts));
}
