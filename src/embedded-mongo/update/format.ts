/**
 * Renders values the way mongod prints them inside update error messages (`{ a: 1, b: "x" }`, `[ 1, 2 ]`,
 * `ObjectId('…')`, an element as `{a: 1}`), so the errors read like MongoDB's.
 */
import { bsonTag, bsonType } from '../bson/compare';

function formatEntries(entries: [string, unknown][]): string {
  return entries.map(([key, value]) => `${key}: ${formatValue(value)}`).join(', ');
}

function formatBsonInstance(v: object): string {
  const tag = bsonTag(v);
  switch (tag) {
    case 'ObjectId':
      return `ObjectId('${String((v as { toHexString(): string }).toHexString())}')`;
    case 'Decimal128':
      return `NumberDecimal("${String(v)}")`;
    case 'Double': {
      const n = (v as { value: number }).value;
      return Number.isInteger(n) ? n.toFixed(1) : String(n);
    }
    case 'Timestamp': {
      const ts = v as { t: number; i: number };
      return `Timestamp(${ts.t}, ${ts.i})`;
    }
    case 'BSONRegExp': {
      const re = v as { pattern: string; options: string };
      return `/${re.pattern}/${re.options}`;
    }
    case 'MinKey':
      return 'MinKey';
    case 'MaxKey':
      return 'MaxKey';
    case 'Binary':
      return `BinData(${(v as { sub_type: number }).sub_type}, ${(v as { toString(enc: string): string }).toString('hex').toUpperCase()})`;
    default:
      return String(v);
  }
}

export function formatValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'number') return Number.isInteger(v) && bsonType(v) === 'double' ? v.toFixed(1) : String(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[ ${v.map(formatValue).join(', ')} ]`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (bsonTag(v) !== undefined) return formatBsonInstance(v);
  const entries = Object.entries(v);
  return entries.length === 0 ? '{}' : `{ ${formatEntries(entries)} }`;
}

/** `field: value`, how mongod prints one element of a document. */
export function formatField(field: string, value: unknown): string {
  return formatEntries([[field, value]]);
}

/** `{field: value}`, the form mongod's update messages use to name one element. */
export function formatElement(field: string, value: unknown): string {
  return `{${formatField(field, value)}}`;
}

/** `{_id: …}` of a document, or `{no id}` when it has none (an upsert before its _id is generated). */
export function formatIdOf(doc: Record<string, unknown>): string {
  return Object.prototype.hasOwnProperty.call(doc, '_id') ? formatElement('_id', doc._id) : '{no id}';
}
