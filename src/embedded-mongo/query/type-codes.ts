/** BSON type codes and aliases as `$type` and `$jsonSchema.bsonType` use them. */
import { mongoError } from '../errors';
import { bsonTag, bsonType, isNumeric, type BsonTypeName } from '../bson/compare';

/** Every `$type` alias: the names `bsonType` gives, and the types it folds into others (symbol, code with scope). */
const TYPE_CODES: Readonly<Record<string, number>> & Readonly<Record<BsonTypeName, number>> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};

const VALID_CODES = new Set(Object.values(TYPE_CODES));

/** The numeric BSON type code of a value ($type's numbers). */
export function bsonTypeCode(v: unknown): number {
  const type = bsonType(v);
  if (type === 'javascript' && (v as { scope?: unknown }).scope) return 15;
  if (type === 'string' && bsonTag(v) === 'BSONSymbol') return 14;
  return TYPE_CODES[type];
}

const NAME_OF_CODE = new Map(Object.entries(TYPE_CODES).map(([name, code]) => [code, name]));

/** MongoDB's name for the type of `v`, as aggregation's `$type` and error messages say it ('symbol', 'javascriptWithScope' included). */
export function bsonTypeAlias(v: unknown): string {
  return NAME_OF_CODE.get(bsonTypeCode(v)) ?? bsonType(v);
}

/** A `$type` operand ('string', 2, 'number' or an array of them) as a set of codes; 'number' as code 0. */
export function parseTypeSpec(spec: unknown): Set<number> {
  const items = Array.isArray(spec) ? spec : [spec];
  if (items.length === 0) throwBadValue('$type must match at least one type');
  const codes = new Set<number>();
  for (const item of items) {
    if (typeof item === 'string') {
      if (item === 'number') codes.add(0);
      else if (Object.hasOwn(TYPE_CODES, item)) codes.add(TYPE_CODES[item]);
      else throwBadValue(`Unknown type name alias: ${item}`);
    } else if (isNumeric(item)) {
      const code = Number(item);
      if (!Number.isInteger(code) || !VALID_CODES.has(code)) throwBadValue(`Invalid numerical type code: ${String(item)}`);
      codes.add(code);
    } else {
      throwBadValue('type must be represented as a number or a string');
    }
  }
  return codes;
}

function throwBadValue(message: string): never {
  throw mongoError('BadValue', message);
}

/** True when `v` has one of the codes (0 standing for "number"). */
export function hasTypeCode(v: unknown, codes: Set<number>): boolean {
  if (codes.has(0) && isNumeric(v)) return true;
  return codes.has(bsonTypeCode(v));
}
