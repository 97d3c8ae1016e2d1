/**
 * Find projections with MongoDB 4.4+ semantics.
 *
 * `1`/`true` (any non-zero number) includes, `0`/`false` excludes; any other value (a string, `null`, an
 * expression object) is a computed field evaluated as an aggregation expression. Inclusion and exclusion cannot
 * be mixed, except for `_id`, which is included unless excluded explicitly. `$slice` works in both modes (alone it
 * keeps every other field); `$elemMatch` and positional `a.$` are inclusions. Nested paths go through arrays of
 * documents. The input document is never modified; the result may share unchanged sub-values with it.
 */
import type { Collator, Document } from '../types';
import { mongoError } from '../errors';
import { isNumeric } from '../bson/compare';
import { double } from '../bson/double';
import { defineField } from '../bson/fields';
import { compileFilter, type Matcher } from './matcher';
import { isPlainDocument, splitPath } from './paths';
import { checkExpression, loadEvaluateExpression } from './expression-loader';
import { checkMetaName, mentionsTextScore, textScoreUnavailable } from '../text/metadata';

export interface ProjectionOptions {
  /** The query's matcher: needed for positional (`a.$`) projections. */
  matcher?: Matcher;
  collator?: Collator;
  /** `$$NOW` in computed fields: pass the command's clock; defaults to the instant the projection is compiled. */
  now?: Date;
  /** `$$name` variables in computed fields (the command's `let`). */
  variables?: Record<string, unknown>;
  /**
   * The text score of a document a `$text` search returned, for `{$meta: 'textScore'}`; without it (no `$text` in
   * the query) asking for the score is 40218.
   */
  textScore?: (doc: Document) => number | undefined;
}

export type Projector = (doc: Document) => Document;

type Leaf =
  | { kind: 'include' }
  | { kind: 'exclude' }
  | { kind: 'computed'; expr: unknown }
  | { kind: 'slice'; skip: number | undefined; limit: number }
  | { kind: 'elemMatch'; matches: (element: unknown) => boolean }
  | { kind: 'positional' }
  | { kind: 'textScore' };

interface Tree {
  kind: 'tree';
  children: Map<string, Node>;
  hasComputed?: boolean;
}

type Node = Leaf | Tree;

type Mode = 'inclusion' | 'exclusion';

const OPERATORS = new Set(['$slice', '$elemMatch', '$meta']);

function badValue(message: string): never {
  throw mongoError('BadValue', message);
}

/** Builds a projector; `{}` or undefined gives the identity. Throws MongoServerError for invalid projections. */
export function compileProjection(projection: unknown, options: ProjectionOptions = {}): Projector {
  if (projection === undefined || projection === null) return (doc) => doc;
  if (!isPlainDocument(projection)) badValue('projection must be an object');
  if (Object.keys(projection).length === 0) return (doc) => doc;
  if (!options.textScore && mentionsTextScore(projection)) throw textScoreUnavailable();
  const parsed = new ProjectionParser(options).parse(projection);
  const expression = { now: options.now ?? new Date(), collator: options.collator, variables: options.variables };
  return (doc) => applyProjection(doc, parsed, options.matcher, { ...expression, textScore: options.textScore?.(doc) });
}

interface ParsedProjection {
  mode: Mode;
  root: Tree;
  positionalPath: string[] | undefined;
}

class ProjectionParser {
  private mode: Mode | undefined;
  private idLeaf: Leaf | undefined;
  private positionalPath: string[] | undefined;
  private readonly root: Tree = { kind: 'tree', children: new Map() };

  constructor(private readonly options: ProjectionOptions) {}

  parse(projection: Document): ParsedProjection {
    this.addEntries(projection, []);
    const mode: Mode = this.mode ?? (this.idLeaf?.kind === 'include' ? 'inclusion' : 'exclusion');
    const idNode = this.root.children.get('_id');
    if (!idNode && mode === 'inclusion') this.root.children.set('_id', { kind: 'include' });
    return { mode, root: this.root, positionalPath: this.positionalPath };
  }

