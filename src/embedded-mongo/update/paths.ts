/**
 * Update paths: parsing and validation of dotted paths with positional parts (`$`, `$[]`, `$[id]`), the conflict
 * check between paths of one update, and the order in which MongoDB (5.0+) applies them.
 */
import { mongoError } from '../errors';
import { arrayIndexOf } from '../query/paths';

export type PathPart =
  | { kind: 'field'; name: string }
  | { kind: 'positional' }
  | { kind: 'allElements' }
  | { kind: 'filtered'; id: string };

export interface UpdatePath {
  text: string;
  parts: PathPart[];
}

const FILTERED_RE = /^\$\[([^\]]*)\]$/;

function parsePart(name: string): PathPart {
  if (name === '$') return { kind: 'positional' };
  if (name === '$[]') return { kind: 'allElements' };
  const filtered = FILTERED_RE.exec(name);
  if (filtered) return { kind: 'filtered', id: filtered[1] };
  return { kind: 'field', name };
}

export function partText(part: PathPart): string {
  switch (part.kind) {
    case 'field':
      return part.name;
    case 'positional':
      return '$';
    case 'allElements':
      return '$[]';
    case 'filtered':
      return `$[${part.id}]`;
  }
}

export function isDynamicPart(part: PathPart): boolean {
  return part.kind !== 'field';
}

function assertNonEmptyParts(path: string, names: string[]): void {
  if (path === '') throw mongoError('EmptyFieldName', 'An empty update path is not valid.');
  if (names.some((name) => name === '')) {
    throw mongoError('EmptyFieldName', `The update path '${path}' contains an empty field name, which is not allowed.`);
  }
}

function assertPositionalParts(path: string, parts: PathPart[]): void {
  const first = parts[0];
  if (first.kind === 'positional') {
    throw mongoError('BadValue', `Cannot have positional (i.e. '$') element in the first position in path '${path}'`);
  }
  if (first.kind === 'allElements' || first.kind === 'filtered') {
    throw mongoError('BadValue', `Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '${path}'`);
  }
  if (parts.filter((p) => p.kind === 'positional').length > 1) {
    throw mongoError('BadValue', `Too many positional (i.e. '$') elements found in path '${path}'`);
  }
}

/** Parses and validates the path of an update operator's field. */
export function parseUpdatePath(path: string): UpdatePath {
  const names = path.split('.');
  assertNonEmptyParts(path, names);
  const parts = names.map(parsePart);
  assertPositionalParts(path, parts);
  return { text: path, parts };
}

/** The identifiers of `$[id]` parts, in order. */
export function filterIdentifiers(path: UpdatePath): string[] {
  return path.parts.flatMap((part) => (part.kind === 'filtered' ? [part.id] : []));
}

interface PathNode {
  kind: 'leaf' | 'object' | 'array';
  children: Map<string, PathNode>;
}

/** The tree key of a part: `$[]` and `$[id]` are children of an array node, `$` is the positional child. */
function nodeName(part: PathPart): string {
  switch (part.kind) {
    case 'field':
      return `.${part.name}`;
    case 'positional':
      return '$';
    case 'allElements':
      return '[';
    case 'filtered':
      return `[${part.id}`;
  }
}

function isArrayPart(part: PathPart): boolean {
  return part.kind === 'allElements' || part.kind === 'filtered';
}

/**
 * Merges every path an update touches into one tree, as mongod does, and rejects a path that meets another one's
 * leaf, meets an embedded-document node where it needs an array node (or the reverse), or repeats a path:
 * MongoDB's 40 ConflictingUpdateOperators.
 */
export class PathRegistry {
  private readonly root: PathNode = { kind: 'object', children: new Map() };

  add(path: UpdatePath): void {
    const conflict = (upTo: number): never => {
      const at = path.parts.slice(0, upTo).map(partText).join('.');
      throw mongoError('ConflictingUpdateOperators', `Updating the path '${path.text}' would create a conflict at '${at}'`);
    };
    let current = this.root;
    const last = path.parts.length - 1;
    for (let i = 0; i < last; i++) {
      const kind = isArrayPart(path.parts[i + 1]) ? 'array' : 'object';
      let child = current.children.get(nodeName(path.parts[i]));
      if (child && child.kind !== kind) conflict(i + 1);
      if (!child) {
        child = { kind, children: new Map() };
        current.children.set(nodeName(path.parts[i]), child);
      }
      current = child;
    }
    if (current.children.has(nodeName(path.parts[last]))) conflict(last + 1);
    current.children.set(nodeName(path.parts[last]), { kind: 'leaf', children: new Map() });
  }
}

/** MongoDB applies updates in path order: numeric names numerically, other names lexicographically. */
export function comparePaths(a: UpdatePath, b: UpdatePath): number {
  const n = Math.min(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const x = partText(a.parts[i]);
    const y = partText(b.parts[i]);
    if (x === y) continue;
    const xi = arrayIndexOf(x);
    const yi = arrayIndexOf(y);
    if (xi !== undefined && yi !== undefined) return xi - yi;
    return x < y ? -1 : 1;
  }
  return a.parts.length - b.parts.length;
}
