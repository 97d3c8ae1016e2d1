/**
 * Applies one leaf operation at one update path, copy-on-write: only the containers along the path are copied,
 * everything else is shared with the input, which is never mutated.
 */
import { defineField } from '../bson/fields';
import { mongoError } from '../errors';
import { isPlainDocument, arrayIndexOf } from '../query/paths';
import type { Document } from '../types';
import { formatElement, formatField } from './format';
import { partText, type PathPart } from './paths';

/** Leaf result: remove the field (an array element becomes null, as in MongoDB). */
export const REMOVE: unique symbol = Symbol('remove');
/** Leaf result: leave the document as it is. */
export const UNCHANGED: unique symbol = Symbol('unchanged');
export type LeafResult = unknown;

export interface ApplyContext {
  /** True when the update builds a new document for an upsert ($setOnInsert applies, `$` has no match). */
  isInsert: boolean;
  /** Index of the array element the query matched, for the positional `$`. */
  positionalIndex?: number;
  now: Date;
}

/** What a leaf operation knows about where it is, for its result and its error messages. */
export interface LeafPlace {
  /** Last field name of the resolved path. */
  field: string;
  /** The resolved dotted path (positional parts replaced by indexes). */
  path: string;
  /** The document being updated, for error messages (`{_id: …}`). */
  root: Document;
  ctx: ApplyContext;
}

export interface LeafOperation {
  /** Whether a missing path is created (set-like operators) or left alone (unset, pull, pop...). */
  readonly creates: boolean;
  /**
   * For operators that do not create: whether a missing path blocked by a value (a scalar, or an array reached with
   * a field name) is an error, as for $pull and $pop, rather than a no-op, as for $unset.
   */
  readonly rejectsBlockedPath?: boolean;
  update(found: boolean, value: unknown, place: LeafPlace): LeafResult;
}

/** Tests an array element against the array filter of identifier `id`. */
export type ArrayFilterTest = (id: string, element: unknown) => boolean;

/** What one update shares with each path it applies. */
export interface WalkHooks {
  filterTest: ArrayFilterTest;
  /** When set, receives the concrete path of every element the operation reaches (to detect runtime conflicts). */
  reached?: (path: string[]) => void;
  /**
   * Documents this update built itself and nobody else holds yet (one update's later operations find the copies its
   * earlier ones made): a field is set on them in place instead of copying all their fields again. Those sets add
   * the copies they make.
   */
  owned?: Set<Document>;
}

interface WalkEnv extends WalkHooks {
  leaf: LeafOperation;
  ctx: ApplyContext;
  root: Document;
}

/** A copy of `doc` with `key` set: an existing field keeps its position, a new one goes last. */
export function withField(doc: Document, key: string, value: unknown): Document {
  // Spread and computed keys define own properties, so even a field named "__proto__" stays a field.
  return { ...doc, [key]: value };
}

export function withoutField(doc: Document, key: string): Document {
  const { [key]: _removed, ...rest } = doc;
  return rest;
}

export function hasField(doc: Document, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key);
}

function positionalName(ctx: ApplyContext): string {
  if (ctx.positionalIndex === undefined) {
    throw mongoError('BadValue', 'The positional operator did not find the match needed from the query.');
  }
  return String(ctx.positionalIndex);
}

function cannotCreate(name: string, trail: string[], value: unknown): never {
  const holder = trail.length > 0 ? formatElement(trail[trail.length - 1], value) : String(value);
  throw mongoError('PathNotViable', `Cannot create field '${name}' in element ${holder}`);
}

/** Whether a `$[]` or `$[id]` part lies ahead: those require the path up to them to exist, whatever the operator. */
function arrayUpdateAhead(parts: PathPart[], i: number): boolean {
  return parts.slice(i).some((part) => part.kind === 'allElements' || part.kind === 'filtered');
}

/** A missing path that a value blocks: an error for creating operators and for $pull/$pop, else a no-op. */
function blockedPath(name: string, parts: PathPart[], i: number, env: WalkEnv, trail: string[], value: unknown): LeafResult {
  if (env.leaf.creates) return cannotCreate(name, trail, value);
  if (!env.leaf.rejectsBlockedPath) return UNCHANGED;
  const fullPath = [...trail, name, ...parts.slice(i + 1).map(partText)].join('.');
  throw mongoError(
    'PathNotViable',
    `Cannot use the part (${name}) of (${fullPath}) to traverse the element (${formatElement(trail[trail.length - 1], value)})`,
  );
}

