/**
 * `$merge`: parsing and validation as mongod 7 does them, in its order (the stage's own fields and modes, then the
 * target's unique index and the transaction through `ctx.prepareMerge`, then the target namespace and `let`).
 * The writing itself is the command layer's (commands/merge.ts); the stage outputs nothing.
 */
import { mongoError } from '../../errors';
import type { Document } from '../../types';
import { checkExpression, checkVariableName, parseFieldPath } from '../evaluate';
import { isDocument, typeName } from '../values';
import type { MergeSpec, PipelineContext, Stage } from './types';

const SPEC_FIELDS = new Set(['into', 'on', 'let', 'whenMatched', 'whenNotMatched']);
const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);
/** The whenMatched / whenNotMatched pairs mongod has a strategy for. */
const SUPPORTED_MODES = new Set([
  'replace/insert', 'replace/fail', 'replace/discard', 'merge/insert', 'merge/fail', 'merge/discard',
  'keepExisting/insert', 'fail/insert', 'pipeline/insert', 'pipeline/fail', 'pipeline/discard',
]);
const INTERNAL_DATABASES = new Set(['admin', 'local', 'config']);
const INVALID_DB_NAME = /[/\\. "$*<>:|?\0]/;

export function compileMerge(raw: unknown, ctx: PipelineContext): Stage {
  const spec = parseMergeSpec(raw, ctx.db);
  if (!ctx.prepareMerge) throw mongoError('InternalError', '$merge has no target to write to here');
  const write = ctx.prepareMerge(spec);
  if (spec.coll.startsWith('system.')) throw mongoError('Location31319', `Cannot $merge to special collection: ${spec.coll}`);
  if (INTERNAL_DATABASES.has(spec.db)) throw mongoError('Location31320', `Cannot $merge to internal database: ${spec.db}`);
  return async (docs) => {
    await write(docs);
    return [];
  };
}

export function parseMergeSpec(raw: unknown, defaultDb: string): MergeSpec {
  if (typeof raw === 'string') return withTarget(raw === '' ? { db: defaultDb, coll: '' } : { db: defaultDb, coll: raw }, {});
  if (!isDocument(raw)) throw mongoError('TypeMismatch', `$merge requires a string or object argument, but found ${typeName(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!SPEC_FIELDS.has(key)) throw mongoError('Location40415', `BSON field '$merge.${key}' is an unknown field.`);
  }
  if (raw.into === undefined) throw mongoError('Location40414', "BSON field '$merge.into' is missing but a required field");
  return withTarget(parseInto(raw.into, defaultDb), raw);
}

function withTarget(target: { db: string; coll: string }, raw: Document): MergeSpec {
  const on = raw.on === undefined ? undefined : parseOn(raw.on);
  if (raw.let !== undefined && !isDocument(raw.let)) {
    throw mongoError('TypeMismatch', `BSON field '$merge.let' is the wrong type '${typeName(raw.let)}', expected type 'object'`);
  }
  const { whenMatched, pipeline } = parseWhenMatched(raw.whenMatched);
  const whenNotMatched = parseWhenNotMatched(raw.whenNotMatched);
  if (INVALID_DB_NAME.test(target.db) || target.db.length > 63 || target.coll === '') {
    throw mongoError('InvalidNamespace', `Invalid $merge target namespace: '${target.db}.${target.coll}'`);
  }
  if (!SUPPORTED_MODES.has(`${whenMatched}/${whenNotMatched}`)) {
    throw mongoError('Location51181', `Combination of $merge modes 'whenMatched: ${whenMatched}' and 'whenNotMatched: ${whenNotMatched}' is not supported`);
  }
  const fields = on ?? ['_id'];
  fields.forEach((field, i) => {
    if (fields.indexOf(field) !== i) throw mongoError('Location31465', `Found a duplicate field '${field}'`);
  });
  return { ...target, on: fields, onGiven: on !== undefined, whenMatched, pipeline, whenNotMatched, let: parseLet(raw.let as Document | undefined, whenMatched, whenNotMatched) };
}

function parseInto(into: unknown, defaultDb: string): { db: string; coll: string } {
  if (typeof into === 'string') {
    if (into === '') throw mongoError('Location5786800', "$merge 'into' field cannot be an empty string");
    return { db: defaultDb, coll: into };
  }
  if (!isDocument(into)) throw mongoError('Location51178', `$merge 'into' field  must be either a string or an object, but found ${typeName(into)}`);
  for (const [key, value] of Object.entries(into)) {
    if (key !== 'db' && key !== 'coll') throw mongoError('Location40415', `BSON field 'into.${key}' is an unknown field.`);
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw mongoError('TypeMismatch', `BSON field 'into.${key}' is the wrong type '${typeName(value)}', expected type 'string'`);
    }
  }
  if (typeof into.coll !== 'string' || into.coll === '') {
    throw mongoError('Location5786801', "$merge 'into' field must specify a 'coll' that is not empty, null or undefined");
  }
  return { db: typeof into.db === 'string' && into.db !== '' ? into.db : defaultDb, coll: into.coll };
}

function parseOn(on: unknown): string[] {
  let fields: string[];
  if (typeof on === 'string') fields = [on];
  else if (Array.isArray(on)) {
    fields = on.map((field) => {
      if (typeof field !== 'string') throw mongoError('Location51134', `$merge 'on' array elements must be strings, but found ${typeName(field)}`);
      return field;
    });
  } else {
    throw mongoError('Location51186', `$merge 'on' field  must be either a string or an array of strings, but found ${typeName(on)}`);
  }
  if (fields.length === 0) throw mongoError('Location51187', "If explicitly specifying $merge 'on', must include at least one field");
  for (const field of fields) {
    if (field === '') throw mongoError('Location40352', 'FieldPath cannot be constructed with empty string');
    parseFieldPath(field);
  }
  return fields;
}

function parseWhenMatched(value: unknown): { whenMatched: MergeSpec['whenMatched']; pipeline?: Document[] } {
  if (value === undefined) return { whenMatched: 'merge' };
  if (Array.isArray(value)) {
    if (!value.every(isDocument)) throw mongoError('TypeMismatch', "Each element of the 'pipeline' array must be an object");
    return { whenMatched: 'pipeline', pipeline: value };
  }
  if (typeof value !== 'string') throw mongoError('Location51191', `$merge 'whenMatched' field  must be either a string or an array, but found ${typeName(value)}`);
  if (!WHEN_MATCHED.has(value)) throw mongoError('BadValue', `Enumeration value '${value}' for field 'whenMatched' is not a valid value.`);
  return { whenMatched: value as MergeSpec['whenMatched'] };
}

function parseWhenNotMatched(value: unknown): MergeSpec['whenNotMatched'] {
  if (value === undefined) return 'insert';
  if (typeof value !== 'string') {
    throw mongoError('TypeMismatch', `BSON field '$merge.whenNotMatched' is the wrong type '${typeName(value)}', expected type 'string'`);
  }
  if (!WHEN_NOT_MATCHED.has(value)) throw mongoError('BadValue', `Enumeration value '${value}' for field '$merge.whenNotMatched' is not a valid value.`);
  return value as MergeSpec['whenNotMatched'];
}

/** `let` is for a pipeline `whenMatched` only; `new` is always the source document and is added for inserts. */
function parseLet(spec: Document | undefined, whenMatched: MergeSpec['whenMatched'], whenNotMatched: MergeSpec['whenNotMatched']): Document | undefined {
  if (whenMatched !== 'pipeline') {
    if (spec !== undefined) throw mongoError('Location51199', `Cannot use 'let' variables with 'whenMatched: ${whenMatched}' mode`);
    return undefined;
  }
  const variables = spec ?? { new: '$$ROOT' };
  if ('new' in variables && variables.new !== '$$ROOT') {
    throw mongoError('Location51273', "'let' may not define a value for the reserved 'new' variable other than '$$ROOT'");
  }
  for (const [name, expr] of Object.entries(variables)) {
    checkVariableName(name);
    checkExpression(expr);
  }
  return 'new' in variables || whenNotMatched !== 'insert' ? variables : { ...variables, new: '$$ROOT' };
}
