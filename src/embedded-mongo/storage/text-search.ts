/**
 * A `$text` read through the collection's text index, as mongod's TEXT_OR and TEXT_MATCH stages run it: each
 * folded query term is looked up (after the equality values of the index's prefix fields), a document's score is
 * the sum of its scores for the terms it holds, and every document found is checked against the whole filter
 * (negations, phrases, case or diacritic sensitivity, and the other conditions). The scores come back beside the
 * documents, which are in natural order unless the request sorts them.
 */
import { compareStrings } from '../bson/compare';
import { mongoError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter } from '../query/matcher';
import { compileSort, sortDocuments } from '../query/sort';
import { checkTextPlacement, textPrefixUnusable, type TextClause } from '../text/filter';
import { TextMatcher } from '../text/matcher';
import { TextQuery } from '../text/query';
import { TEXT_INDEX_VERSION } from '../text/text-index';
import type { Document, FindRequest } from '../types';
import type { Collection } from './collection';
import type { CollectionIndex } from './collection-index';
import { getDoc } from './doc-store';
import { sameKey } from './index-spec';
import { effectiveCollation, impliesPartialFilter, type PlannedRead } from './planner';
import { isPlainObject } from './values';

export function runTextSearch(collection: Collection | undefined, ns: string, request: FindRequest, clause: TextClause): PlannedRead {
  if (!collection) throw mongoError('IndexNotFound', `text index required for $text query (no such collection '${ns}')`);
  const index = [...collection.indexes.values()].find((ix) => ix.text !== undefined);
  if (!index?.text) throw mongoError('IndexNotFound', 'text index required for $text query');
  const text = index.text;
  const query = TextQuery.parse(clause.params, text.defaultLanguage);
  checkTextPlacement(clause);
  checkHint(request.hint, index);
  // A hidden text index, or a partial one the query does not stay inside, is no plan at all for mongod.
  const partial = index.spec.partialFilterExpression;
  if (index.spec.hidden === true || (partial && !impliesPartialFilter(request.filter, partial))) textPrefixUnusable();
  const prefix = text.prefixFields.map((field) => equalityValue(request.filter, field));
  if (prefix.some((value) => value === NO_EQUALITY)) textPrefixUnusable();

  const collator = createCollator(effectiveCollation(request, collection));
  const textMatcher = new TextMatcher(query, text);
  const matcher = compileFilter(request.filter, { collator, text: (doc) => textMatcher.matchesIndexed(doc) });
  const terms = [...query.termsForBounds].sort(compareStrings);
  const scoresByRid = new Map<number, number>();
  let keysExamined = 0;
  for (const term of terms) {
    const bound = [...prefix, term];
    index.scanRange({ start: bound, startInclusive: true, end: bound, endInclusive: true }, (entry) => {
      keysExamined++;
      scoresByRid.set(entry.rid, (scoresByRid.get(entry.rid) ?? 0) + (entry.key[prefix.length + 1] as number));
      return true;
    });
  }
  let docs: Document[] = [];
  const textScores = new Map<Document, number>();
  for (const rid of Float64Array.from(scoresByRid.keys()).sort()) {
    const record = collection.records.get(rid);
    const doc = record && getDoc(record);
    if (doc && matcher.test(doc)) {
      docs.push(doc);
      textScores.set(doc, scoresByRid.get(rid) as number);
    }
  }
  const sort = request.sort && Object.keys(request.sort).length > 0 ? request.sort : undefined;
  const metadata = { textScore: (doc: Document) => textScores.get(doc) };
  const compare = sort ? compileSort(sort, collator, metadata) : undefined;
  if (sort) docs = sortDocuments(docs, sort, collator, metadata);

  const indexPrefix: Document = {};
  text.prefixFields.forEach((field, i) => (indexPrefix[field] = prefix[i]));
  return {
    docs,
    textScores,
    compare,
    plan: {
      stage: 'TEXT',
      indexName: index.name,
      keyPattern: { ...index.spec.key },
      providesSort: compare !== undefined,
      docsExamined: scoresByRid.size,
      keysExamined,
      text: { indexPrefix, parsedTextQuery: query.describe(), textIndexVersion: TEXT_INDEX_VERSION, terms },
    },
    admits: (doc) => {
      const score = unseenDocumentScore(index, doc, terms);
      if (score === undefined || !matcher.test(doc)) return false;
      textScores.set(doc, score);
      return true;
    },
  };
}

/** The score of a document the index has not seen (a transaction's own write), or undefined when it holds no term. */
function unseenDocumentScore(index: CollectionIndex, doc: Document, terms: string[]): number | undefined {
  if (!index.covers(doc) || !index.text) return undefined;
  const scores = index.text.termScores(doc);
  let total: number | undefined;
  for (const term of terms) {
    const score = scores.get(term);
    if (score !== undefined) total = (total ?? 0) + score;
  }
  return total;
}

/** A `$text` query can only use the text index. */
function checkHint(hint: FindRequest['hint'], index: CollectionIndex): void {
  if (hint === undefined || hint === '' || (isPlainObject(hint) && Object.keys(hint).length === 0)) return;
  if (typeof hint === 'string' ? hint === index.name : isPlainObject(hint) && sameKey(hint, index.spec.key)) return;
  throw mongoError('BadValue', 'hint provided does not correspond to an existing index');
}

const NO_EQUALITY = Symbol('no equality');

/** The value `field` is pinned to by a top-level equality (plain or `$eq`, also inside `$and`). */
function equalityValue(filter: Document, field: string): unknown {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(condition)) {
      for (const clause of condition) {
        const value = isPlainObject(clause) ? equalityValue(clause, field) : NO_EQUALITY;
        if (value !== NO_EQUALITY) return value;
      }
    }
    if (key !== field) continue;
    if (!isPlainObject(condition) || !Object.keys(condition).some((k) => k.startsWith('$'))) return condition;
    if (Object.keys(condition).length === 1 && '$eq' in condition) return condition.$eq;
  }
  return NO_EQUALITY;
}