function walk(found: boolean, value: unknown, parts: PathPart[], i: number, env: WalkEnv, trail: string[]): LeafResult {
  if (i === parts.length) {
    const place: LeafPlace = { field: trail[trail.length - 1], path: trail.join('.'), root: env.root, ctx: env.ctx };
    env.reached?.(trail);
    return env.leaf.update(found, value, place);
  }
  const part = parts[i];
  if (part.kind === 'allElements' || part.kind === 'filtered') return walkElements(found, value, parts, i, env, trail);
  const name = part.kind === 'positional' ? positionalName(env.ctx) : part.name;
  if (!found) {
    const goOn = env.leaf.creates || arrayUpdateAhead(parts, i);
    return goOn ? walkIntoDocument({}, name, parts, i, env, trail, true) : UNCHANGED;
  }
  if (Array.isArray(value)) return walkIntoArray(value, name, parts, i, env, trail);
  if (isPlainDocument(value)) return walkIntoDocument(value, name, parts, i, env, trail, false);
  return blockedPath(name, parts, i, env, trail, value);
}

function walkIntoDocument(
  doc: Document,
  name: string,
  parts: PathPart[],
  i: number,
  env: WalkEnv,
  trail: string[],
  created: boolean,
): LeafResult {
  const found = hasField(doc, name);
  const result = walk(found, found ? doc[name] : undefined, parts, i + 1, env, [...trail, name]);
  if (result === UNCHANGED) return UNCHANGED;
  if (result === REMOVE) return found && !created ? withoutField(doc, name) : UNCHANGED;
  return setField(doc, name, result, env.owned);
}

/** `withField`, but in place on a document of `owned` (the result is then `doc` itself), and a new copy joins it. */
function setField(doc: Document, key: string, value: unknown, owned: Set<Document> | undefined): Document {
  if (owned === undefined) return withField(doc, key, value);
  if (owned.has(doc)) {
    defineField(doc, key, value);
    return doc;
  }
  const copy = withField(doc, key, value);
  owned.add(copy);
  return copy;
}

function walkIntoArray(array: unknown[], name: string, parts: PathPart[], i: number, env: WalkEnv, trail: string[]): LeafResult {
  const index = arrayIndexOf(name);
  if (index === undefined) return blockedPath(name, parts, i, env, trail, array);
  const found = index < array.length;
  const result = walk(found, found ? array[index] : undefined, parts, i + 1, env, [...trail, name]);
  if (result === UNCHANGED) return UNCHANGED;
  if (result === REMOVE && !found) return UNCHANGED;
  const copy = array.slice();
  while (copy.length < index) copy.push(null);
  copy[index] = result === REMOVE ? null : result;
  return copy;
}

function walkElements(found: boolean, value: unknown, parts: PathPart[], i: number, env: WalkEnv, trail: string[]): LeafResult {
  const path = trail.join('.');
  if (!found) {
    throw mongoError('BadValue', `The path '${path}' must exist in the document in order to apply array updates.`);
  }
  if (!Array.isArray(value)) {
    throw mongoError('BadValue', `Cannot apply array updates to non-array element ${formatField(trail[trail.length - 1], value)}`);
  }
  const part = parts[i];
  let copy: unknown[] | undefined;
  value.forEach((element, index) => {
    if (part.kind === 'filtered' && !env.filterTest(part.id, element)) return;
    const result = walk(true, element, parts, i + 1, env, [...trail, String(index)]);
    if (result === UNCHANGED) return;
    copy ??= value.slice();
    copy[index] = result === REMOVE ? null : result;
  });
  return copy ?? UNCHANGED;
}

/**
 * Applies `leaf` at `parts` of `doc`; returns `doc` itself when nothing changed, or when `doc` is one of
 * `hooks.owned` (then changed in place).
 */
export function applyAtPath(
  doc: Document,
  parts: PathPart[],
  leaf: LeafOperation,
  ctx: ApplyContext,
  hooks: WalkHooks,
): Document {
  const env: WalkEnv = { filterTest: hooks.filterTest, reached: hooks.reached, owned: hooks.owned, leaf, ctx, root: doc };
  const result = walk(true, doc, parts, 0, env, []);
  if (result === UNCHANGED || result === REMOVE) return doc;
  return result as Document;
}
