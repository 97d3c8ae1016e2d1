/**
 * `{$meta: 'textScore'}`: the score a `$text` search gives each document it returns, readable in find projections
 * and sorts and in aggregation expressions after a leading `$match` with `$text`. Asking for it anywhere else is
 * mongod's 40218; other `$meta` names are refused by name.
 */
import { mongoError, type MongoServerError } from '../errors';
import { isPlainDocument } from '../query/paths';

export const TEXT_SCORE = 'textScore';

/** Names mongod knows that this server does not provide (search and vector search, geo, index keys, …). */
const UNSUPPORTED_META = new Set([
  'searchScore',
  'searchHighlights',
  'searchScoreDetails',
  'searchSequenceToken',
  'vectorSearchScore',
  'score',
  'scoreDetails',
  'indexKey',
  'recordId',
  'sortKey',
  'geoNearDistance',
  'geoNearPoint',
  'randVal',
]);

/** Checks a `$meta` operand; only 'textScore' is accepted. */
export function checkMetaName(name: unknown): typeof TEXT_SCORE {
  if (typeof name !== 'string') throw mongoError('Location17307', '$meta only supports string arguments');
  if (name === TEXT_SCORE) return TEXT_SCORE;
  if (UNSUPPORTED_META.has(name)) throw mongoError('BadValue', `$meta '${name}' is not supported by this server`);
  throw mongoError('Location17308', `Unsupported argument to $meta: ${name}`);
}

/** `value` is exactly `{$meta: <name>}`. */
export function isMetaObject(value: unknown): value is { $meta: unknown } {
  return isPlainDocument(value) && Object.keys(value).length === 1 && Object.prototype.hasOwnProperty.call(value, '$meta');
}

/** Whether `value` (a projection, a sort, a pipeline…) asks for the text score anywhere. */
export function mentionsTextScore(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsTextScore);
  if (!isPlainDocument(value)) return false;
  if (isMetaObject(value) && value.$meta === TEXT_SCORE) return true;
  return Object.values(value).some(mentionsTextScore);
}

export function textScoreUnavailable(): MongoServerError {
  return mongoError('Location40218', 'query requires text score metadata, but it is not available');
}
