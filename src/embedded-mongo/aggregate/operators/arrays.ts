/** Array, set and object operators. */
import { defineField } from '../../bson/fields';
import { mongoError, type ErrorCodeName } from '../../errors';
import {
  checkVariableName,
  evaluate,
  evaluateArgs,
  evaluateFixedArgs,
  parseFieldPath,
  readFieldPath,
  readSpec,
  type SpecCodes,
  withVars,
  type OperatorFn,
  type Scope,
} from '../evaluate';
import { compareAgg, equalsAgg, hasOwn, isDocument, isNullish, isNumericValue, toBool, toDouble, typeName, valueKey } from '../values';

type ArrayCode = 'Location17124' | 'Location28689' | 'Location28664' | 'Location28724' | 'Location34435' | 'Location40090';

function requireArray(value: unknown, code: ArrayCode, message: string): unknown[] {
  if (!Array.isArray(value)) throw mongoError(code, `${message}${typeName(value)}`);
  return value;
}

/** An integral numeric argument as a JS number; `codes` are [not numeric, not integral]. */
function integral(name: string, v: unknown, codes: readonly [ErrorCodeName, ErrorCodeName], what: string): number {
  if (!isNumericValue(v)) throw mongoError(codes[0], `${name}'s ${what} must be a numeric value, but is ${typeName(v)}`);
  const n = toDouble(v);
  if (!Number.isInteger(n) || Math.abs(n) > 2147483648) {
    throw mongoError(codes[1], `${name}'s ${what} must be representable as a 32-bit integral value, but is ${n}`);
  }
  return n;
}

function sizeOperator(args: unknown, scope: Scope, name: string): unknown {
  const [v] = evaluateFixedArgs(name, args, scope, 1);
  return requireArray(v, 'Location17124', 'The argument to $size must be an array. Type of argument: ').length;
}

function isArrayOperator(args: unknown, scope: Scope, name: string): unknown {
  const [v] = evaluateFixedArgs(name, args, scope, 1);
  return Array.isArray(v);
}

function arrayElemAtOperator(args: unknown, scope: Scope, name: string): unknown {
  const [array, indexValue] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(array) || isNullish(indexValue)) return null;
  const list = requireArray(array, 'Location28689', "$arrayElemAt's first argument must be an array, but is ");
  const index = integral(name, indexValue, ['Location28690', 'Location28691'], 'second argument');
  const at = index < 0 ? list.length + index : index;
  return at >= 0 && at < list.length ? list[at] : undefined;
}

function endElementOperator(which: 'first' | 'last'): OperatorFn {
  return (args, scope, name) => {
    const [array] = evaluateFixedArgs(name, args, scope, 1);
    if (isNullish(array)) return null;
    const list = requireArray(array, 'Location28689', `${name}'s argument must be an array, but is `);
    return which === 'first' ? list[0] : list[list.length - 1];
  };
}

function concatArraysOperator(args: unknown, scope: Scope): unknown {
  const arrays = evaluateArgs(args, scope);
  const out: unknown[] = [];
  for (const array of arrays) {
    if (isNullish(array)) return null;
    out.push(...requireArray(array, 'Location28664', '$concatArrays only supports arrays, not '));
  }
  return out;
}

function sliceOperator(args: unknown, scope: Scope, name: string): unknown {
  const values = evaluateFixedArgs(name, args, scope, 2, 3);
  if (values.some(isNullish)) return null;
  const list = requireArray(values[0], 'Location28724', 'First argument to $slice must be an array, but is of type: ');
  if (values.length === 2) {
    const n = integral(name, values[1], ['Location28725', 'Location28726'], 'second argument');
    return n >= 0 ? list.slice(0, n) : list.slice(Math.max(0, list.length + n));
  }
  const position = integral(name, values[1], ['Location28725', 'Location28726'], 'second argument');
  const n = integral(name, values[2], ['Location28727', 'Location28728'], 'third argument');
  if (n <= 0) throw mongoError('Location28729', `Third argument to $slice must be positive: ${n}`);
  const start = position < 0 ? Math.max(0, list.length + position) : Math.min(position, list.length);
  return list.slice(start, start + n);
}

function reverseArrayOperator(args: unknown, scope: Scope, name: string): unknown {
  const [array] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(array)) return null;
  return [...requireArray(array, 'Location34435', 'The argument to $reverseArray must be an array, but was of type: ')].reverse();
}

function inOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value, array] = evaluateFixedArgs(name, args, scope, 2);
  if (!Array.isArray(array)) throw mongoError('Location40081', `$in requires an array as a second argument, found: ${typeName(array)}`);
  return array.some((element) => equalsAgg(element, value, scope.collator));
}

function indexOfArrayOperator(args: unknown, scope: Scope, name: string): unknown {
  const [array, search, startValue, endValue] = evaluateFixedArgs(name, args, scope, 2, 4);
  if (isNullish(array)) return null;
  const list = requireArray(array, 'Location40090', '$indexOfArray requires an array as a first argument, found: ');
  const start = startValue === undefined ? 0 : integral(name, startValue, ['Location40096', 'Location40096'], 'starting index');
  const end = endValue === undefined ? list.length : Math.min(list.length, integral(name, endValue, ['Location40096', 'Location40096'], 'ending index'));
  if (start < 0 || end < 0) throw mongoError('Location40097', `${name} requires a nonnegative index`);
  for (let i = start; i < end; i++) if (equalsAgg(list[i], search, scope.collator)) return i;
  return -1;
}

function rangeOperator(args: unknown, scope: Scope, name: string): unknown {
  const [startValue, endValue, stepValue = 1] = evaluateFixedArgs(name, args, scope, 2, 3);
  const start = integral(name, startValue, ['Location34443', 'Location34444'], 'starting value');
  const end = integral(name, endValue, ['Location34445', 'Location34446'], 'ending value');
  const step = integral(name, stepValue, ['Location34447', 'Location34448'], 'step value');
  if (step === 0) throw mongoError('Location34449', '$range requires a non-zero step value');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < end : i > end; i += step) out.push(i);
  return out;
}

function iterationSpec(name: string, args: unknown, scope: Scope, body: 'cond' | 'in'): { input: unknown; as: string; spec: Record<string, unknown> } {
  const codes: SpecCodes =
    body === 'cond'
      ? { object: 'Location28646', unknown: 'Location28647', missing: { input: 'Location28648', cond: 'Location28650' } }
      : { object: 'Location16878', unknown: 'Location16879', missing: { input: 'Location16880', in: 'Location16882' } };
  const spec = readSpec(name, args, ['input', body], body === 'cond' ? ['as', 'limit'] : ['as'], codes);
  const as = spec.as === undefined ? 'this' : spec.as;
  if (typeof as !== 'string') throw mongoError('FailedToParse', `${name}: 'as' must be a string`);
  checkVariableName(as);
  return { input: evaluate(spec.input, scope), as, spec };
}

function filterOperator(args: unknown, scope: Scope, name: string): unknown {
  const { input, as, spec } = iterationSpec(name, args, scope, 'cond');
  if (isNullish(input)) return null;
  if (!Array.isArray(input)) throw mongoError('Location28651', `input to $filter must be an array not ${typeName(input)}`);
  let limit = Infinity;
  if (spec.limit !== undefined) {
    const limitValue = evaluate(spec.limit, scope);
    if (!isNullish(limitValue)) {
      if (!isNumericValue(limitValue) || !Number.isInteger(toDouble(limitValue))) {
        throw mongoError('Location327391', `$filter: limit must be represented as a 32-bit integral value`);
      }
      limit = toDouble(limitValue);
      if (limit < 1) throw mongoError('Location327392', `$filter: limit must be greater than 0: ${limit}`);
    }
  }
  const out: unknown[] = [];
  for (const element of input) {
    if (out.length >= limit) break;
    if (toBool(evaluate(spec.cond, withVars(scope, { [as]: element })))) out.push(element);
  }
  return out;
}

function mapOperator(args: unknown, scope: Scope, name: string): unknown {
  const { input, as, spec } = iterationSpec(name, args, scope, 'in');
  if (isNullish(input)) return null;
  if (!Array.isArray(input)) throw mongoError('Location16883', `input to $map must be an array not ${typeName(input)}`);
  return input.map((element) => {
    const value = evaluate(spec.in, withVars(scope, { [as]: element }));
    return value === undefined ? null : value;
  });
}

function reduceOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['input', 'initialValue', 'in'], [], {
    object: 'Location40075',
    unknown: 'Location40076',
    missing: { input: 'Location40077', initialValue: 'Location40078', in: 'Location40079' },
  });
  const input = evaluate(spec.input, scope);
  if (isNullish(input)) return null;
  if (!Array.isArray(input)) throw mongoError('Location40080', `$reduce requires that 'input' be an array, found: ${typeName(input)}`);
  let value = evaluate(spec.initialValue, scope);
  for (const element of input) value = evaluate(spec.in, withVars(scope, { value, this: element }));
  return value;
}

