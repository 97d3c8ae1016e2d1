/** $group and the stages defined through it: $bucket and $sortByCount. */
import { mongoError } from '../../errors';
import type { Collator, Document } from '../../types';
import { accumulatorFor, type Accumulator, type AccumulatorFactory } from '../accumulators';
import { checkNAccumulatorSpec, nAccumulators } from '../accumulators-n';
import { checkExpression, evaluate } from '../evaluate';
import { bsonType } from '../../bson/compare';
import { compareAgg, equalsAgg, isDocument, isNumericValue, toDouble, valueKey } from '../values';
import { documentScope } from './scope';
import type { PipelineContext, Stage } from './types';

interface AccumulatorSpec {
  field: string;
  factory: AccumulatorFactory;
  expr: unknown;
}

interface Group {
  id: unknown;
  accumulators: Accumulator[];
}

function parseAccumulator(field: string, value: unknown): AccumulatorSpec {
  if (field.includes('.')) throw mongoError('Location40235', `The field name '${field}' cannot contain '.'`);
  if (field.startsWith('$')) throw mongoError('Location40236', `The field name '${field}' cannot be an operator name`);
  if (!isDocument(value)) throw mongoError('Location40234', `The field '${field}' must be an accumulator object`);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw mongoError('Location40238', `The field '${field}' must specify one accumulator`);
  const name = keys[0];
  const factory = accumulatorFor(name);
  const expr = value[name];
  if (name in nAccumulators) {
    checkNAccumulatorSpec(name, expr);
    checkExpression(expr);
  } else if (name === '$count') {
    if (!isDocument(expr) || Object.keys(expr).length > 0) throw mongoError('Location5961700', '$count expects an empty object as its argument');
  } else {
    checkExpression(expr);
  }
  return { field, factory, expr };
}

/** Groups documents by `idExpr` (missing counts as null) in first-seen order. */
class Groups {
  private readonly byKey = new Map<string, Group>();
  private readonly list: Group[] = [];

  constructor(
    private readonly specs: AccumulatorSpec[],
    private readonly collator: Collator | undefined,
  ) {}

  groupFor(id: unknown): Group {
    const key = valueKey(id);
    let group = this.collator ? this.list.find((g) => equalsAgg(g.id, id, this.collator)) : this.byKey.get(key);
    if (!group) {
      group = { id, accumulators: this.specs.map((s) => s.factory(this.collator)) };
      this.byKey.set(key, group);
      this.list.push(group);
    }
    return group;
  }

  results(): Document[] {
    return this.list.map((group) => {
      const out: Document = { _id: group.id };
      this.specs.forEach((spec, i) => {
        out[spec.field] = group.accumulators[i].result();
      });
      return out;
    });
  }
}

function runGroups(docs: Document[], ctx: PipelineContext, idOf: (doc: Document) => unknown, specs: AccumulatorSpec[]): Document[] {
  const groups = new Groups(specs, ctx.collator);
  for (const doc of docs) {
    const scope = documentScope(doc, ctx);
    const id = idOf(doc);
    const group = groups.groupFor(id === undefined ? null : id);
    specs.forEach((spec, i) => {
      group.accumulators[i].add(evaluate(spec.expr, scope), doc);
    });
  }
  return groups.results();
}

export function compileGroup(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('Location15947', "a group's fields must be specified in an object");
  if (!('_id' in spec)) throw mongoError('Location15955', 'a group specification must include an _id');
  const idExpr = spec._id;
  checkExpression(idExpr);
  const specs = Object.entries(spec)
    .filter(([field]) => field !== '_id')
    .map(([field, value]) => parseAccumulator(field, value));
  return (docs) => runGroups(docs, ctx, (doc) => evaluate(idExpr, documentScope(doc, ctx)), specs);
}

function isGroupKeyExpression(v: unknown): boolean {
  return (typeof v === 'string' && v.startsWith('$')) || (isDocument(v) && Object.keys(v).length === 1 && Object.keys(v)[0].startsWith('$'));
}

