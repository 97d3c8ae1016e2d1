/**
 * The core of the expression language: the evaluation scope, field paths, variables and the operator registry.
 * Operator groups live in `operators/` and register themselves through `expressions.ts`.
 */
import { defineField } from '../bson/fields';
import { Timestamp } from 'bson';
import { mongoError, type ErrorCodeName } from '../errors';
import type { Collator } from '../types';
import { readFieldPath } from '../query/paths';
import { checkMetaName } from '../text/metadata';
import { isDocument } from './values';

export { readFieldPath };

export interface Scope {
  /** `$$ROOT` */
  readonly root: unknown;
  /** `$$CURRENT`: what plain field paths (`$a.b`) read from. */
  readonly current: unknown;
  readonly vars: ReadonlyMap<string, unknown>;
  /** `$$NOW`: one instant for the whole command. */
  readonly now: Date;
  readonly collator?: Collator;
  /** `{$meta: 'textScore'}` of `$$ROOT`, when a `$text` search returned it. */
  readonly textScore?: number;
}

/** Receives its arguments unevaluated, so it can short-circuit or bind variables. */
export type OperatorFn = (args: unknown, scope: Scope, name: string) => unknown;

const operators = new Map<string, OperatorFn>();

export function registerOperators(group: Record<string, OperatorFn>): void {
  for (const [name, fn] of Object.entries(group)) operators.set(name, fn);
}

export function createScope(
  root: unknown,
  options: { vars?: Record<string, unknown> | ReadonlyMap<string, unknown>; now?: Date; collator?: Collator; textScore?: number } = {},
): Scope {
  const vars = options.vars instanceof Map ? options.vars : new Map(Object.entries(options.vars ?? {}));
  return { root, current: root, vars, now: options.now ?? new Date(), collator: options.collator, textScore: options.textScore };
}

export function withVars(scope: Scope, bindings: Record<string, unknown>): Scope {
  const vars = new Map(scope.vars);
  for (const [name, value] of Object.entries(bindings)) vars.set(name, value);
  return { ...scope, vars };
}

export function evaluate(expr: unknown, scope: Scope): unknown {
  if (typeof expr === 'string') {
    if (expr.startsWith('$$')) return readVariablePath(expr.slice(2), scope);
    if (expr.startsWith('$')) return readFieldPath(scope.current, cachedFieldPath(expr.slice(1)));
    return expr;
  }
  if (Array.isArray(expr)) return expr.map((element) => nullIfMissing(evaluate(element, scope)));
  if (isDocument(expr)) return evaluateObject(expr, scope);
  return expr;
}

/** An array literal keeps its length: a missing element becomes null. */
function nullIfMissing(value: unknown): unknown {
  return value === undefined ? null : value;
}

function evaluateObject(expr: Record<string, unknown>, scope: Scope): unknown {
  const keys = Object.keys(expr);
  if (isOperatorExpression(keys)) return operatorNamed(keys[0])(expr[keys[0]], scope, keys[0]);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    checkFieldName(key);
    if (key.includes('.')) throw mongoError('Location16412', `FieldPath field names may not contain '.'. Consider using $getField or $setField.`);
    const value = evaluate(expr[key], scope);
    if (value !== undefined) defineField(out, key, value);
  }
  return out;
}

/** True for `{$op: args}`; an object whose first field starts with `$` must have that one field only. */
function isOperatorExpression(keys: string[]): boolean {
  if (keys.length === 0 || !keys[0].startsWith('$')) return false;
  if (keys.length !== 1) {
    throw mongoError('Location15983', `an expression specification must contain exactly one field, the name of the expression. Found ${keys.length} fields in ${JSON.stringify(keys)}`);
  }
  return true;
}

function operatorNamed(name: string): OperatorFn {
  const fn = operators.get(name);
  if (!fn) throw mongoError('InvalidPipelineOperator', `Unrecognized expression '${name}'`);
  return fn;
}