/** Distinct elements in first-seen order (equal values of different numeric types count as one). */
function distinct(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const key = valueKey(v);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}

function setArrays(name: string, values: unknown[], code: 'Location17043' | 'Location17047' | 'Location17048' | 'Location17049' | 'Location17046' | 'Location17042' | 'Location17044'): unknown[][] {
  return values.map((v) => {
    if (!Array.isArray(v)) throw mongoError(code, `All operands of ${name} must be arrays. One argument is of type: ${typeName(v)}`);
    return v;
  });
}

function setUnionOperator(args: unknown, scope: Scope, name: string): unknown {
  const values = evaluateArgs(args, scope);
  if (values.some(isNullish)) return null;
  return distinct(setArrays(name, values, 'Location17043').flat());
}

function setIntersectionOperator(args: unknown, scope: Scope, name: string): unknown {
  const values = evaluateArgs(args, scope);
  if (values.some(isNullish)) return null;
  const arrays = setArrays(name, values, 'Location17047');
  if (arrays.length === 0) return [];
  const [first, ...rest] = arrays;
  const restKeys = rest.map((array) => new Set(array.map(valueKey)));
  return distinct(first).filter((v) => restKeys.every((keys) => keys.has(valueKey(v))));
}

function setDifferenceOperator(args: unknown, scope: Scope, name: string): unknown {
  const [a, b] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(a) || isNullish(b)) return null;
  const [first] = setArrays(name, [a], 'Location17048');
  const [second] = setArrays(name, [b], 'Location17049');
  const exclude = new Set(second.map(valueKey));
  return distinct(first).filter((v) => !exclude.has(valueKey(v)));
}

function setIsSubsetOperator(args: unknown, scope: Scope, name: string): unknown {
  const [a, b] = evaluateFixedArgs(name, args, scope, 2);
  const [first] = setArrays(name, [a], 'Location17046');
  const [second] = setArrays(name, [b], 'Location17042');
  const keys = new Set(second.map(valueKey));
  return first.every((v) => keys.has(valueKey(v)));
}

function setEqualsOperator(args: unknown, scope: Scope, name: string): unknown {
  const arrays = setArrays(name, evaluateFixedArgs(name, args, scope, 2, Infinity), 'Location17044');
  const keySets = arrays.map((array) => new Set(array.map(valueKey)));
  const [first, ...rest] = keySets;
  return rest.every((keys) => keys.size === first.size && [...keys].every((k) => first.has(k)));
}

function elementTruthOperator(mode: 'any' | 'all'): OperatorFn {
  return (args, scope, name) => {
    const [array] = evaluateFixedArgs(name, args, scope, 1);
    if (!Array.isArray(array)) {
      throw mongoError(mode === 'any' ? 'Location17041' : 'Location17040', `${name}'s argument must be an array, but is ${typeName(array)}`);
    }
    return mode === 'any' ? array.some(toBool) : array.every(toBool);
  };
}

function objectToArrayOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(value)) return null;
  if (!isDocument(value)) throw mongoError('Location40390', `$objectToArray requires a document input, found: ${typeName(value)}`);
  return Object.entries(value).map(([k, v]) => ({ k, v }));
}

function arrayToObjectOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(value)) return null;
  if (!Array.isArray(value)) throw mongoError('Location40386', `$arrayToObject requires an array input, found: ${typeName(value)}`);
  const out: Record<string, unknown> = {};
  const pairStyle = Array.isArray(value[0]);
  for (const element of value) {
    const [key, v] = keyValuePair(element, pairStyle);
    if (key.includes('\0')) throw mongoError('Location4940400', "Key field cannot contain an embedded null byte");
    if (hasOwn(out, key)) delete out[key];
    defineField(out, key, v);
  }
  return out;
}

function keyValuePair(element: unknown, pairStyle: boolean): [string, unknown] {
  if (pairStyle) {
    if (!Array.isArray(element) || element.length !== 2) {
      throw mongoError('Location40397', '$arrayToObject requires an array of size 2 arrays,found array of size: ' + (Array.isArray(element) ? element.length : 0));
    }
    if (typeof element[0] !== 'string') {
      throw mongoError('Location40395', `$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: ${typeName(element[0])}`);
    }
    return [element[0], element[1]];
  }
  if (!isDocument(element) || Object.keys(element).length !== 2 || !hasOwn(element, 'k') || !hasOwn(element, 'v')) {
    throw mongoError('Location40392', "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys or keys other than 'k' and 'v'");
  }
  if (typeof element.k !== 'string') {
    throw mongoError('Location40394', `$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: ${typeName(element.k)}`);
  }
  return [element.k, element.v];
}

