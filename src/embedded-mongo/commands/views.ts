/**
 * Views, kept as mongod keeps them: one document per view in the database's `system.views` collection
 * (`{_id: "db.view", viewOn, pipeline, collation?}`), so they are durable, journalled and listed exactly like any
 * other data, and dropped with the database. This module reads that catalog, resolves a view to the collection
 * underneath and the pipeline in front of it, validates definitions (cycles, depth, collations), and holds the
 * refusals of operations that need a collection.
 */
import { calculateObjectSize } from 'bson';
import { mongoError, MongoServerError } from '../errors';
import { normalizeCollation, sameCollation } from '../query/collation';
import type { CollationSpec, Document, StorageEngine } from '../types';
import { isDocument } from './args';
import type { Invocation } from './context';
import type { WriteError } from './writes';

export const SYSTEM_VIEWS = 'system.views';
/** mongod's ViewGraph::kMaxViewDepth and kMaxViewPipelineSizeBytes. */
export const MAX_VIEW_DEPTH = 20;
const MAX_VIEW_PIPELINE_BYTES = 16 * 1000 * 1000;

export interface ViewDefinition {
  db: string;
  name: string;
  viewOn: string;
  pipeline: Document[];
  collation?: CollationSpec;
}

/** A view resolved down to the collection it reads: the pipelines of every view on the way, innermost first. */
export interface ResolvedView {
  db: string;
  /** The view that was asked for. */
  name: string;
  /** The collection underneath (it may not exist: then the view is empty). */
  coll: string;
  pipeline: Document[];
  /** The default collation of the view asked for; every read through it uses this one. */
  collation?: CollationSpec;
}

interface ViewCatalog {
  views: ReadonlyMap<string, ViewDefinition>;
  /** False when `system.views` holds a document that is not a view definition (written there by hand). */
  valid: boolean;
}

const EMPTY_CATALOG: ViewCatalog = { views: new Map(), valid: true };
/** Parsed catalogs by the stored documents they were parsed from (stored documents are immutable). */
const parsedCatalogs = new WeakMap<StorageEngine, Map<string, { docs: Document[]; catalog: ViewCatalog }>>();

export function viewNamespace(db: string, name: string): string {
  return `${db}.${name}`;
}

function readCatalog(storage: StorageEngine, db: string): ViewCatalog {
  const docs = storage.find(undefined, db, SYSTEM_VIEWS, { filter: {} }).docs;
  let byDb = parsedCatalogs.get(storage);
  if (docs.length === 0) {
    byDb?.delete(db);
    return EMPTY_CATALOG;
  }
  if (!byDb) {
    byDb = new Map();
    parsedCatalogs.set(storage, byDb);
  }
  const cached = byDb.get(db);
  if (cached && cached.docs.length === docs.length && cached.docs.every((doc, i) => doc === docs[i])) return cached.catalog;
  const views = new Map<string, ViewDefinition>();
  let valid = true;
  for (const doc of docs) {
    const view = parseDefinition(doc, db);
    if (view) views.set(view.name, view);
    else valid = false;
  }
  const catalog = { views, valid };
  byDb.set(db, { docs, catalog });
  return catalog;
}

/** A `system.views` document as a definition; undefined when it is not a valid one. */
function parseDefinition(doc: Document, db: string): ViewDefinition | undefined {
  const { _id: id, viewOn, pipeline, collation } = doc;
  const prefix = `${db}.`;
  if (typeof id !== 'string' || !id.startsWith(prefix) || id.length === prefix.length) return undefined;
  if (typeof viewOn !== 'string' || viewOn === '') return undefined;
  if (!Array.isArray(pipeline) || !pipeline.every(isDocument)) return undefined;
  if (Object.keys(doc).some((key) => !['_id', 'viewOn', 'pipeline', 'collation'].includes(key))) return undefined;
  let spec: CollationSpec | undefined;
  if (collation !== undefined) {
    try {
      spec = normalizeCollation(collation);
    } catch {
      return undefined;
    }
  }
  return { db, name: id.slice(prefix.length), viewOn, pipeline: pipeline as Document[], collation: spec };
}

function invalidCatalog(): MongoServerError {
  return mongoError(
    'InvalidViewDefinition',
    'Invalid view definition detected in the view catalog. Remove the invalid view manually to prevent disallowing any further usage of the view catalog.',
  );
}

/**
 * The view `db.name`, or undefined when it is not one. A catalog spoiled by a hand-written `system.views` document
 * fails every lookup of a name that is not a collection, as mongod's does, until that document is removed.
 */
export function lookupView(storage: StorageEngine, db: string, name: string): ViewDefinition | undefined {
  if (name === SYSTEM_VIEWS) return undefined;
  const catalog = readCatalog(storage, db);
  if (!catalog.valid) {
    if (storage.listCollections(db).some((info) => info.name === name)) return undefined;
    throw invalidCatalog();
  }
  return catalog.views.get(name);
}