export function checkFieldName(name: string): void {
  if (name.startsWith('$')) throw mongoError('Location16410', `FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
  if (name === '') throw mongoError('Location15998', 'FieldPath field names may not be empty strings.');
}

const parsedPaths = new Map<string, readonly string[]>();

/** Parses (and remembers) a field path; expressions are evaluated once per document, paths repeat endlessly. */
function cachedFieldPath(path: string): readonly string[] {
  let parts = parsedPaths.get(path);
  if (!parts) {
    parts = parseFieldPath(path);
    if (parsedPaths.size > 10000) parsedPaths.clear();
    parsedPaths.set(path, parts);
  }
  return parts;
}

export function parseFieldPath(path: string): string[] {
  if (path === '') throw mongoError('Location16872', "'$' by itself is not a valid FieldPath");
  const parts = path.split('.');
  for (const part of parts) {
    if (part === '') throw mongoError('Location15998', 'FieldPath field names may not be empty strings.');
    if (part.startsWith('$')) throw mongoError('Location16410', `FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
  }
  return parts;
}

function readVariablePath(path: string, scope: Scope): unknown {
  const [name, ...rest] = path.split('.');
  const value = readVariable(name, scope);
  if (rest.length === 0) return value;
  return readFieldPath(value, cachedFieldPath(rest.join('.')));
}

export function readVariable(name: string, scope: Scope): unknown {
  switch (name) {
    case 'ROOT':
      return scope.root;
    case 'CURRENT':
      return scope.current;
    case 'REMOVE':
      return undefined;
    case 'NOW':
      return scope.now;
    case 'CLUSTER_TIME':
      return Timestamp.fromBits(0, Math.floor(scope.now.getTime() / 1000));
    default:
      if (scope.vars.has(name)) return scope.vars.get(name);
      throw mongoError('Location17276', `Use of undefined variable: ${name}`);
  }
}

/** User variable names must start with a lowercase letter or a non-ASCII character (MongoDB's rule). */
export function checkVariableName(name: string): void {
  if (!/^([a-z]|[^\x00-\x7F])[A-Za-z0-9_\u0080-\uFFFF]*$/.test(name)) {
    throw mongoError('Location16867', `'${name}' starts with an invalid character for a user variable name`);
  }
}

/** Every `$operator` name inside `expr` must exist; checked when a stage is parsed so empty inputs still fail. */
export function checkExpression(expr: unknown): void {
  if (Array.isArray(expr)) {
    expr.forEach(checkExpression);
    return;
  }
  if (!isDocument(expr)) return;
  const keys = Object.keys(expr);
  if (isOperatorExpression(keys)) {
    operatorNamed(keys[0]);
    if (keys[0] === '$literal') return;
    if (keys[0] === '$meta') checkMetaName(expr.$meta);
  }
  for (const key of keys) checkExpression(expr[key]);
}

/** Evaluates an operator's operand list: an array gives its elements, anything else is a single operand. */
export function evaluateArgs(args: unknown, scope: Scope): unknown[] {
  if (Array.isArray(args)) return args.map((arg) => evaluate(arg, scope));
  return [evaluate(args, scope)];
}

export function argList(args: unknown): unknown[] {
  return Array.isArray(args) ? args : [args];
}

/** Checks the operand count, with MongoDB's message for a wrong number of arguments. */
export function expectArgCount(name: string, args: unknown, min: number, max = min): unknown[] {
  const list = argList(args);
  if (list.length < min || list.length > max) {
    const wanted = min === max ? `exactly ${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw mongoError('Location16020', `Expression ${name} takes ${wanted} arguments. ${list.length} were passed in.`);
  }
  return list;
}

export function evaluateFixedArgs(name: string, args: unknown, scope: Scope, min: number, max = min): unknown[] {
  return expectArgCount(name, args, min, max).map((arg) => evaluate(arg, scope));
}

export interface SpecCodes {
  object?: ErrorCodeName;
  unknown?: ErrorCodeName;
  missing?: ErrorCodeName | Partial<Record<string, ErrorCodeName>>;
}

/** Reads an object-form operator spec, rejecting unknown fields and missing required ones (with the operator's codes). */
export function readSpec(
  name: string,
  args: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
  codes: SpecCodes = {},
): Record<string, unknown> {
  if (!isDocument(args)) throw mongoError(codes.object ?? 'FailedToParse', `${name} only supports an object as its argument`);
  const allowed = new Set([...required, ...optional]);
  for (const key of Object.keys(args)) {
    if (!allowed.has(key)) throw mongoError(codes.unknown ?? 'FailedToParse', `Unrecognized argument to ${name}: ${key}`);
  }
  for (const key of required) {
    if (key in args) continue;
    const code = typeof codes.missing === 'string' ? codes.missing : codes.missing?.[key];
    throw mongoError(code ?? 'FailedToParse', `Missing '${key}' parameter to ${name}`);
  }
  return args;
}
