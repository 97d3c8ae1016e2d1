/**
 * The leaf operations of update operators: each `compile*` validates the operator's argument for one field (with
 * MongoDB's messages and codes) and returns the operation applied at that field's path.
 */
import { Timestamp } from 'bson';
import { bsonTag, bsonType, compareValues, valuesEqual } from '../bson/compare';
import { deepClone } from '../bson/clone';
import { jsNumber, numberOf } from '../bson/double';
import { add, isNumericValue, multiply, type NumericValue } from '../bson/numeric';
import { mongoError } from '../errors';
import { compileFilter, type Matcher } from '../query/matcher';
import { isPlainDocument } from '../query/paths';
import { compileSort } from '../query/sort';
import type { Collator } from '../types';
import { formatElement, formatField, formatIdOf, formatValue } from './format';
import { REMOVE, UNCHANGED, type LeafOperation, type LeafPlace } from './walk';

export interface OperatorOptions {
  collator?: Collator;
}

function setTo(value: unknown): LeafOperation {
  return { creates: true, update: () => deepClone(value) };
}

export function compileSet(value: unknown): LeafOperation {
  return setTo(value);
}

export const unsetOperation: LeafOperation = {
  creates: false,
  update: (found) => (found ? REMOVE : UNCHANGED),
};

function nonNumericMessage(operator: string, value: unknown, place: LeafPlace): string {
  return (
    `Cannot apply ${operator} to a value of non-numeric type. ${formatIdOf(place.root)} has the field '${place.field}' ` +
    `of non-numeric type ${bsonType(value)}`
  );
}

function requireNumericArgument(field: string, value: unknown, verb: string): NumericValue {
  if (!isNumericValue(value)) {
    throw mongoError('TypeMismatch', `Cannot ${verb} with non-numeric argument: ${formatElement(field, value)}`);
  }
  return value;
}

export function compileInc(field: string, value: unknown): LeafOperation {
  const amount = requireNumericArgument(field, value, 'increment');
  return {
    creates: true,
    update: (found, current, place) => {
      if (!found) return amount;
      if (!isNumericValue(current)) throw mongoError('TypeMismatch', nonNumericMessage('$inc', current, place));
      return add(current, amount);
    },
  };
}

export function compileMul(field: string, value: unknown): LeafOperation {
  const factor = requireNumericArgument(field, value, 'multiply');
  return {
    creates: true,
    // A missing field becomes zero of the multiplier's type.
    update: (found, current, place) => {
      if (!found) return multiply(0, factor);
      if (!isNumericValue(current)) throw mongoError('TypeMismatch', nonNumericMessage('$mul', current, place));
      return multiply(current, factor);
    },
  };
}

export function compileMinMax(value: unknown, which: '$min' | '$max', options: OperatorOptions): LeafOperation {
  const wanted = which === '$min' ? -1 : 1;
  return {
    creates: true,
    update: (found, current) => {
      if (!found) return deepClone(value);
      return compareValues(value, current, options.collator) === wanted ? deepClone(value) : UNCHANGED;
    },
  };
}

let lastTimestampSecond = 0;
let timestampIncrement = 0;

/** A timestamp unique within this process, like the oplog clock hands out. */
export function nextTimestamp(now: Date): Timestamp {
  const second = Math.floor(now.getTime() / 1000);
  if (second > lastTimestampSecond) {
    lastTimestampSecond = second;
    timestampIncrement = 0;
  }
  timestampIncrement += 1;
  return new Timestamp({ t: lastTimestampSecond, i: timestampIncrement });
}

function parseCurrentDateSpec(value: unknown): 'date' | 'timestamp' {
  if (typeof value === 'boolean') return 'date';
  if (!isPlainDocument(value)) {
    throw mongoError(
      'BadValue',
      `${bsonType(value)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`,
    );
  }
  let type: 'date' | 'timestamp' | undefined;
  for (const [key, option] of Object.entries(value)) {
    if (key !== '$type') throw mongoError('BadValue', `Unrecognized $currentDate option: ${key}`);
    if (option === 'date' || option === 'timestamp') type = option;
  }
  if (type === undefined) {
    throw mongoError(
      'BadValue',
      "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
    );
  }
  return type;
}