/** Every view of `db`, by name; fails with 182 when the catalog holds an invalid definition. */
export function listViews(storage: StorageEngine, db: string): ViewDefinition[] {
  const catalog = readCatalog(storage, db);
  if (!catalog.valid) throw invalidCatalog();
  return [...catalog.views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The view `db.name` resolved to its collection, or undefined when `db.name` is not a view. Like mongod, this looks
 * up at most 20 names, so a chain of 20 views (which creation allows) fails to resolve with 165.
 */
export function resolveView(storage: StorageEngine, db: string, name: string): ResolvedView | undefined {
  let current = name;
  let pipeline: Document[] = [];
  let collation: CollationSpec | undefined;
  for (let depth = 0; depth < MAX_VIEW_DEPTH; depth++) {
    const view = lookupView(storage, db, current);
    if (!view) {
      if (depth === 0) return undefined;
      if (pipelineBytes(pipeline) > MAX_VIEW_PIPELINE_BYTES) {
        throw mongoError('ViewPipelineMaxSizeExceeded', `View pipeline exceeds maximum size; maximum size is ${MAX_VIEW_PIPELINE_BYTES}`);
      }
      return { db, name, coll: current, pipeline, collation };
    }
    if (depth === 0) collation = view.collation;
    pipeline = [...view.pipeline, ...pipeline];
    current = view.viewOn;
  }
  throw mongoError('ViewDepthLimitExceeded', `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
}

function pipelineBytes(pipeline: Document[]): number {
  return pipeline.reduce((sum, stage) => sum + calculateObjectSize(stage), 0);
}

/** The `system.views` document of a definition; the collation only when it is not the simple one. */
export function definitionDocument(view: ViewDefinition): Document {
  const doc: Document = { _id: viewNamespace(view.db, view.name), viewOn: view.viewOn, pipeline: view.pipeline };
  if (view.collation) doc.collation = view.collation;
  return doc;
}

/** What `listCollections` shows of a view. */
export function viewInfo(view: ViewDefinition): Document {
  const options: Document = { viewOn: view.viewOn, pipeline: view.pipeline };
  if (view.collation) options.collation = view.collation;
  return { name: view.name, type: 'view', options, info: { readOnly: true } };
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals: what needs a collection fails on a view with mongod's 166.

export function notACollection(db: string, name: string): MongoServerError {
  return mongoError('CommandNotSupportedOnView', `Namespace ${viewNamespace(db, name)} is a view, not a collection`);
}

/** Throws 166 when `db.coll` is a view (createIndexes, listIndexes, findAndModify, collStats…). */
export function assertNotView(storage: StorageEngine, db: string, coll: string): void {
  if (lookupView(storage, db, coll)) throw notACollection(db, coll);
}

/**
 * The write errors of an insert, update or delete addressed to a view: one per statement (only the first when
 * the batch is ordered), nothing written; undefined when `coll` is not a view.
 */
export function viewWriteErrors(inv: Invocation, coll: string, statements: number, ordered: boolean): WriteError[] | undefined {
  if (!lookupView(inv.ctx.storage, inv.db, coll)) return undefined;
  const { message, code } = notACollection(inv.db, coll);
  return Array.from({ length: ordered ? 1 : statements }, (_, index) => ({ index, code, errmsg: message }));
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of a new or changed definition against the rest of the catalog (mongod's ViewGraph).

/** The namespaces a pipeline reads besides its input: $lookup, $graphLookup and $unionWith, nested ones too. */
export function involvedNamespaces(pipeline: unknown, db: string): string[] {
  const found: string[] = [];
  const visit = (stages: unknown): void => {
    if (!Array.isArray(stages)) return;
    for (const stage of stages) {
      if (!isDocument(stage)) continue;
      const [name, spec] = Object.entries(stage)[0] ?? [];
      if (name === '$lookup' || name === '$graphLookup') {
        if (isDocument(spec)) {
          addNamespace(spec.from, db, found);
          visit(spec.pipeline);
        }
      } else if (name === '$unionWith') {
        if (typeof spec === 'string') addNamespace(spec, db, found);
        else if (isDocument(spec)) {
          addNamespace(spec.coll, db, found);
          visit(spec.pipeline);
        }
      } else if (name === '$facet' && isDocument(spec)) {
        Object.values(spec).forEach(visit);
      }
    }
  };
  visit(pipeline);
  return found;
}

function addNamespace(target: unknown, db: string, found: string[]): void {
  if (typeof target === 'string' && target !== '') found.push(viewNamespace(db, target));
  else if (isDocument(target) && typeof target.db === 'string' && typeof target.coll === 'string') found.push(viewNamespace(target.db, target.coll));
}

interface GraphNode {
  refs: string[];
  collation?: CollationSpec;
  bytes: number;
}

interface NodeStats {
  checked: boolean;
  height: number;
  bytes: number;
}

/**
 * Checks that `view`, replacing any definition of the same name, keeps the view graph of its database acyclic,
 * within mongod's depth of 20 views, its resolved pipelines within 16 MB, and every view it reads of its own
 * collation. Errors and their messages are mongod's (5, 165, 167, 195).
 */
export function validateViewGraph(storage: StorageEngine, view: ViewDefinition): void {
  const ns = viewNamespace(view.db, view.name);
  const nodes = new Map<string, GraphNode>();
  for (const other of listViews(storage, view.db)) {
    if (other.name !== view.name) nodes.set(viewNamespace(other.db, other.name), graphNode(other));
  }
  const node = graphNode(view);
  for (const ref of node.refs) {
    const other = ref === ns ? undefined : nodes.get(ref);
    if (other && !sameCollation(other.collation, view.collation)) {
      throw mongoError('OptionNotSupportedOnView', `View ${ns} has conflicting collation with view ${ref}`);
    }
  }
  nodes.set(ns, node);
  const graph = new ViewGraph(nodes);
  const below = graph.validateChildren(ns);
  const above = graph.validateParents(ns);
  if (above.height + below.height - 2 > MAX_VIEW_DEPTH) throw depthExceeded();
  if (above.bytes + below.bytes - node.bytes > MAX_VIEW_PIPELINE_BYTES) {
    throw mongoError(
      'ViewPipelineMaxSizeExceeded',
      `Operation would result in a resolved view pipeline that exceeds the maximum size of ${MAX_VIEW_PIPELINE_BYTES} bytes`,
    );
  }
}

function graphNode(view: ViewDefinition): GraphNode {
  return { refs: [...involvedNamespaces(view.pipeline, view.db), viewNamespace(view.db, view.viewOn)], collation: view.collation, bytes: pipelineBytes(view.pipeline) };
}

function depthExceeded(): MongoServerError {
  return mongoError('ViewDepthLimitExceeded', `View depth limit exceeded; maximum depth is ${MAX_VIEW_DEPTH}`);
}

/** The walks of mongod's ViewGraph: heights count the views on the longest path, a collection counting one. */
class ViewGraph {
  constructor(private readonly nodes: ReadonlyMap<string, GraphNode>) {}

  validateChildren(start: string): NodeStats {
    const stats = new Map<string, NodeStats>();
    this.walkChildren(start, start, 0, stats, []);
    return stats.get(start) as NodeStats;
  }

  validateParents(start: string): NodeStats {
    const stats = new Map<string, NodeStats>();
    this.walkParents(start, 0, stats);
    return stats.get(start) as NodeStats;
  }

  private walkChildren(start: string, current: string, depth: number, stats: Map<string, NodeStats>, trail: string[]): void {
    trail.push(current);
    if (depth > 0 && current === start) {
      // mongod names the view first, then the way back to it from the end: "a => a => b => a".
      throw mongoError('GraphContainsCycle', `View cycle detected: ${[trail[trail.length - 1], ...[...trail].reverse()].join(' => ')}`);
    }
    if (depth > MAX_VIEW_DEPTH) throw depthExceeded();
    const node = this.nodes.get(current);
    let height = 0;
    let bytes = 0;
    for (const child of node?.refs ?? []) {
      if (stats.get(child)?.checked) continue;
      const childNode = this.nodes.get(child);
      if (childNode && node && !sameCollation(node.collation, childNode.collation)) {
        throw mongoError('OptionNotSupportedOnView', `View ${current} has a collation that does not match the collation of view ${child}`);
      }
      this.walkChildren(start, child, depth + 1, stats, trail);
      const done = stats.get(child) as NodeStats;
      height = Math.max(height, done.height);
      bytes = Math.max(bytes, done.bytes);
    }
    trail.pop();
    stats.set(current, { checked: true, height: height + 1, bytes: bytes + (node?.bytes ?? 0) });
  }

  private walkParents(current: string, depth: number, stats: Map<string, NodeStats>): void {
    if (depth > MAX_VIEW_DEPTH) throw depthExceeded();
    const node = this.nodes.get(current);
    let height = 0;
    let bytes = 0;
    for (const [parent, parentNode] of this.nodes) {
      if (parent === current || !parentNode.refs.includes(current)) continue;
      if (!sameCollation(node?.collation, parentNode.collation)) {
        throw mongoError('OptionNotSupportedOnView', `View ${current} has a collation that does not match the collation of view ${parent}`);
      }
      if (!stats.get(parent)?.checked) this.walkParents(parent, depth + 1, stats);
      const done = stats.get(parent) as NodeStats;
      height = Math.max(height, done.height);
      bytes = Math.max(bytes, done.bytes);
    }
    stats.set(current, { checked: true, height: height + 1, bytes: bytes + (node?.bytes ?? 0) });
  }
}
