/**
 * What an update changed, for a change stream's update event (`updateDescription`), computed the way mongod writes
 * its oplog delta; only the paths are kept (the values are the new document's, read when the event is made):
 * - an operator update reports each path an operator wrote, with the value there after the update (a path created
 *   through missing parents is reported at the first missing one; `$push` that only appended reports the new
 *   elements one by one; `$pull`, `$pop`, `$addToSet` report the whole array), and the paths `$unset` or `$rename`
 *   removed;
 * - a pipeline update is diffed field by field, arrays element by element (a shorter array shows in
 *   `truncatedArrays`); a sub-document or array whose diff would be bigger than its new value is reported whole, and
 *   when the whole diff is not smaller than the new document the change is a replacement (undefined: a replace
 *   event), as mongod logs it.
 */
import { calculateObjectSize } from 'bson';
import { isPlainDocument } from '../query/paths';
import type { Document, PathStep, UpdateChange } from '../types';
import { identical } from './identical';
import { hasField } from './walk';

/**
 * What the update that turned `before` into `after` changed; undefined when the change counts as a replacement (a
 * replacement document, or a pipeline update whose diff would not be smaller).
 */
export function describeUpdate(kind: 'operators' | 'replacement' | 'pipeline', update: unknown, before: Document, after: Document): UpdateChange | undefined {
  if (kind === 'replacement') return undefined;
  const builder = new DescriptionBuilder();
  if (kind === 'operators') {
    describeOperatorChanges(before, after, writtenPaths(update as Document), [], builder);
    return builder.finish();
  }
  const diff = diffDocuments(before, after);
  if (!diff || calculateObjectSize(serializeDocDiff(diff)) + DELTA_ENTRY_OVERHEAD >= calculateObjectSize(after)) return undefined;
  describeDocDiff(diff, [], builder);
  return builder.finish();
}

// ------------------------------------------------------------------------------------------- operator updates

/** A path an operator writes; `null` parts are positional (`$`, `$[]`, `$[id]`) and match any array element. */
interface WrittenPath {
  parts: Array<string | null>;
  appends: boolean;
}

function writtenPaths(update: Document): WrittenPath[] {
  const paths: WrittenPath[] = [];
  for (const [operator, fields] of Object.entries(update)) {
    if (!isPlainDocument(fields)) continue;
    for (const [field, value] of Object.entries(fields)) {
      paths.push({ parts: pathParts(field), appends: operator === '$push' && pushOnlyAppends(value) });
      if (operator === '$rename' && typeof value === 'string') paths.push({ parts: pathParts(value), appends: false });
    }
  }
  return paths;
}

function pathParts(path: string): Array<string | null> {
  return path.split('.').map((part) => (part === '$' || part.startsWith('$[') ? null : part));
}

/** `$push` without `$position`, `$sort` or `$slice` only appends (mongod then logs the new elements one by one). */
function pushOnlyAppends(value: unknown): boolean {
  if (!isPlainDocument(value) || !('$each' in value)) return true;
  return Object.keys(value).every((key) => key === '$each');
}

function describeOperatorChanges(before: unknown, after: unknown, paths: WrittenPath[], at: PathStep[], builder: DescriptionBuilder): void {
  const depth = at.length;
  const leaf = paths.find((path) => path.parts.length === depth);
  if (leaf) {
    if (after === MISSING) builder.removed(at);
    else if (leaf.appends && Array.isArray(before) && Array.isArray(after) && appendsTo(before, after)) {
      for (let i = before.length; i < after.length; i++) builder.updated([...at, i]);
    } else builder.updated(at);
    return;
  }
  if (before === MISSING || after === MISSING || !sameContainerKind(before, after)) {
    if (after === MISSING) builder.removed(at);
    else builder.updated(at);
    return;
  }
  for (const step of childSteps(before, after)) {
    const deeper = paths.filter((path) => partMatches(path.parts[depth], step));
    if (deeper.length === 0) continue;
    const b = childOf(before, step);
    const a = childOf(after, step);
    if (b === MISSING && a === MISSING) continue;
    if (b !== MISSING && a !== MISSING && identical(b, a)) continue;
    describeOperatorChanges(b, a, deeper, [...at, step], builder);
  }
}

