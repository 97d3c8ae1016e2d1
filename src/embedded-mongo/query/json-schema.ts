/**
 * `$jsonSchema` (MongoDB's draft-4 subset plus `bsonType`), as collection validators and queries use it.
 * Keywords MongoDB rejects (`$ref`, `default`, `definitions`, `format`, `id`) are rejected; numbers compare by
 * exact BSON value; `type: 'integer'` is not supported by MongoDB and is rejected as there.
 */
import { mongoError } from '../errors';
import { compareValues, isNumeric } from '../bson/compare';
import { isPlainDocument } from './paths';
import { compileRegex } from './regex';
import { hasTypeCode, parseTypeSpec } from './type-codes';

/** Checks a present value against a (sub)schema. */
type SchemaCheck = (value: unknown) => boolean;

function badValue(message: string): never {
  throw mongoError('FailedToParse', message);
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  object: (v) => isPlainDocument(v),
  array: (v) => Array.isArray(v),
  string: (v) => typeof v === 'string',
  number: (v) => isNumeric(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
};

export function compileJsonSchema(schema: unknown): (doc: unknown) => boolean {
  if (!isPlainDocument(schema)) badValue('$jsonSchema must be an object');
  return compileNode(schema, '');
}

function compileNode(schema: Record<string, unknown>, where: string): SchemaCheck {
  const checks: SchemaCheck[] = [];
  for (const [keyword, arg] of Object.entries(schema)) {
    const check = compileKeyword(keyword, arg, schema, where);
    if (check) checks.push(check);
  }
  return (value) => checks.every((c) => c(value));
}

function subSchema(arg: unknown, keyword: string, where: string): SchemaCheck {
  if (!isPlainDocument(arg)) badValue(`$jsonSchema keyword '${keyword}' must be an object${where}`);
  return compileNode(arg, where);
}

function subSchemas(arg: unknown, keyword: string, where: string): SchemaCheck[] {
  if (!Array.isArray(arg) || arg.length === 0) badValue(`$jsonSchema keyword '${keyword}' must be a nonempty array`);
  return arg.map((s) => subSchema(s, keyword, where));
}

function nonNegativeInteger(arg: unknown, keyword: string): number {
  const n = Number(arg);
  if (!isNumeric(arg) || !Number.isInteger(n) || n < 0) badValue(`$jsonSchema keyword '${keyword}' must be a non-negative integer`);
  return n;
}

function typeCheck(keyword: string, arg: unknown): SchemaCheck {
  const names = Array.isArray(arg) ? arg : [arg];
  if (names.length === 0) badValue(`$jsonSchema keyword '${keyword}' must name at least one type`);
  const tests = names.map((name): SchemaCheck => {
    if (typeof name !== 'string') badValue(`$jsonSchema keyword '${keyword}' must be a string or an array of strings`);
    if (keyword === 'type') {
      const test = JSON_TYPES[name];
      if (!test) badValue(`Unknown type name alias: ${name}`);
      return test;
    }
    const codes = parseTypeSpec(name);
    return (v) => hasTypeCode(v, codes);
  });
  return (v) => tests.some((t) => t(v));
}

function propertiesCheck(arg: unknown, where: string): SchemaCheck {
  if (!isPlainDocument(arg)) badValue("$jsonSchema keyword 'properties' must be an object");
  const props = Object.entries(arg).map(([name, sub]) => [name, subSchema(sub, 'properties', `${where}.${name}`)] as const);
  return (v) => !isPlainDocument(v) || props.every(([name, check]) => !Object.prototype.hasOwnProperty.call(v, name) || check(v[name]));
}

/** `additionalProperties`: false, true, or a schema for the properties neither listed nor pattern-matched. */
function additionalPropertiesCheck(arg: unknown, schema: Record<string, unknown>, where: string): SchemaCheck | undefined {
  if (arg === true) return undefined;
  const listed = new Set(isPlainDocument(schema.properties) ? Object.keys(schema.properties) : []);
  const patterns = isPlainDocument(schema.patternProperties) ? Object.keys(schema.patternProperties).map((p) => compileRegex(p)) : [];
  const isAdditional = (key: string): boolean => !listed.has(key) && !patterns.some((p) => p.test(key));
  if (arg === false) return (v) => !isPlainDocument(v) || Object.keys(v).every((k) => !isAdditional(k));
  const check = subSchema(arg, 'additionalProperties', where);
  return (v) => !isPlainDocument(v) || Object.entries(v).every(([k, value]) => !isAdditional(k) || check(value));
}

function patternPropertiesCheck(arg: unknown, where: string): SchemaCheck {
  if (!isPlainDocument(arg)) badValue("$jsonSchema keyword 'patternProperties' must be an object");
  const rules = Object.entries(arg).map(([pattern, sub]) => [compileRegex(pattern), subSchema(sub, 'patternProperties', where)] as const);
  return (v) =>
    !isPlainDocument(v) || Object.entries(v).every(([k, value]) => rules.every(([regex, check]) => !regex.test(k) || check(value)));
}

function itemsCheck(arg: unknown, schema: Record<string, unknown>, where: string): SchemaCheck {
  if (Array.isArray(arg)) {
    const positional = arg.map((s) => subSchema(s, 'items', where));
    const additional = schema.additionalItems;
    const extra = additional === undefined || additional === true ? undefined : additional === false ? false : subSchema(additional, 'additionalItems', where);
    return (v) => {
      if (!Array.isArray(v)) return true;
      return v.every((item, i) => {
        if (i < positional.length) return positional[i](item);
        if (extra === undefined) return true;
        return extra !== false && extra(item);
      });
    };
  }
  const check = subSchema(arg, 'items', where);
  return (v) => !Array.isArray(v) || v.every((item) => check(item));
}

function boundCheck(keyword: 'minimum' | 'maximum', arg: unknown, schema: Record<string, unknown>): SchemaCheck {
  if (!isNumeric(arg)) badValue(`$jsonSchema keyword '${keyword}' must be a number`);
  const exclusive = schema[keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] === true;
  const sign = keyword === 'minimum' ? 1 : -1;
  return (v) => {
    if (!isNumeric(v)) return true;
    const c = compareValues(v, arg) * sign;
    return exclusive ? c > 0 : c >= 0;
  };
}

function lengthCheck(keyword: string, arg: unknown, measure: (v: unknown) => number | undefined): SchemaCheck {
  const limit = nonNegativeInteger(arg, keyword);
  const isMin = keyword.startsWith('min');
  return (v) => {
    const size = measure(v);
    return size === undefined || (isMin ? size >= limit : size <= limit);
  };
}

const stringLength = (v: unknown): number | undefined => (typeof v === 'string' ? [...v].length : undefined);
const arrayLength = (v: unknown): number | undefined => (Array.isArray(v) ? v.length : undefined);
const propertyCount = (v: unknown): number | undefined => (isPlainDocument(v) ? Object.keys(v).length : undefined);

function uniqueItems(v: unknown): boolean {
  if (!Array.isArray(v)) return true;
  return v.every((item, i) => v.findIndex((other) => compareValues(item, other) === 0) === i);
}

function multipleOfCheck(arg: unknown): SchemaCheck {
  if (!isNumeric(arg) || !(Number(arg) > 0)) badValue("$jsonSchema keyword 'multipleOf' must be a positive number");
  const divisor = Number(arg);
  return (v) => !isNumeric(v) || Number(v) % divisor === 0;
}

function dependenciesCheck(arg: unknown, where: string): SchemaCheck {
  if (!isPlainDocument(arg)) badValue("$jsonSchema keyword 'dependencies' must be an object");
  const rules = Object.entries(arg).map(([name, dep]): [string, SchemaCheck] => {
    if (Array.isArray(dep)) {
      if (!dep.every((f) => typeof f === 'string')) badValue("$jsonSchema 'dependencies' arrays must hold strings");
      return [name, (v) => isPlainDocument(v) && dep.every((f: string) => Object.prototype.hasOwnProperty.call(v, f))];
    }
    return [name, subSchema(dep, 'dependencies', where)];
  });
  return (v) => !isPlainDocument(v) || rules.every(([name, check]) => !Object.prototype.hasOwnProperty.call(v, name) || check(v));
}

function compileKeyword(keyword: string, arg: unknown, schema: Record<string, unknown>, where: string): SchemaCheck | undefined {
  switch (keyword) {
    case 'type':
    case 'bsonType':
      return typeCheck(keyword, arg);
    case 'required': {
      if (!Array.isArray(arg) || arg.length === 0 || !arg.every((f) => typeof f === 'string')) {
        badValue("$jsonSchema keyword 'required' must be a nonempty array of strings");
      }
      const fields = arg as string[];
      return (v) => !isPlainDocument(v) || fields.every((f) => Object.prototype.hasOwnProperty.call(v, f));
    }
    case 'properties':
      return propertiesCheck(arg, where);
    case 'patternProperties':
      return patternPropertiesCheck(arg, where);
    case 'additionalProperties':
      if (typeof arg !== 'boolean' && !isPlainDocument(arg)) badValue("$jsonSchema keyword 'additionalProperties' must be a boolean or an object");
      return additionalPropertiesCheck(arg, schema, where);
    case 'minProperties':
    case 'maxProperties':
      return lengthCheck(keyword, arg, propertyCount);
    case 'dependencies':
      return dependenciesCheck(arg, where);
    case 'enum': {
      if (!Array.isArray(arg) || arg.length === 0) badValue("$jsonSchema keyword 'enum' must be a nonempty array");
      return (v) => arg.some((item) => compareValues(v, item) === 0);
    }
    case 'minimum':
    case 'maximum':
      return boundCheck(keyword, arg, schema);
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      if (typeof arg !== 'boolean') badValue(`$jsonSchema keyword '${keyword}' must be a boolean`);
      return undefined;
    case 'multipleOf':
      return multipleOfCheck(arg);
    case 'minLength':
    case 'maxLength':
      return lengthCheck(keyword, arg, stringLength);
    case 'pattern': {
      if (typeof arg !== 'string') badValue("$jsonSchema keyword 'pattern' must be a string");
      const regex = compileRegex(arg);
      return (v) => typeof v !== 'string' || regex.test(v);
    }
    case 'items':
      return itemsCheck(arg, schema, where);
    case 'additionalItems':
      if (typeof arg !== 'boolean' && !isPlainDocument(arg)) badValue("$jsonSchema keyword 'additionalItems' must be a boolean or an object");
      return undefined;
    case 'minItems':
    case 'maxItems':
      return lengthCheck(keyword, arg, arrayLength);
    case 'uniqueItems':
      if (typeof arg !== 'boolean') badValue("$jsonSchema keyword 'uniqueItems' must be a boolean");
      return arg ? uniqueItems : undefined;
    case 'allOf': {
      const subs = subSchemas(arg, keyword, where);
      return (v) => subs.every((s) => s(v));
    }
    case 'anyOf': {
      const subs = subSchemas(arg, keyword, where);
      return (v) => subs.some((s) => s(v));
    }
    case 'oneOf': {
      const subs = subSchemas(arg, keyword, where);
      return (v) => subs.filter((s) => s(v)).length === 1;
    }
    case 'not': {
      const sub = subSchema(arg, keyword, where);
      return (v) => !sub(v);
    }
    case 'title':
    case 'description':
      if (typeof arg !== 'string') badValue(`$jsonSchema keyword '${keyword}' must be a string`);
      return undefined;
    default:
      return badValue(`Unknown $jsonSchema keyword: ${keyword}`);
  }
}
