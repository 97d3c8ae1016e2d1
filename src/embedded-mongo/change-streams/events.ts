/**
 * Change events from a commit's records, as mongod 7.0 transforms its oplog: which records a stream reports, the
 * fields of each event type in mongod's order, and the invalidate that closes a collection stream when its
 * collection is dropped or renamed (a database stream when its database is dropped). Events of a transaction
 * carry its `lsid` and `txnNumber`.
 */
import { defineField } from '../bson/fields';
import { timestampOfKey } from '../storage/cluster-clock';
import type { CommitEntry } from '../storage/change-history';
import type { ChangeRecord } from '../storage';
import type { Document, PathStep, UpdateChange } from '../types';
import { encodeToken, eventSlot, invalidateSlot, type StreamPosition } from './resume-token';
import { watchesDatabase, watchesNamespace, type ChangeStreamSpec } from './spec';

export interface StreamEvent {
  position: StreamPosition;
  event: Document;
  /** The record reported (for the post-image lookups); undefined for an invalidate. */
  record?: ChangeRecord;
  /** The event closes the stream (an invalidate). */
  invalidates: boolean;
}

/** Event types a stream without showExpandedEvents reports. */
const CLASSIC_TYPES = new Set(['insert', 'update', 'replace', 'delete', 'drop', 'rename', 'dropDatabase']);

type EventSpec = Pick<ChangeStreamSpec, 'scope' | 'showSystemEvents' | 'showExpandedEvents'>;

/** The events `spec` sees in `entry`, in order. */
export function eventsOf(entry: CommitEntry, spec: EventSpec): StreamEvent[] {
  const events: StreamEvent[] = [];
  entry.records.forEach((record, index) => {
    const described = describe(record, entry, spec);
    if (!described || (!spec.showExpandedEvents && !CLASSIC_TYPES.has(described.operationType))) return;
    const position = { ts: entry.ts, slot: eventSlot(index) };
    events.push({ position, event: buildEvent(entry, position, described, spec), record, invalidates: false });
    if (invalidatesStream(record, spec)) {
      const at = { ts: entry.ts, slot: invalidateSlot(index) };
      const invalidate = { _id: encodeToken({ ...at, kind: 'event' }), operationType: 'invalidate', clusterTime: timestampOfKey(entry.ts), wallTime: entry.wallTime };
      events.push({ position: at, event: invalidate, invalidates: true });
    }
  });
  return events;
}

/** What an event says besides the fields every event has. */
interface Described {
  operationType: string;
  ns: Document;
  /** The namespace whose collection UUID the event reports (none for dropDatabase). */
  uuidOf?: string;
  fullDocument?: Document;
  documentKey?: Document;
  /** An update's change, and the new document its values are read from. */
  update?: { change: UpdateChange; doc: Document };
  operationDescription?: Document;
  stateBeforeChange?: Document;
  /** A rename's target. */
  to?: Document;
}

function describe(record: ChangeRecord, entry: CommitEntry, spec: EventSpec): Described | undefined {
  const view = viewDefinitionChange(record, spec);
  if (view !== NOT_A_VIEW) return view;
  switch (record.op) {
    case 'insert':
      return crud(record.ns, spec, { operationType: 'insert', fullDocument: record.doc, documentKey: { _id: record.doc._id } });
    case 'replace':
      return crud(
        record.ns,
        spec,
        record.update
          ? { operationType: 'update', documentKey: { _id: record.doc._id }, update: { change: record.update, doc: record.doc } }
          : { operationType: 'replace', fullDocument: record.doc, documentKey: { _id: record.doc._id } },
      );
    case 'remove':
      return crud(record.ns, spec, { operationType: 'delete', documentKey: { _id: record.id } });
    case 'createCollection':
      return crud(record.ns, spec, { operationType: 'create', operationDescription: { ...record.options, idIndex: idIndexOf(record.options) } });
    case 'createIndex':
      return crud(record.ns, spec, { operationType: 'createIndexes', operationDescription: { indexes: [record.spec] } });
    case 'dropIndex':
      return crud(record.ns, spec, { operationType: 'dropIndexes', operationDescription: { indexes: [record.spec ?? { name: record.name }] } });
    case 'collMod':
      return crud(record.ns, spec, {
        operationType: 'modify',
        operationDescription: modification(record),
        stateBeforeChange: { collectionOptions: record.before?.collectionOptions ?? {}, ...(record.before?.indexOptions ? { indexOptions: record.before.indexOptions } : {}) },
      });
    case 'dropCollection':
      return crud(record.ns, spec, { operationType: 'drop' });
    case 'renameCollection': {
      const from = split(record.ns);
      const to = split(record.to);
      if (!watchesNamespace(spec, from.db, from.coll) && !watchesNamespace(spec, to.db, to.coll)) return undefined;
      const target = { db: to.db, coll: to.coll };
      const dropTarget = record.dropTarget ? entry.uuids.get(record.to) : undefined;
      return {
        operationType: 'rename',
        ns: from,
        uuidOf: record.ns,
        to: target,
        operationDescription: dropTarget === undefined ? { to: target } : { to: target, dropTarget },
      };
    }
    case 'dropDatabase':
      return watchesDatabase(spec, record.db) ? { operationType: 'dropDatabase', ns: { db: record.db } } : undefined;
    case 'commit':
      return undefined;
  }
}

const NOT_A_VIEW = Symbol('not a view definition');
const VIEWS_COLLECTION = 'system.views';