  private addEntries(spec: Document, prefix: string[]): void {
    for (const [key, value] of Object.entries(spec)) {
      if (key === '') badValue('FieldPath cannot be constructed with empty string');
      if (key.startsWith('$')) badValue(`FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
      this.addField([...prefix, ...splitPath(key)], value);
    }
  }

  private addField(path: string[], value: unknown): void {
    if (path.some((part) => part === '')) badValue(`FieldPath field names may not be empty strings.`);
    const last = path[path.length - 1];
    if (last === '$') {
      this.addPositional(path.slice(0, -1), value);
      return;
    }
    if (path.includes('$')) badValue(`Positional projection '${path.join('.')}' contains the positional operator in the middle of the path`);
    if (isPlainDocument(value)) {
      this.addObjectValue(path, value);
      return;
    }
    if (typeof value === 'boolean' || isNumeric(value)) {
      this.addFlag(path, typeof value === 'boolean' ? value : Number(value) !== 0);
      return;
    }
    this.addComputed(path, value);
  }

  private addObjectValue(path: string[], value: Document): void {
    const keys = Object.keys(value);
    if (keys.length === 0) {
      throw mongoError('Location51270', `An empty sub-projection is not a valid value. Found empty object at path ${path.join('.')}`);
    }
    if (!keys[0].startsWith('$')) {
      this.addEntries(value, path);
      return;
    }
    if (OPERATORS.has(keys[0])) {
      if (keys.length > 1) badValue(`Projection operator ${keys[0]} must be the only field of its object at path ${path.join('.')}`);
      this.addOperator(path, keys[0], value[keys[0]]);
      return;
    }
    this.addComputed(path, value);
  }

  private addOperator(path: string[], op: string, operand: unknown): void {
    const dotted = path.join('.');
    if (op === '$meta') {
      // A $meta field decides neither inclusion nor exclusion (find's rule: alone, it is an exclusion projection).
      checkMetaName(operand);
      this.insert(path, { kind: 'textScore' });
      return;
    }
    if (op === '$slice') {
      this.insert(path, parseSlice(operand));
      return;
    }
    if (path.length > 1) badValue(`Cannot use $elemMatch projection on a nested field: ${dotted}`);
    if (!isPlainDocument(operand)) badValue('elemMatch: Invalid argument, object required.');
    this.setMode('inclusion', dotted);
    this.insert(path, { kind: 'elemMatch', matches: elementMatcher(operand, this.options.collator) });
  }

  private addPositional(path: string[], value: unknown): void {
    const dotted = `${path.join('.')}.$`;
    if (path.length === 0) badValue("FieldPath field names may not start with '$'.");
    if (path.includes('$')) badValue(`Positional projection '${dotted}' may only contain one positional operator`);
    if (!(value === true || (isNumeric(value) && Number(value) !== 0))) {
      throw mongoError('Location31395', 'positional projection cannot be used with exclusion');
    }
    if (this.positionalPath) throw mongoError('Location31276', 'Cannot specify more than one positional projection per query.');
    this.setMode('inclusion', dotted);
    this.positionalPath = path;
    this.insert(path, { kind: 'positional' });
  }

  private addFlag(path: string[], include: boolean): void {
    const dotted = path.join('.');
    if (dotted === '_id') {
      const leaf: Leaf = { kind: include ? 'include' : 'exclude' };
      this.idLeaf = leaf;
      this.insert(path, leaf);
      return;
    }
    this.setMode(include ? 'inclusion' : 'exclusion', dotted);
    this.insert(path, { kind: include ? 'include' : 'exclude' });
  }

  private addComputed(path: string[], expr: unknown): void {
    checkExpression(expr);
    this.setMode('inclusion', path.join('.'));
    this.insert(path, { kind: 'computed', expr });
  }

  private setMode(wanted: Mode, dotted: string): void {
    if (this.mode === undefined) this.mode = wanted;
    if (this.mode === wanted) return;
    if (this.mode === 'inclusion') {
      throw mongoError('Location31254', `Cannot do exclusion on field ${dotted} in inclusion projection`);
    }
    throw mongoError('Location31253', `Cannot do inclusion on field ${dotted} in exclusion projection`);
  }

  private insert(path: string[], leaf: Leaf): void {
    let tree = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      const existing = tree.children.get(path[i]);
      if (existing === undefined) {
        const child: Tree = { kind: 'tree', children: new Map() };
        tree.children.set(path[i], child);
        tree = child;
      } else if (existing.kind === 'tree') {
        tree = existing;
      } else {
        throw mongoError('Location31250', `Path collision at ${path.join('.')} remaining portion ${path.slice(i + 1).join('.')}`);
      }
    }
    const last = path[path.length - 1];
    if (tree.children.has(last)) throw mongoError('Location31250', `Path collision at ${path.join('.')}`);
    tree.children.set(last, leaf);
  }
}

function sliceNumber(v: unknown, what: string): number {
  if (!isNumeric(v)) badValue(`$slice ${what} must be a number`);
  const n = Number(v);
  if (Number.isNaN(n)) badValue(`$slice ${what} must be a number`);
  return Math.trunc(n);
}

function parseSlice(operand: unknown): Leaf {
  if (Array.isArray(operand)) {
    if (operand.length !== 2) badValue('$slice array wrong size');
    const skip = sliceNumber(operand[0], 'skip');
    const limit = sliceNumber(operand[1], 'limit');
    if (limit <= 0) badValue(`$slice limit must be positive`);
    return { kind: 'slice', skip, limit };
  }
  if (!isNumeric(operand)) badValue('$slice only supports numbers and [skip, limit] arrays');
  return { kind: 'slice', skip: undefined, limit: sliceNumber(operand, 'argument') };
}

function elementMatcher(spec: Document, collator: Collator | undefined): (element: unknown) => boolean {
  const matcher = compileFilter({ element: { $elemMatch: spec } }, { collator });
  return (element) => matcher.test({ element: [element] });
}

// ---------------------------------------------------------------------------------------------------------------
// Application

function sliceArray(values: unknown[], leaf: { skip: number | undefined; limit: number }): unknown[] {
  if (leaf.skip === undefined) {
    return leaf.limit >= 0 ? values.slice(0, leaf.limit) : values.slice(Math.max(values.length + leaf.limit, 0));
  }
  const start = leaf.skip >= 0 ? Math.min(leaf.skip, values.length) : Math.max(values.length + leaf.skip, 0);
  return values.slice(start, start + leaf.limit);
}

/** Slices the arrays reached by the rest of a `$slice` path; arrays of documents are descended into. */
function applySlice(value: unknown, leaf: Extract<Leaf, { kind: 'slice' }>): unknown {
  return Array.isArray(value) ? sliceArray(value, leaf) : value;
}

function applyElemMatch(value: unknown, leaf: Extract<Leaf, { kind: 'elemMatch' }>): unknown {
  if (!Array.isArray(value)) return undefined;
  const found = value.find((element) => leaf.matches(element));
  return found === undefined ? undefined : [found];
}

/** Asked per document and array element: remembered on the tree, which no longer changes once the projection is parsed. */
function hasComputed(tree: Tree): boolean {
  tree.hasComputed ??= [...tree.children.values()].some((node) => node.kind === 'computed' || node.kind === 'textScore' || (node.kind === 'tree' && hasComputed(node)));
  return tree.hasComputed;
}

interface ApplyContext {
  root: Document;
  expression: { now: Date; collator: Collator | undefined; variables: Record<string, unknown> | undefined; textScore: number | undefined };
}

function includeValue(value: unknown, node: Node, ctx: ApplyContext): unknown {
  switch (node.kind) {
    case 'include':
    case 'positional':
      return value;
    case 'exclude':
    case 'computed':
    case 'textScore':
      return undefined;
    case 'slice':
      return applySlice(value, node);
    case 'elemMatch':
      return applyElemMatch(value, node);
    case 'tree':
      return includeNested(value, node, ctx);
  }
}

/** Inclusion below a field: documents are projected, arrays element-wise (dropping scalars), scalars vanish. */
function includeNested(value: unknown, tree: Tree, ctx: ApplyContext): unknown {
  if (isPlainDocument(value)) return includeFields(value, tree, ctx);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      if (isPlainDocument(element) || Array.isArray(element)) out.push(includeNested(element, tree, ctx));
      else if (hasComputed(tree)) out.push(includeFields({}, tree, ctx));
    }
    return out;
  }
  return hasComputed(tree) ? includeFields({}, tree, ctx) : undefined;
}

function includeFields(doc: Document, tree: Tree, ctx: ApplyContext): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const node = tree.children.get(key);
    if (!node) continue;
    const projected = includeValue(value, node, ctx);
    if (projected !== undefined) defineField(out, key, projected);
  }
  for (const [key, node] of tree.children) {
    if (node.kind === 'computed') {
      const computed = loadEvaluateExpression()(node.expr, ctx.root, ctx.expression.variables, ctx.expression);
      if (computed !== undefined) defineField(out, key, computed);
    } else if (node.kind === 'textScore') {
      // A text score is always a double (1.0 too).
      if (ctx.expression.textScore !== undefined) defineField(out, key, double(ctx.expression.textScore));
    } else if (node.kind === 'tree' && hasComputed(node) && !Object.prototype.hasOwnProperty.call(out, key)) {
      defineField(out, key, includeFields({}, node, ctx));
    }
  }
  return out;
}

function excludeValue(value: unknown, node: Node, textScore: number | undefined): unknown {
  switch (node.kind) {
    case 'exclude':
      return undefined;
    case 'slice':
      return applySlice(value, node);
    case 'tree':
      return excludeNested(value, node, textScore);
    case 'textScore':
      return textScore;
    default:
      return value;
  }
}

/** Exclusion below a field: documents lose the excluded fields, arrays element-wise, scalars stay. */
function excludeNested(value: unknown, tree: Tree, textScore: number | undefined): unknown {
  if (isPlainDocument(value)) return excludeFields(value, tree, textScore);
  if (Array.isArray(value)) return value.map((element) => excludeNested(element, tree, textScore));
  return value;
}

/** Excluded fields go; `$meta` fields are set (in place when the document has the field, else after the others). */
function excludeFields(doc: Document, tree: Tree, textScore: number | undefined): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const node = tree.children.get(key);
    const projected = node ? excludeValue(value, node, textScore) : value;
    if (projected !== undefined) defineField(out, key, projected);
  }
  for (const [key, node] of tree.children) {
    if (node.kind === 'textScore' && textScore !== undefined && !Object.prototype.hasOwnProperty.call(out, key)) defineField(out, key, textScore);
  }
  return out;
}

function positionalNotFound(): Error {
  return mongoError(
    'Location51246',
    "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array",
  );
}

/** Replaces the first array on `path` in the (already projected) result by its element at `index`. */
function keepPositionalElement(value: unknown, path: string[], i: number, index: number | undefined): unknown {
  if (Array.isArray(value)) {
    if (index === undefined || index >= value.length) throw positionalNotFound();
    return [value[index]];
  }
  if (i === path.length || !isPlainDocument(value) || !Object.prototype.hasOwnProperty.call(value, path[i])) return value;
  const out: Document = { ...value };
  defineField(out, path[i], keepPositionalElement(value[path[i]], path, i + 1, index));
  return out;
}

function applyProjection(doc: Document, parsed: ParsedProjection, matcher: Matcher | undefined, expression: ApplyContext['expression']): Document {
  const ctx: ApplyContext = { root: doc, expression };
  if (parsed.mode === 'exclusion') return excludeFields(doc, parsed.root, expression.textScore);
  const projected = includeFields(doc, parsed.root, ctx);
  if (!parsed.positionalPath) return projected;
  if (!matcher) throw positionalNotFound();
  const index = matcher.positionalIndex(doc);
  return keepPositionalElement(projected, parsed.positionalPath, 0, index) as Document;
}