function appendsTo(before: unknown[], after: unknown[]): boolean {
  return after.length > before.length && before.every((element, i) => identical(element, after[i]));
}

function partMatches(part: string | null | undefined, step: PathStep): boolean {
  if (part === undefined) return false;
  if (part === null) return typeof step === 'number';
  return String(step) === part;
}

// ------------------------------------------------------------------------------------------- pipeline updates

/** mongod's oplog delta entry around the diff (`{$v: 2, diff: …}`), counted against the new document's size. */
const DELTA_ENTRY_OVERHEAD = 15;

interface DocDiff {
  kind: 'document';
  deletes: string[];
  updates: Array<[string, unknown]>;
  inserts: Array<[string, unknown]>;
  children: Array<[string, DocDiff | ArrayDiff]>;
}

interface ArrayDiff {
  kind: 'array';
  newSize?: number;
  updates: Array<[number, unknown]>;
  children: Array<[number, DocDiff | ArrayDiff]>;
}

/** mongod's computeDocDiff: undefined when the diff is not smaller than `after` itself. */
function diffDocuments(before: Document, after: Document): DocDiff | undefined {
  const diff: DocDiff = { kind: 'document', deletes: [], updates: [], inserts: [], children: [] };
  const beforeKeys = Object.keys(before);
  const afterKeys = Object.keys(after);
  const deletes = new Set<string>();
  let b = 0;
  let a = 0;
  while (b < beforeKeys.length && a < afterKeys.length) {
    const key = beforeKeys[b];
    if (key === afterKeys[a]) {
      if (!identical(before[key], after[key])) diffValue(before[key], after[key], key, diff.updates, diff.children);
      b++;
      a++;
    } else {
      // Not in this position: removed, unless it comes back later as an insert (which moves it to the end).
      deletes.add(key);
      b++;
    }
  }
  for (; b < beforeKeys.length; b++) diff.deletes.push(beforeKeys[b]);
  for (; a < afterKeys.length; a++) {
    diff.inserts.push([afterKeys[a], after[afterKeys[a]]]);
    deletes.delete(afterKeys[a]);
  }
  diff.deletes.push(...deletes);
  return smallerThan(serializeDocDiff(diff), after) ? diff : undefined;
}

/** mongod's computeArrayDiff: undefined when the diff is not smaller than `after` itself. */
function diffArrays(before: unknown[], after: unknown[]): ArrayDiff | undefined {
  const diff: ArrayDiff = { kind: 'array', updates: [], children: [] };
  const shared = Math.min(before.length, after.length);
  for (let i = 0; i < shared; i++) if (!identical(before[i], after[i])) diffValue(before[i], after[i], i, diff.updates, diff.children);
  for (let i = shared; i < after.length; i++) diff.updates.push([i, after[i]]);
  if (before.length > after.length) diff.newSize = after.length;
  return smallerThan(serializeArrayDiff(diff), after) ? diff : undefined;
}

/** Two different values at one place: a sub-diff when both are documents or both arrays and it pays, else the new value. */
function diffValue<K>(before: unknown, after: unknown, key: K, updates: Array<[K, unknown]>, children: Array<[K, DocDiff | ArrayDiff]>): void {
  let child: DocDiff | ArrayDiff | undefined;
  if (isPlainDocument(before) && isPlainDocument(after)) child = diffDocuments(before, after);
  else if (Array.isArray(before) && Array.isArray(after)) child = diffArrays(before, after);
  if (child) children.push([key, child]);
  else updates.push([key, after]);
}

function smallerThan(diff: Document, value: Document | unknown[]): boolean {
  return calculateObjectSize(diff) < calculateObjectSize(Array.isArray(value) ? { ...value } : value);
}

