/**
 * $project, $addFields/$set and $unset: a spec is parsed once into a tree of field nodes, then applied to each
 * document. Applying never mutates the input; untouched sub-values are shared and cloned once at pipeline end.
 */
import { isDouble } from '../bson/double';
import { defineField, idFirst } from '../bson/fields';
import { mongoError } from '../errors';
import type { Document } from '../types';
import { checkExpression, checkFieldName, evaluate, type Scope } from './evaluate';
import { isMetaObject } from '../text/metadata';
import { hasOwn, isDocument } from './values';

type FieldNode =
  | { kind: 'include' }
  | { kind: 'exclude' }
  | { kind: 'computed'; expr: unknown }
  | { kind: 'nested'; children: Map<string, FieldNode>; hasComputed?: boolean };

type NestedNode = Extract<FieldNode, { kind: 'nested' }>;

function newNested(): NestedNode {
  return { kind: 'nested', children: new Map() };
}

function isExpressionObject(v: unknown): boolean {
  if (!isDocument(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys[0].startsWith('$');
}

function splitFieldPath(path: string): string[] {
  const parts = path.split('.');
  parts.forEach(checkFieldName);
  return parts;
}

/** Puts `node` at `path` in the tree; two specs for one path, or a path inside a leaf, is a collision. */
function insertNode(root: NestedNode, path: string[], node: FieldNode, fullPath: string): void {
  let parent = root;
  for (let i = 0; i < path.length - 1; i++) {
    const existing = parent.children.get(path[i]);
    if (existing === undefined) {
      const created = newNested();
      parent.children.set(path[i], created);
      parent = created;
    } else if (existing.kind === 'nested') {
      parent = existing;
    } else {
      throw mongoError('Location31250', `Invalid specification :: caused by :: Path collision at ${fullPath}`);
    }
  }
  const last = path[path.length - 1];
  const existing = parent.children.get(last);
  if (existing !== undefined && !(existing.kind === 'nested' && node.kind === 'nested')) {
    throw mongoError('Location31250', `Invalid specification :: caused by :: Path collision at ${fullPath}`);
  }
  if (existing === undefined) parent.children.set(last, node);
}

// ---------------------------------------------------------------------------------------------------------------
// $project

export interface Projection {
  readonly mode: 'inclusion' | 'exclusion';
  apply(doc: Document, scope: Scope): Document;
}

interface ProjectionParse {
  root: NestedNode;
  mode: 'inclusion' | 'exclusion' | undefined;
  idSpecified: boolean;
  /** A `{$meta: …}` field: allowed in either mode, and alone it makes an inclusion (aggregate's rule). */
  hasMeta: boolean;
}

function projectionError(code: 'Location31253' | 'Location31254' | 'Location31252', message: string): never {
  throw mongoError(code, `Invalid $project :: caused by :: ${message}`);
}

function setMode(state: ProjectionParse, mode: 'inclusion' | 'exclusion', path: string, computed: boolean): void {
  if (state.mode === undefined || state.mode === mode) {
    state.mode = mode;
    return;
  }
  if (mode === 'exclusion') projectionError('Location31254', `Cannot do exclusion on field ${path} in inclusion projection`);
  if (computed) projectionError('Location31252', `Cannot use expression other than $meta in exclusion projection`);
  projectionError('Location31253', `Cannot do inclusion on field ${path} in exclusion projection`);
}

function parseProjectionField(state: ProjectionParse, path: string, value: unknown): void {
  const parts = splitFieldPath(path);
  const isId = path === '_id';
  if (isId) state.idSpecified = true;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || isDouble(value)) {
    const include = typeof value === 'boolean' ? value : Number(value) !== 0;
    if (!isId) setMode(state, include ? 'inclusion' : 'exclusion', path, false);
    insertNode(state.root, parts, { kind: include ? 'include' : 'exclude' }, path);
    return;
  }
  if (isDocument(value) && !isExpressionObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) throw mongoError('Location51270', `Invalid $project :: caused by :: An empty sub-projection is not a valid value. Found empty object at path`);
    if (path.startsWith('_id') && parts[0] === '_id') state.idSpecified = true;
    for (const [key, child] of entries) parseProjectionField(state, `${path}.${key}`, child);
    return;
  }
  checkExpression(value);
  if (isMetaObject(value)) state.hasMeta = true;
  else if (!isId) setMode(state, 'inclusion', path, true);
  insertNode(state.root, parts, { kind: 'computed', expr: value }, path);
}

export function compileProjection(spec: unknown): Projection {
  if (!isDocument(spec)) throw mongoError('Location15969', '$project specification must be an object');
  const entries = Object.entries(spec);
  if (entries.length === 0) throw mongoError('Location51272', 'Invalid $project :: caused by :: projection specification must have at least one field');
  const state: ProjectionParse = { root: newNested(), mode: undefined, idSpecified: false, hasMeta: false };
  for (const [path, value] of entries) parseProjectionField(state, path, value);
  const idNode = state.root.children.get('_id');
  const mode = state.mode ?? (!state.hasMeta && idNode?.kind === 'exclude' ? 'exclusion' : 'inclusion');
  if (mode === 'inclusion' && !state.idSpecified) {
    state.root.children = new Map([['_id', { kind: 'include' } as FieldNode], ...state.root.children]);
  }
  const root = state.root;
  return {
    mode,
    // A computed _id is appended like any computed field, but MongoDB always answers with _id first.
    apply: (doc, scope) => (mode === 'inclusion' ? idFirst(applyInclusion(root, doc, scope)) : applyExclusion(root, doc, scope)),
  };
}


