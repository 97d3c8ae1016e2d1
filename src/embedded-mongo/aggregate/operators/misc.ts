/** $setField, $unsetField, $rand, $bsonSize, $binarySize and $meta. */
import { defineField } from '../../bson/fields';
import { calculateObjectSize } from 'bson';
import { bsonTag } from '../../bson/compare';
import { double } from '../../bson/double';
import { mongoError } from '../../errors';
import { checkMetaName } from '../../text/metadata';
import { evaluate, evaluateFixedArgs, readSpec, type OperatorFn, type Scope } from '../evaluate';
import { isDocument, isNullish, typeName } from '../values';

function fieldName(name: string, spec: Record<string, unknown>, scope: Scope): string {
  const field = evaluate(spec.field, scope);
  if (typeof field !== 'string') throw mongoError('Location4161107', `${name} requires 'field' to evaluate to type String, but got ${typeName(field)}`);
  return field;
}

function setFieldOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['field', 'input', 'value'], [], { object: 'Location4161100', unknown: 'Location4161101', missing: { field: 'Location4161102', input: 'Location4161109', value: 'Location4161103' } });
  const field = fieldName(name, spec, scope);
  const input = evaluate(spec.input, scope);
  if (isNullish(input)) return null;
  if (!isDocument(input)) throw mongoError('Location4161105', `${name} requires 'input' to evaluate to type Object`);
  const value = evaluate(spec.value, scope);
  const out = { ...input };
  if (value === undefined) delete out[field];
  else defineField(out, field, value);
  return out;
}

function unsetFieldOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['field', 'input'], [], { object: 'Location4161100', unknown: 'Location4161101', missing: { field: 'Location4161102', input: 'Location4161109' } });
  return setFieldOperator({ field: { $literal: fieldName(name, spec, scope) }, input: spec.input, value: '$$REMOVE' }, scope, name);
}

function randOperator(args: unknown): unknown {
  if (!isDocument(args) || Object.keys(args).length > 0) throw mongoError('Location3040501', '$rand does not currently accept arguments');
  return double(Math.random());
}

function bsonSizeOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(value)) return null;
  if (!isDocument(value)) throw mongoError('Location31393', `$bsonSize requires a document input, found: ${typeName(value)}`);
  return calculateObjectSize(value);
}

function binarySizeOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(value)) return null;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (bsonTag(value) === 'Binary') return (value as { length(): number }).length();
  throw mongoError('Location51276', `$binarySize requires a string or BinData argument, found: ${typeName(value)}`);
}

/** The text score of `$$ROOT` (missing when no `$text` search returned it). */
function metaOperator(args: unknown, scope: Scope): unknown {
  checkMetaName(args);
  // A text score is always a double (1.0 too).
  return scope.textScore === undefined ? undefined : double(scope.textScore);
}

export const miscOperators: Record<string, OperatorFn> = {
  $meta: metaOperator,
  $setField: setFieldOperator,
  $unsetField: unsetFieldOperator,
  $rand: randOperator,
  $bsonSize: bsonSizeOperator,
  $binarySize: binarySizeOperator,
};
