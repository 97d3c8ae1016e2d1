/** Comparison, boolean and conditional operators, plus $let, $literal and $getField. */
import { mongoError } from '../../errors';
import {
  checkVariableName,
  evaluate,
  evaluateFixedArgs,
  expectArgCount,
  readSpec,
  withVars,
  type OperatorFn,
  type Scope,
} from '../evaluate';
import { compareAgg, hasOwn, isDocument, isNullish, toBool, typeName } from '../values';

function comparison(test: (order: number) => boolean): OperatorFn {
  return (args, scope, name) => {
    const [a, b] = evaluateFixedArgs(name, args, scope, 2);
    return test(compareAgg(a, b, scope.collator));
  };
}

function cmpOperator(args: unknown, scope: Scope, name: string): unknown {
  const [a, b] = evaluateFixedArgs(name, args, scope, 2);
  return Math.sign(compareAgg(a, b, scope.collator));
}

function andOperator(args: unknown, scope: Scope): unknown {
  const list = Array.isArray(args) ? args : [args];
  return list.every((arg) => toBool(evaluate(arg, scope)));
}

function orOperator(args: unknown, scope: Scope): unknown {
  const list = Array.isArray(args) ? args : [args];
  return list.some((arg) => toBool(evaluate(arg, scope)));
}

function notOperator(args: unknown, scope: Scope, name: string): unknown {
  const [v] = evaluateFixedArgs(name, args, scope, 1);
  return !toBool(v);
}

function condOperator(args: unknown, scope: Scope, name: string): unknown {
  let branches: [unknown, unknown, unknown];
  if (isDocument(args)) {
    for (const key of Object.keys(args)) {
      if (key !== 'if' && key !== 'then' && key !== 'else') throw mongoError('Location17083', `Unrecognized parameter to $cond: ${key}`);
    }
    if (!hasOwn(args, 'if')) throw mongoError('Location17080', "Missing 'if' parameter to $cond");
    if (!hasOwn(args, 'then')) throw mongoError('Location17081', "Missing 'then' parameter to $cond");
    if (!hasOwn(args, 'else')) throw mongoError('Location17082', "Missing 'else' parameter to $cond");
    branches = [args.if, args.then, args.else];
  } else {
    const list = expectArgCount(name, args, 3);
    branches = [list[0], list[1], list[2]];
  }
  return toBool(evaluate(branches[0], scope)) ? evaluate(branches[1], scope) : evaluate(branches[2], scope);
}

function ifNullOperator(args: unknown, scope: Scope, name: string): unknown {
  const list = expectArgCount(name, args, 2, Infinity);
  for (let i = 0; i < list.length - 1; i++) {
    const value = evaluate(list[i], scope);
    if (!isNullish(value)) return value;
  }
  return evaluate(list[list.length - 1], scope);
}

function switchOperator(args: unknown, scope: Scope): unknown {
  if (!isDocument(args)) throw mongoError('Location40060', '$switch requires an object as an argument');
  for (const key of Object.keys(args)) {
    if (key !== 'branches' && key !== 'default') throw mongoError('Location40067', `$switch found an unknown argument: ${key}`);
  }
  const branches = args.branches;
  if (!Array.isArray(branches)) throw mongoError('Location40061', "$switch expected an array for 'branches'");
  if (branches.length === 0) throw mongoError('Location40068', '$switch requires at least one branch.');
  for (const branch of branches) {
    if (!isDocument(branch)) throw mongoError('Location40062', `$switch expected each branch to be an object`);
    if (!hasOwn(branch, 'case')) throw mongoError('Location40064', "$switch requires each branch have a 'case' expression");
    if (!hasOwn(branch, 'then')) throw mongoError('Location40065', "$switch requires each branch have a 'then' expression.");
    for (const key of Object.keys(branch)) {
      if (key !== 'case' && key !== 'then') throw mongoError('Location40063', `$switch found an unknown argument to a branch: ${key}`);
    }
  }
  for (const branch of branches as Record<string, unknown>[]) {
    if (toBool(evaluate(branch.case, scope))) return evaluate(branch.then, scope);
  }
  if (!hasOwn(args, 'default')) {
    throw mongoError('Location40066', '$switch could not find a matching branch for an input, and no default was specified.');
  }
  return evaluate(args.default, scope);
}

function letOperator(args: unknown, scope: Scope): unknown {
  const spec = readSpec('$let', args, ['vars', 'in'], [], { object: 'Location16874', unknown: 'Location16875', missing: { vars: 'Location16876', in: 'Location16877' } });
  if (!isDocument(spec.vars)) throw mongoError('FailedToParse', '$let: vars must be an object');
  const bindings: Record<string, unknown> = {};
  for (const [name, expr] of Object.entries(spec.vars)) {
    checkVariableName(name);
    bindings[name] = evaluate(expr, scope);
  }
  return evaluate(spec.in, withVars(scope, bindings));
}

function getFieldOperator(args: unknown, scope: Scope): unknown {
  const spec = isDocument(args) ? readSpec('$getField', args, ['field'], ['input'], { unknown: 'Location3041701', missing: 'Location3041702' }) : { field: args };
  const field = evaluate(spec.field, scope);
  if (typeof field !== 'string') {
    throw mongoError('Location3041704', `$getField requires 'field' to evaluate to type String, but got ${typeName(field)}`);
  }
  const input = hasOwn(spec, 'input') ? evaluate(spec.input, scope) : scope.current;
  if (isNullish(input)) return input === null ? null : undefined;
  if (!isDocument(input)) {
    throw mongoError('Location3041705', `$getField requires 'input' to evaluate to type Object, but got ${typeName(input)}`);
  }
  return hasOwn(input, field) ? input[field] : undefined;
}

export const logicOperators: Record<string, OperatorFn> = {
  $eq: comparison((o) => o === 0),
  $ne: comparison((o) => o !== 0),
  $gt: comparison((o) => o > 0),
  $gte: comparison((o) => o >= 0),
  $lt: comparison((o) => o < 0),
  $lte: comparison((o) => o <= 0),
  $cmp: cmpOperator,
  $and: andOperator,
  $or: orOperator,
  $not: notOperator,
  $cond: condOperator,
  $ifNull: ifNullOperator,
  $switch: switchOperator,
  $let: letOperator,
  $literal: (args) => args,
  $getField: getFieldOperator,
};