/** Asked per document and array element: remembered on the node, which no longer changes once the spec is parsed. */
/** A computed field that evaluates to missing ($$REMOVE) is removed. */
function setComputed(out: Document, key: string, value: unknown): void {
  if (value === undefined) delete out[key];
  else defineField(out, key, value);
}

function hasComputed(node: FieldNode): boolean {
  if (node.kind === 'computed') return true;
  if (node.kind !== 'nested') return false;
  node.hasComputed ??= [...node.children.values()].some(hasComputed);
  return node.hasComputed;
}

function applyInclusion(node: NestedNode, doc: Document, scope: Scope): Document {
  const out: Document = {};
  for (const key of Object.keys(doc)) {
    const child = node.children.get(key);
    if (child === undefined || child.kind === 'computed' || child.kind === 'exclude') continue;
    const value = doc[key];
    if (child.kind === 'include') {
      if (value !== undefined) defineField(out, key, value);
    } else if (isDocument(value)) {
      defineField(out, key, applyInclusion(child, value, scope));
    } else if (Array.isArray(value)) {
      defineField(out, key, includeInArray(child, value, scope));
    }
  }
  for (const [key, child] of node.children) {
    if (child.kind === 'computed') {
      setComputed(out, key, evaluate(child.expr, scope));
    } else if (child.kind === 'nested' && !hasOwn(out, key) && hasComputed(child)) {
      defineField(out, key, applyInclusion(child, {}, scope));
    }
  }
  return out;
}

function includeInArray(node: NestedNode, values: unknown[], scope: Scope): unknown[] {
  const out: unknown[] = [];
  for (const element of values) {
    if (isDocument(element)) out.push(applyInclusion(node, element, scope));
    else if (Array.isArray(element)) out.push(includeInArray(node, element, scope));
    else if (hasComputed(node)) out.push(applyInclusion(node, {}, scope));
  }
  return out;
}

/** Exclusion; the only computed fields an exclusion can hold are `$meta` ones, set after the kept fields. */
function applyExclusion(node: NestedNode, doc: Document, scope?: Scope): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const child = node.children.get(key);
    if (child === undefined || child.kind === 'include') defineField(out, key, value);
    else if (child.kind === 'nested') defineField(out, key, excludeInValue(child, value, scope));
  }
  if (scope) for (const [key, child] of node.children) if (child.kind === 'computed') setComputed(out, key, evaluate(child.expr, scope));
  return out;
}

function excludeInValue(node: NestedNode, value: unknown, scope: Scope | undefined): unknown {
  if (isDocument(value)) return applyExclusion(node, value, scope);
  if (Array.isArray(value)) return value.map((element) => excludeInValue(node, element, scope));
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// $addFields / $set

export type FieldSetter = (doc: Document, scope: Scope) => Document;

function parseSetField(root: NestedNode, path: string, value: unknown, stageName: string): void {
  const parts = splitFieldPath(path);
  if (isDocument(value) && !isExpressionObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) parseSetField(root, `${path}.${key}`, child, stageName);
    return;
  }
  checkExpression(value);
  insertNode(root, parts, { kind: 'computed', expr: value }, path);
}

export function compileAddFields(spec: unknown, stageName: string): FieldSetter {
  if (!isDocument(spec)) throw mongoError('Location40272', `${stageName} specification stage must be an object, got ${typeof spec}`);
  const entries = Object.entries(spec);
  if (entries.length === 0) throw mongoError('Location40177', `Invalid ${stageName} :: caused by :: specification must have at least one field`);
  const root = newNested();
  for (const [path, value] of entries) parseSetField(root, path, value, stageName);
  return (doc, scope) => applySet(root, doc, scope);
}

function applySet(node: NestedNode, doc: Document, scope: Scope): Document {
  const out: Document = { ...doc };
  for (const [key, child] of node.children) {
    if (child.kind === 'computed') {
      setComputed(out, key, evaluate(child.expr, scope));
    } else if (child.kind === 'nested') {
      defineField(out, key, setInValue(child, out[key], scope));
    }
  }
  return out;
}

function setInValue(node: NestedNode, value: unknown, scope: Scope): unknown {
  if (isDocument(value)) return applySet(node, value, scope);
  if (Array.isArray(value)) return value.map((element) => setInValue(node, element, scope));
  return applySet(node, {}, scope);
}

// ---------------------------------------------------------------------------------------------------------------
// $unset

export function compileUnset(spec: unknown): (doc: Document) => Document {
  const paths = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(paths) || !paths.every((p): p is string => typeof p === 'string')) {
    throw mongoError('Location31002', '$unset specification must be a string or an array containing only string values');
  }
  if (paths.length === 0) throw mongoError('Location31119', '$unset specification must be a string or an array with at least one field');
  const root = newNested();
  for (const path of paths) insertNode(root, splitFieldPath(path), { kind: 'exclude' }, path);
  return (doc) => applyExclusion(root, doc);
}