/**
 * A view is a document of `<db>.system.views`: a database or deployment stream with showExpandedEvents reports its
 * insert as the view's create, its replacement as modify and its removal as drop, naming the view, as mongod does.
 */
function viewDefinitionChange(record: ChangeRecord, spec: EventSpec): Described | undefined | typeof NOT_A_VIEW {
  if (record.op !== 'insert' && record.op !== 'replace' && record.op !== 'remove') return NOT_A_VIEW;
  const { db, coll } = split(record.ns);
  if (coll !== VIEWS_COLLECTION || spec.scope.kind === 'collection') return NOT_A_VIEW;
  // Only expanded events show views (even their drop, a classic event type otherwise).
  if (!spec.showExpandedEvents || !watchesDatabase(spec, db)) return undefined;
  const id = record.op === 'remove' ? record.id : record.doc._id;
  if (typeof id !== 'string' || !id.startsWith(`${db}.`)) return undefined;
  const ns = { db, coll: id.slice(db.length + 1) };
  if (record.op === 'remove') return { operationType: 'drop', ns };
  const { _id: _ignored, ...definition } = record.doc;
  return { operationType: record.op === 'insert' ? 'create' : 'modify', ns, operationDescription: definition };
}

function crud(ns: string, spec: EventSpec, fields: Omit<Described, 'ns' | 'uuidOf'>): Described | undefined {
  const { db, coll } = split(ns);
  return watchesNamespace(spec, db, coll) ? { ...fields, ns: { db, coll }, uuidOf: ns } : undefined;
}

function invalidatesStream(record: ChangeRecord, spec: EventSpec): boolean {
  const scope = spec.scope;
  if (scope.kind === 'collection') {
    const ns = `${scope.db}.${scope.coll}`;
    return (record.op === 'dropCollection' && record.ns === ns) || (record.op === 'renameCollection' && (record.ns === ns || record.to === ns));
  }
  return scope.kind === 'database' && record.op === 'dropDatabase' && record.db === scope.db;
}

/** Fields in mongod's order: a rename's `to` and a transaction's ids first, the descriptions last. */
function buildEvent(entry: CommitEntry, position: StreamPosition, described: Described, spec: EventSpec): Document {
  const event: Document = {};
  if (described.to) event.to = described.to;
  if (entry.txnNumber !== undefined) {
    event.txnNumber = entry.txnNumber;
    event.lsid = entry.lsid;
  }
  event._id = encodeToken({ ...position, kind: 'event' });
  event.operationType = described.operationType;
  event.clusterTime = timestampOfKey(entry.ts);
  const uuid = described.uuidOf === undefined ? undefined : entry.uuids.get(described.uuidOf);
  if (spec.showExpandedEvents && uuid !== undefined) event.collectionUUID = uuid;
  event.wallTime = entry.wallTime;
  if (described.fullDocument) event.fullDocument = described.fullDocument;
  event.ns = described.ns;
  if (described.documentKey) event.documentKey = described.documentKey;
  if (spec.showExpandedEvents && described.operationDescription) event.operationDescription = described.operationDescription;
  if (described.update) event.updateDescription = updateDescriptionOf(described.update.change, described.update.doc, spec.showExpandedEvents);
  if (described.stateBeforeChange) event.stateBeforeChange = described.stateBeforeChange;
  return event;
}

/**
 * mongod's updateDescription: each set path (dotted) with its value in the new document, the removed paths, the
 * cut arrays and, with showExpandedEvents, the ambiguous paths spelled out step by step.
 */
function updateDescriptionOf(change: UpdateChange, doc: Document, expanded: boolean): Document {
  const updatedFields: Document = {};
  const disambiguatedPaths: Document = {};
  const note = (path: PathStep[]): string => {
    const field = path.map(String).join('.');
    if (isAmbiguous(path)) defineField(disambiguatedPaths, field, path);
    return field;
  };
  for (const path of change.updated) defineField(updatedFields, note(path), valueAt(doc, path));
  const removedFields = change.removed.map(note);
  const truncatedArrays = change.truncated.map(({ path, newSize }) => ({ field: note(path), newSize }));
  return expanded ? { updatedFields, removedFields, truncatedArrays, disambiguatedPaths } : { updatedFields, removedFields, truncatedArrays };
}

/** A field name that reads as an array index (past the first step) or holds a dot makes a dotted path ambiguous. */
function isAmbiguous(path: PathStep[]): boolean {
  return path.some((step, i) => typeof step === 'string' && ((i > 0 && /^(0|[1-9]\d*)$/.test(step)) || step.includes('.')));
}

function valueAt(doc: Document, path: PathStep[]): unknown {
  let value: unknown = doc;
  for (const step of path) {
    if (Array.isArray(value) && typeof step === 'number') value = value[step];
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) value = (value as Document)[String(step)];
    else return undefined;
  }
  return value;
}

/** What a collMod changed (its oplog entry without the collection name). */
function modification(record: Extract<ChangeRecord, { op: 'collMod' }>): Document {
  const changed: Document = {};
  if (record.index) changed.index = record.index;
  const before = record.before?.collectionOptions ?? {};
  for (const [key, value] of Object.entries(record.options ?? {})) if (before[key] !== value) changed[key] = value;
  return changed;
}

function idIndexOf(options: Document): Document {
  const collation = options.collation;
  return collation ? { v: 2, key: { _id: 1 }, name: '_id_', collation } : { v: 2, key: { _id: 1 }, name: '_id_' };
}

function split(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}