/** The diff as mongod serialises it in the oplog (its size decides whether it is used). */
function serializeDocDiff(diff: DocDiff): Document {
  const out: Document = {};
  if (diff.deletes.length) out.d = Object.fromEntries(diff.deletes.map((key) => [key, false]));
  if (diff.updates.length) out.u = Object.fromEntries(diff.updates);
  if (diff.inserts.length) out.i = Object.fromEntries(diff.inserts);
  for (const [key, child] of diff.children) out[`s${key}`] = serializeChild(child);
  return out;
}

function serializeArrayDiff(diff: ArrayDiff): Document {
  const out: Document = { a: true };
  if (diff.newSize !== undefined) out.l = diff.newSize;
  for (const [index, value] of diff.updates) out[`u${index}`] = value;
  for (const [index, child] of diff.children) out[`s${index}`] = serializeChild(child);
  return out;
}

function serializeChild(child: DocDiff | ArrayDiff): Document {
  return child.kind === 'document' ? serializeDocDiff(child) : serializeArrayDiff(child);
}

/** mongod's change_stream_document_diff_parser: updates and inserts, then deletes, then the sub-diffs. */
function describeDocDiff(diff: DocDiff, at: PathStep[], builder: DescriptionBuilder): void {
  for (const [key] of diff.updates) builder.updated([...at, key]);
  for (const [key] of diff.inserts) builder.updated([...at, key]);
  for (const key of diff.deletes) builder.removed([...at, key]);
  for (const [key, child] of diff.children) describeChild(child, [...at, key], builder);
}

function describeChild(child: DocDiff | ArrayDiff, at: PathStep[], builder: DescriptionBuilder): void {
  if (child.kind === 'document') {
    describeDocDiff(child, at, builder);
    return;
  }
  if (child.newSize !== undefined) builder.truncated(at, child.newSize);
  const entries: Array<[number, DocDiff | ArrayDiff | undefined]> = [
    ...child.updates.map(([index]): [number, undefined] => [index, undefined]),
    ...child.children.map(([index, sub]): [number, DocDiff | ArrayDiff] => [index, sub]),
  ];
  entries.sort((x, y) => x[0] - y[0]);
  for (const [index, sub] of entries) {
    if (sub) describeChild(sub, [...at, index], builder);
    else builder.updated([...at, index]);
  }
}

// ------------------------------------------------------------------------------------------- shared

const MISSING = Symbol('missing');

function childOf(container: unknown, step: PathStep): unknown {
  if (Array.isArray(container)) return typeof step === 'number' && step < container.length ? container[step] : MISSING;
  if (isPlainDocument(container) && typeof step === 'string' && hasField(container, step)) return container[step];
  return MISSING;
}

function sameContainerKind(a: unknown, b: unknown): boolean {
  return (Array.isArray(a) && Array.isArray(b)) || (isPlainDocument(a) && isPlainDocument(b));
}

/** The fields (in the new order, then removed ones) or indexes both versions have between them. */
function childSteps(before: unknown, after: unknown): PathStep[] {
  if (Array.isArray(before) && Array.isArray(after)) return Array.from({ length: Math.max(before.length, after.length) }, (_, i) => i);
  const keys = Object.keys(after as Document);
  for (const key of Object.keys(before as Document)) if (!hasField(after as Document, key)) keys.push(key);
  return keys;
}

/** Collects the changed paths. */
class DescriptionBuilder {
  private readonly change: UpdateChange = { updated: [], removed: [], truncated: [] };

  updated(at: PathStep[]): void {
    this.change.updated.push(at);
  }

  removed(at: PathStep[]): void {
    this.change.removed.push(at);
  }

  truncated(at: PathStep[], newSize: number): void {
    this.change.truncated.push({ path: at, newSize });
  }

  finish(): UpdateChange {
    return this.change;
  }
}
