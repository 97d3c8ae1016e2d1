/**
 * `create` with `viewOn`, `collMod` of a view and `drop` of a view: each checks the definition as mongod does
 * (options, names, the pipeline, the view graph) and then writes the one `system.views` document, so a view is
 * created, changed or dropped atomically and durably.
 */
import { validatePipeline } from '../aggregate/pipeline';
import type { PipelineContext } from '../aggregate/stages/types';
import { ErrorCodes, mongoError, MongoServerError, withContext } from '../errors';
import { createCollator } from '../query/collation';
import type { Document } from '../types';
import { documentArray, optionalCollation, typeName } from './args';
import type { Invocation } from './context';
import { definitionDocument, lookupView, SYSTEM_VIEWS, validateViewGraph, viewNamespace, type ViewDefinition } from './views';

const VIEW_CREATE_OPTIONS = new Set(['viewOn', 'pipeline', 'collation']);
const VIEW_MOD_OPTIONS = new Set(['viewOn', 'pipeline']);

function viewOnOf(options: Document, command: string): string | undefined {
  const viewOn = options.viewOn;
  if (viewOn === undefined) return undefined;
  if (typeof viewOn !== 'string') {
    throw mongoError('TypeMismatch', `BSON field '${command}.viewOn' is the wrong type '${typeName(viewOn)}', expected type 'string'`);
  }
  if (viewOn === '') throw mongoError('BadValue', "'viewOn' cannot be empty");
  return viewOn;
}

function pipelineOf(options: Document, command: string): Document[] | undefined {
  return options.pipeline === undefined ? undefined : documentArray(options, 'pipeline', command);
}

/** `create: name` with `viewOn` (and `pipeline`, `collation`): a new view of `inv.db`. */
export async function createView(inv: Invocation, name: string, options: Document): Promise<void> {
  const viewOn = viewOnOf(options, 'create');
  const pipeline = pipelineOf(options, 'create') ?? [];
  if (viewOn === undefined) throw mongoError('InvalidOptions', "'pipeline' requires 'viewOn' to also be specified");
  if (options.idIndex !== undefined) throw mongoError('InvalidOptions', "'idIndex' is not allowed with 'viewOn'");
  const unsupported = Object.keys(options).find((option) => !VIEW_CREATE_OPTIONS.has(option) && option !== 'idIndex');
  if (unsupported !== undefined) throw mongoError('InvalidOptions', `option not supported on a view: ${unsupported}`);
  if (inv.txn) throw mongoError('OperationNotSupportedInTransaction', 'Cannot create a view in a multi-document transaction.');
  if (name === SYSTEM_VIEWS) {
    throw mongoError('InvalidNamespace', `Cannot create a view called '${name}': this is a reserved system namespace`);
  }
  const collation = optionalCollation(options, 'create');
  const storage = inv.ctx.storage;
  const ns = viewNamespace(inv.db, name);
  if (storage.listCollections(inv.db).some((info) => info.name === name)) throw mongoError('NamespaceExists', `Collection ${ns} already exists.`);
  if (lookupView(storage, inv.db, name)) throw mongoError('NamespaceExists', `A view already exists. NS: ${ns}`);
  assertValidViewOn(viewOn);
  if (name.startsWith('system.')) {
    throw mongoError('InvalidNamespace', "View name cannot start with 'system.', which is reserved for system namespaces");
  }
  const view: ViewDefinition = { db: inv.db, name, viewOn, pipeline, collation };
  checkDefinition(view);
  validateViewGraph(storage, view);
  await storage.write(undefined, (batch) => batch.insert(inv.db, SYSTEM_VIEWS, definitionDocument(view)), { durable: inv.durable });
}

/** `collMod` of a view: only `viewOn` and `pipeline` can change (each replaces its own half). */
export async function modifyView(inv: Invocation, view: ViewDefinition, changes: Document): Promise<void> {
  const unsupported = Object.keys(changes).find((option) => !VIEW_MOD_OPTIONS.has(option));
  if (unsupported !== undefined) throw mongoError('InvalidOptions', `option not supported on a view: ${unsupported}`);
  const viewOn = viewOnOf(changes, 'collMod') ?? view.viewOn;
  const pipeline = pipelineOf(changes, 'collMod') ?? view.pipeline;
  assertValidViewOn(viewOn);
  const changed: ViewDefinition = { ...view, viewOn, pipeline };
  checkDefinition(changed);
  validateViewGraph(inv.ctx.storage, changed);
  await inv.ctx.storage.write(undefined, (batch) => batch.replace(inv.db, SYSTEM_VIEWS, definitionDocument(changed)), { durable: inv.durable });
}

export async function dropView(inv: Invocation, view: ViewDefinition): Promise<void> {
  await inv.ctx.storage.write(undefined, (batch) => batch.remove(inv.db, SYSTEM_VIEWS, viewNamespace(view.db, view.name)), { durable: inv.durable });
}

function assertValidViewOn(viewOn: string): void {
  if (viewOn.includes('$') || viewOn.includes('\0') || viewOn.startsWith('.')) {
    throw mongoError('InvalidNamespace', `invalid name for 'viewOn': ${viewOn}`);
  }
}

/**
 * The pipeline must parse as an aggregation and may not write ($out, $merge), start a change stream or produce
 * its own documents. mongod reports unknown stages as they are and the rest "Invalid pipeline for view …".
 */
function checkDefinition(view: ViewDefinition): void {
  const ns = viewNamespace(view.db, view.name);
  const names = view.pipeline.map((stage) => Object.keys(stage)[0]);
  try {
    if (names[0] === '$changeStream') throw mongoError('OptionNotSupportedOnView', '$changeStream cannot be used in a view definition');
    validatePipeline(view.pipeline, validationContext(view));
    const writing = names.findIndex((name) => name === '$out' || name === '$merge');
    if (writing >= 0) {
      throw mongoError(
        'OptionNotSupportedOnView',
        `The aggregation stage ${names[writing]} in location ${writing} of the pipeline cannot be used in the view definition of ${ns} because it writes to disk`,
      );
    }
    if (names.includes('$documents')) throw mongoError('InvalidNamespace', "'$documents' cannot be used in a view definition");
  } catch (err) {
    if (!(err instanceof MongoServerError) || err.code === ErrorCodes.Location40324) throw err;
    throw withContext(err, `Invalid pipeline for view ${ns}`);
  }
}

/** Parsing only: nothing is read or written while a definition is checked. */
function validationContext(view: ViewDefinition): PipelineContext {
  return {
    db: view.db,
    collator: createCollator(view.collation),
    now: new Date(),
    readCollection: () => [],
    writeCollection: async () => undefined,
    prepareMerge: () => async () => undefined,
  };
}