export function compileCurrentDate(value: unknown): LeafOperation {
  const type = parseCurrentDateSpec(value);
  return {
    creates: true,
    update: (_found, _current, place) => (type === 'date' ? new Date(place.ctx.now.getTime()) : nextTimestamp(place.ctx.now)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Arrays

/** An int32, int64 or integral double (mongod takes `2.0` where it asks for an integer). */
function isIntegral(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  const n = jsNumber(v);
  return n !== undefined && Number.isInteger(n);
}

interface PushSpec {
  each: unknown[];
  slice?: number;
  position?: number;
  sort?: (a: unknown, b: unknown) => number;
}

function parsePushSort(sort: unknown, options: OperatorOptions): (a: unknown, b: unknown) => number {
  const wholeElement = numberOf(sort);
  if (wholeElement !== undefined) {
    if (wholeElement !== 1 && wholeElement !== -1) throw mongoError('BadValue', 'The $sort element value must be either 1 or -1');
    const direction = wholeElement;
    return (a, b) => compareValues(a, b, options.collator) * direction;
  }
  if (!isPlainDocument(sort)) {
    throw mongoError('BadValue', 'The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields');
  }
  const entries = Object.entries(sort);
  if (entries.length === 0) throw mongoError('BadValue', 'The $sort pattern is empty when it should be a set of fields.');
  for (const [key, direction] of entries) {
    if (key.split('.').some((name) => name === '')) {
      throw mongoError('BadValue', `The $sort field is a dotted field but has an empty part: ${key}`);
    }
    const n = numberOf(direction);
    if (n !== 1 && n !== -1) throw mongoError('BadValue', 'The $sort element value must be either 1 or -1');
  }
  return compileSort(Object.fromEntries(entries.map(([k, d]) => [k, numberOf(d)])), options.collator);
}

function parsePushModifiers(spec: Record<string, unknown>, options: OperatorOptions): PushSpec {
  for (const key of Object.keys(spec)) {
    if (!['$each', '$slice', '$sort', '$position'].includes(key)) {
      throw mongoError('BadValue', `Unrecognized clause in $push: ${key}`);
    }
  }
  if (!Array.isArray(spec.$each)) {
    throw mongoError('BadValue', `The argument to $each in $push must be an array but it was of type: ${bsonType(spec.$each)}`);
  }
  const out: PushSpec = { each: spec.$each };
  if ('$slice' in spec) {
    if (!isIntegral(spec.$slice)) {
      throw mongoError('BadValue', `The value for $slice must be an integer value but was given type: ${bsonType(spec.$slice)}`);
    }
    out.slice = Number(spec.$slice);
  }
  if ('$position' in spec) {
    if (!isIntegral(spec.$position)) {
      throw mongoError('BadValue', `The value for $position must be an integer value, not of type: ${bsonType(spec.$position)}`);
    }
    out.position = Number(spec.$position);
  }
  if ('$sort' in spec) out.sort = parsePushSort(spec.$sort, options);
  return out;
}

function insertAt(array: unknown[], values: unknown[], position: number | undefined): unknown[] {
  let at = array.length;
  if (position !== undefined) at = position < 0 ? Math.max(0, array.length + position) : Math.min(position, array.length);
  return [...array.slice(0, at), ...values, ...array.slice(at)];
}

function sliceArray(array: unknown[], slice: number | undefined): unknown[] {
  if (slice === undefined) return array;
  if (slice >= 0) return array.slice(0, slice);
  return array.slice(Math.max(0, array.length + slice));
}

/** `{$push: {a: v}}` pushes one value; `{$push: {a: {$each: [...], ...}}}` several, with modifiers. */
function parsePushSpec(value: unknown, options: OperatorOptions): PushSpec {
  if (isPlainDocument(value) && '$each' in value) return parsePushModifiers(value, options);
  return { each: [value] };
}

export function compilePush(value: unknown, options: OperatorOptions): LeafOperation {
  const spec = parsePushSpec(value, options);
  return {
    creates: true,
    update: (found, current, place) => {
      if (found && !Array.isArray(current)) {
        throw mongoError(
          'BadValue',
          `The field '${place.path}' must be an array but is of type ${bsonType(current)} in document ${formatIdOf(place.root)}`,
        );
      }
      let result = insertAt(found ? (current as unknown[]) : [], deepClone(spec.each), spec.position);
      if (spec.sort) result = result.slice().sort(spec.sort);
      return sliceArray(result, spec.slice);
    },
  };
}

export function compileAddToSet(value: unknown, options: OperatorOptions): LeafOperation {
  let values: unknown[] = [value];
  // Only an object whose first field is $each lists values; any other object is itself the value to add.
  if (isPlainDocument(value) && Object.keys(value)[0] === '$each') {
    const keys = Object.keys(value);
    if (keys.length > 1) {
      throw mongoError('BadValue', `Found unexpected fields after $each in $addToSet: ${formatValue(value)}`);
    }
    if (!Array.isArray(value.$each)) {
      throw mongoError('TypeMismatch', `The argument to $each in $addToSet must be an array but it was of type ${bsonType(value.$each)}`);
    }
    values = value.$each;
  }
  return {
    creates: true,
    update: (found, current, place) => {
      if (found && !Array.isArray(current)) {
        throw mongoError(
          'BadValue',
          `Cannot apply $addToSet to non-array field. Field named '${place.field}' has non-array type ${bsonType(current)}`,
        );
      }
      const result = found ? (current as unknown[]).slice() : [];
      for (const candidate of values) {
        if (!result.some((existing) => valuesEqual(existing, candidate, options.collator))) result.push(deepClone(candidate));
      }
      return found && result.length === (current as unknown[]).length ? UNCHANGED : result;
    },
  };
}

/**
 * `$`-prefixed names that make a `$pull` condition a query on each element document's fields rather than a
 * condition on each element (DBRef fields among them).
 */
const TOP_LEVEL_ONLY = new Set(['$and', '$or', '$nor', '$expr', '$where', '$text', '$comment', '$jsonSchema', '$ref', '$id', '$db']);
const WRAPPER = 'element';

function isRegex(v: unknown): boolean {
  return v instanceof RegExp || bsonTag(v) === 'BSONRegExp';
}

/** Like mongod: a regex or an operator object tests each element, another object queries element documents. */
function compilePullMatcher(condition: unknown, options: OperatorOptions): (element: unknown) => boolean {
  if (isRegex(condition)) {
    const wrapped = compileFilter({ [WRAPPER]: condition }, { collator: options.collator });
    return (element) => wrapped.test({ [WRAPPER]: element });
  }
  if (!isPlainDocument(condition)) {
    return (element) => valuesEqual(element, condition, options.collator);
  }
  const first = Object.keys(condition)[0];
  if (first !== undefined && first.startsWith('$') && !TOP_LEVEL_ONLY.has(first)) {
    const wrapped: Matcher = compileFilter({ [WRAPPER]: condition }, { collator: options.collator });
    return (element) => wrapped.test({ [WRAPPER]: element });
  }
  const matcher = compileFilter(condition, { collator: options.collator });
  return (element) => isPlainDocument(element) && matcher.test(element);
}

function removeMatching(predicate: (element: unknown) => boolean): LeafOperation {
  return {
    creates: false,
    rejectsBlockedPath: true,
    update: (found, current) => {
      if (!found) return UNCHANGED;
      if (!Array.isArray(current)) throw mongoError('BadValue', 'Cannot apply $pull to a non-array value');
      const kept = current.filter((element) => !predicate(element));
      return kept.length === current.length ? UNCHANGED : kept;
    },
  };
}

export function compilePull(value: unknown, options: OperatorOptions): LeafOperation {
  return removeMatching(compilePullMatcher(value, options));
}

export function compilePullAll(value: unknown, options: OperatorOptions): LeafOperation {
  if (!Array.isArray(value)) {
    throw mongoError('BadValue', `$pullAll requires an array argument but was given a ${bsonType(value)}`);
  }
  return removeMatching((element) => value.some((v) => valuesEqual(element, v, options.collator)));
}

/** mongod's parseIntegerElementToLong: a number with an integral value. */
function parseIntegerArgument(field: string, value: unknown): number {
  if (!isNumericValue(value)) throw mongoError('FailedToParse', `Expected a number in: ${formatField(field, value)}`);
  const n = Number(value.toString());
  if (!Number.isInteger(n)) throw mongoError('FailedToParse', `Expected an integer: ${formatField(field, value)}`);
  return n;
}

export function compilePop(field: string, value: unknown): LeafOperation {
  const direction = parseIntegerArgument(field, value);
  if (direction !== 1 && direction !== -1) {
    throw mongoError('FailedToParse', `$pop expects 1 or -1, found: ${direction}`);
  }
  const fromFront = direction === -1;
  return {
    creates: false,
    rejectsBlockedPath: true,
    update: (found, current, place) => {
      if (!found) return UNCHANGED;
      if (!Array.isArray(current)) {
        throw mongoError('TypeMismatch', `Path '${place.path}' contains an element of non-array type '${bsonType(current)}'`);
      }
      if (current.length === 0) return UNCHANGED;
      return fromFront ? current.slice(1) : current.slice(0, -1);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $bit

type BitOp = 'and' | 'or' | 'xor';

export function compileBit(value: unknown): LeafOperation {
  if (!isPlainDocument(value)) {
    throw mongoError(
      'BadValue',
      `The $bit modifier is not compatible with a ${bsonType(value)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`,
    );
  }
  const steps: { op: BitOp; operand: number | bigint }[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op !== 'and' && op !== 'or' && op !== 'xor') {
      throw mongoError(
        'BadValue',
        `The $bit modifier only supports 'and', 'or', and 'xor', not '${op}' which is an unknown operator: ${formatElement(op, operand)}`,
      );
    }
    const type = bsonType(operand);
    if (type !== 'int' && type !== 'long') {
      throw mongoError(
        'BadValue',
        `The $bit modifier field must be an Integer(32/64 bit); a '${type}' is not supported here: ${formatElement(op, operand)}`,
      );
    }
    steps.push({ op, operand: operand as number | bigint });
  }
  if (steps.length === 0) {
    throw mongoError('BadValue', `You must pass in at least one bitwise operation. The format is: {$bit: {field: {and/or/xor: #}}`);
  }
  return {
    creates: true,
    update: (found, current, place) => {
      let result: number | bigint = 0;
      if (found) {
        const type = bsonType(current);
        if (type !== 'int' && type !== 'long') {
          throw mongoError(
            'BadValue',
            `Cannot apply $bit to a value of non-integral type.${idField(place.root)} has the field ${place.field} of non-integer type ${type}`,
          );
        }
        result = current as number | bigint;
      }
      for (const step of steps) result = applyBit(result, step.op, step.operand);
      return result;
    },
  };
}

function idField(doc: Record<string, unknown>): string {
  return Object.prototype.hasOwnProperty.call(doc, '_id') ? formatField('_id', doc._id) : '';
}

function applyBit(a: number | bigint, op: BitOp, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    if (op === 'and') return a & b;
    return op === 'or' ? a | b : a ^ b;
  }
  const x = BigInt(a);
  const y = BigInt(b);
  const result = op === 'and' ? x & y : op === 'or' ? x | y : x ^ y;
  return BigInt.asIntN(64, result);
}