/** Shallow merge, later documents winning; null and missing operands are skipped. */
export function mergeDocuments(values: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  values.forEach((v, i) => {
    if (isNullish(v)) return;
    if (!isDocument(v)) throw mongoError('Location40400', `$mergeObjects requires object inputs, but input ${i + 1} is of type ${typeName(v)}`);
    for (const [key, fieldValue] of Object.entries(v)) {
      if (fieldValue !== undefined) defineField(out, key, fieldValue);
    }
  });
  return out;
}

function mergeObjectsOperator(args: unknown, scope: Scope): unknown {
  return mergeDocuments(evaluateArgs(args, scope));
}

function zipOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['inputs'], ['useLongestLength', 'defaults'], { object: 'Location34460', unknown: 'Location34464', missing: 'Location34465' });
  const inputs = evaluate(spec.inputs, scope);
  if (!Array.isArray(inputs)) throw mongoError('Location34461', `inputs must be an array of expressions, found ${typeName(inputs)}`);
  if (inputs.some(isNullish)) return null;
  const arrays = inputs.map((v) => {
    if (!Array.isArray(v)) throw mongoError('Location34468', `$zip found a non-array expression in input: ${typeName(v)}`);
    return v;
  });
  const longest = spec.useLongestLength === true;
  const defaults = spec.defaults === undefined ? [] : evaluate(spec.defaults, scope);
  if (!Array.isArray(defaults)) throw mongoError('Location34462', `defaults must be an array of expressions, found ${typeName(defaults)}`);
  if (defaults.length > 0 && !longest) throw mongoError('Location34466', 'cannot specify defaults unless useLongestLength is true');
  const length = arrays.length === 0 ? 0 : (longest ? Math.max : Math.min)(...arrays.map((a) => a.length));
  return Array.from({ length }, (_, i) => arrays.map((a, j) => (i < a.length ? a[i] : (defaults[j] ?? null))));
}

function sortArrayOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['input', 'sortBy']);
  const input = evaluate(spec.input, scope);
  if (isNullish(input)) return null;
  if (!Array.isArray(input)) throw mongoError('Location2942504', `The input argument to $sortArray must be an array, but was of type: ${typeName(input)}`);
  const comparator = elementComparator(spec.sortBy, scope);
  return [...input].sort(comparator);
}

function elementComparator(sortBy: unknown, scope: Scope): (a: unknown, b: unknown) => number {
  if (sortBy === 1 || sortBy === -1) return (a, b) => (sortBy as number) * compareAgg(a, b, scope.collator);
  if (!isDocument(sortBy) || Object.keys(sortBy).length === 0) {
    throw mongoError('Location2942505', '$sortArray: sortBy must be either 1, -1, or a non-empty object');
  }
  const keys = Object.entries(sortBy).map(([path, direction]) => {
    if (direction !== 1 && direction !== -1) throw mongoError('Location2942505', '$sortArray: sort directions must be 1 or -1');
    return { parts: parseFieldPath(path), direction };
  });
  return (a, b) => {
    for (const { parts, direction } of keys) {
      const order = compareAgg(readFieldPath(a, parts), readFieldPath(b, parts), scope.collator);
      if (order !== 0) return direction * order;
    }
    return 0;
  };
}

export const arrayOperators: Record<string, OperatorFn> = {
  $size: sizeOperator,
  $isArray: isArrayOperator,
  $arrayElemAt: arrayElemAtOperator,
  $first: endElementOperator('first'),
  $last: endElementOperator('last'),
  $concatArrays: concatArraysOperator,
  $slice: sliceOperator,
  $reverseArray: reverseArrayOperator,
  $in: inOperator,
  $indexOfArray: indexOfArrayOperator,
  $range: rangeOperator,
  $filter: filterOperator,
  $map: mapOperator,
  $reduce: reduceOperator,
  $setUnion: setUnionOperator,
  $setIntersection: setIntersectionOperator,
  $setDifference: setDifferenceOperator,
  $setIsSubset: setIsSubsetOperator,
  $setEquals: setEqualsOperator,
  $anyElementTrue: elementTruthOperator('any'),
  $allElementsTrue: elementTruthOperator('all'),
  $objectToArray: objectToArrayOperator,
  $arrayToObject: arrayToObjectOperator,
  $mergeObjects: mergeObjectsOperator,
  $zip: zipOperator,
  $sortArray: sortArrayOperator,
};