export function compileSortByCount(spec: unknown, ctx: PipelineContext): Stage {
  if (typeof spec === 'string' && !spec.startsWith('$')) {
    throw mongoError('Location40148', "the sortByCount field must be defined as a $-prefixed path or an expression");
  }
  if (typeof spec !== 'string' && !isDocument(spec)) {
    throw mongoError('Location40149', 'the sortByCount field must be specified as a string or as an object');
  }
  if (!isGroupKeyExpression(spec)) {
    throw mongoError('Location40147', 'the sortByCount field must be defined as a $-prefixed path or an expression inside an object');
  }
  checkExpression(spec);
  const specs = [parseAccumulator('count', { $sum: 1 })];
  return (docs) => {
    const groups = runGroups(docs, ctx, (doc) => evaluate(spec, documentScope(doc, ctx)), specs);
    return groups.sort((a, b) => compareAgg(b.count, a.count));
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $bucket

const BUCKET_FIELDS = new Set(['groupBy', 'boundaries', 'default', 'output']);

/** Numbers of every kind share one canonical type for the "same type" rule on boundaries. */
function canonicalType(v: unknown): string {
  const type = bsonType(v);
  return type === 'int' || type === 'long' || type === 'double' || type === 'decimal' ? 'number' : type;
}

function parseBoundaries(value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length < 2) {
    throw mongoError('Location40192', `The $bucket 'boundaries' field must be an array of at least two values, but found: ${JSON.stringify(value)}`);
  }
  for (let i = 1; i < value.length; i++) {
    if (canonicalType(value[i]) !== canonicalType(value[0])) {
      throw mongoError('Location40193', `All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types ${bsonType(value[0])} and ${bsonType(value[i])}.`);
    }
    if (compareAgg(value[i - 1], value[i]) >= 0) {
      throw mongoError('Location40194', "The 'boundaries' option to $bucket must be sorted in ascending order, but elements " + `${i - 1} and ${i} are not in ascending order`);
    }
  }
  return value;
}

export function compileBucket(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('Location40201', `Argument to $bucket stage must be an object, but found type: ${bsonType(spec)}.`);
  for (const key of Object.keys(spec)) {
    if (!BUCKET_FIELDS.has(key)) throw mongoError('Location40197', `Unrecognized option to $bucket: ${key}.`);
  }
  if (!('groupBy' in spec) || !('boundaries' in spec)) {
    throw mongoError('Location40198', "$bucket requires 'groupBy' and 'boundaries' to be specified.");
  }
  if (!isGroupKeyExpression(spec.groupBy)) {
    throw mongoError('Location40202', `The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: ${JSON.stringify(spec.groupBy)}.`);
  }
  checkExpression(spec.groupBy);
  const boundaries = parseBoundaries(spec.boundaries);
  const hasDefault = 'default' in spec;
  const defaultId = spec.default;
  if (hasDefault && compareAgg(defaultId, boundaries[0]) >= 0 && compareAgg(defaultId, boundaries[boundaries.length - 1]) < 0 && canonicalType(defaultId) === canonicalType(boundaries[0])) {
    throw mongoError('Location40199', "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.");
  }
  const output = spec.output === undefined ? { count: { $sum: 1 } } : spec.output;
  if (!isDocument(output)) throw mongoError('Location40196', "The $bucket 'output' field must be an object");
  const specs = Object.entries(output).map(([field, value]) => parseAccumulator(field, value));
  const bucketOf = (doc: Document): unknown => {
    const value = evaluate(spec.groupBy, documentScope(doc, ctx));
    for (let i = 0; i < boundaries.length - 1; i++) {
      if (compareAgg(value, boundaries[i]) >= 0 && compareAgg(value, boundaries[i + 1]) < 0) return boundaries[i];
    }
    if (hasDefault) return defaultId;
    throw mongoError('Location40066', '$switch could not find a matching branch for an input, and no default was specified.');
  };
  return (docs) => runGroups(docs, ctx, bucketOf, specs).sort((a, b) => compareAgg(a._id, b._id));
}

// ---------------------------------------------------------------------------------------------------------------
// $bucketAuto

const BUCKET_AUTO_FIELDS = new Set(['groupBy', 'buckets', 'output', 'granularity']);

interface AutoBucket {
  min: unknown;
  max: unknown;
  docs: Document[];
}

/** Splits sorted values into about `count` buckets of similar size without splitting runs of equal values. */
function autoBuckets(entries: { value: unknown; doc: Document }[], count: number): AutoBucket[] {
  const approxSize = Math.max(1, Math.round(entries.length / count));
  const buckets: AutoBucket[] = [];
  let i = 0;
  while (i < entries.length) {
    const bucket: AutoBucket = { min: entries[i].value, max: entries[i].value, docs: [] };
    const isLast = buckets.length === count - 1;
    while (i < entries.length && (isLast || bucket.docs.length < approxSize || compareAgg(entries[i].value, bucket.max) === 0)) {
      bucket.docs.push(entries[i].doc);
      bucket.max = entries[i].value;
      i++;
    }
    buckets.push(bucket);
  }
  // A bucket's upper bound is the next bucket's lower bound (exclusive), except for the last one.
  for (let b = 0; b < buckets.length - 1; b++) buckets[b].max = buckets[b + 1].min;
  return buckets;
}

export function compileBucketAuto(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('Location40240', `The argument to $bucketAuto must be an object, but found type: ${bsonType(spec)}.`);
  for (const key of Object.keys(spec)) {
    if (!BUCKET_AUTO_FIELDS.has(key)) throw mongoError('Location40245', `Unrecognized option to $bucketAuto: ${key}.`);
  }
  if (!('groupBy' in spec) || !('buckets' in spec)) throw mongoError('Location40246', "$bucketAuto requires 'groupBy' and 'buckets' to be specified");
  if (!isGroupKeyExpression(spec.groupBy)) {
    throw mongoError('Location40239', `The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, but found: ${JSON.stringify(spec.groupBy)}.`);
  }
  checkExpression(spec.groupBy);
  const buckets = spec.buckets;
  if (!isNumericValue(buckets)) throw mongoError('Location40241', `The $bucketAuto 'buckets' field must be a numeric value, but found type: ${bsonType(buckets)}.`);
  const count = toDouble(buckets);
  if (!Number.isInteger(count) || count > 2147483647) throw mongoError('Location40242', `The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found ${count}.`);
  if (count <= 0) throw mongoError('Location40243', `The $bucketAuto 'buckets' field must be greater than 0, but found: ${count}.`);
  if (spec.granularity !== undefined) {
    throw mongoError('NotImplemented', "$bucketAuto 'granularity' (preferred number series) is not supported by the embedded server");
  }
  const output = spec.output === undefined ? { count: { $sum: 1 } } : spec.output;
  if (!isDocument(output)) throw mongoError('Location40244', "The $bucketAuto 'output' field must be an object");
  const specs = Object.entries(output).map(([field, value]) => parseAccumulator(field, value));
  return (docs) => {
    const entries = docs.map((doc) => {
      const value = evaluate(spec.groupBy, documentScope(doc, ctx));
      return { value: value === undefined ? null : value, doc };
    });
    entries.sort((a, b) => compareAgg(a.value, b.value, ctx.collator));
    return autoBuckets(entries, count).map((bucket) => {
      const [result] = runGroups(bucket.docs, ctx, () => null, specs);
      return { ...result, _id: { min: bucket.min, max: bucket.max } };
    });
  };
}
