/** findAndModify: one document updated or removed atomically, returning its old or new version. */
import { mongoError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter, TEXT_SEARCH_MATCHED } from '../query/matcher';
import { compileProjection } from '../query/projection';
import type { Document } from '../types';
import {
  collectionArg,
  isDocument,
  optionalArray,
  optionalBoolean,
  optionalCollation,
  optionalDocument,
  optionalHint,
} from './args';
import type { CommandHandler } from './context';
import { collationFor, findSorted, optionalLet, plainScope } from './matching';
import { assertNotView } from './views';
import { applyUpdate, validatorOf } from './writes';

interface FindAndModifyResult {
  value: Document | null;
  lastErrorObject: Document;
}

const findAndModify: CommandHandler = async (inv) => {
  const name = inv.name;
  const coll = collectionArg(inv.body, name);
  assertNotView(inv.ctx.storage, inv.db, coll);
  const query = optionalDocument(inv.body, 'query', name) ?? {};
  const sort = optionalDocument(inv.body, 'sort', name);
  const fields = optionalDocument(inv.body, 'fields', name);
  const remove = optionalBoolean(inv.body, 'remove', name) ?? false;
  const returnNew = optionalBoolean(inv.body, 'new', name) ?? false;
  const upsert = optionalBoolean(inv.body, 'upsert', name) ?? false;
  const collation = collationFor(inv, coll, optionalCollation(inv.body, name));
  const hint = optionalHint(inv.body, name);
  const arrayFilters = optionalArray(inv.body, 'arrayFilters', name);
  const update = inv.body.update;
  const hasUpdate = update !== undefined && update !== null;
  if (remove && hasUpdate) throw mongoError('FailedToParse', 'Cannot specify both an update and remove=true');
  if (!remove && !hasUpdate) throw mongoError('FailedToParse', 'Either an update or remove=true must be specified');
  if (remove && returnNew) {
    throw mongoError('FailedToParse', "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  }
  if (remove && upsert) throw mongoError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  if (hasUpdate && !isDocument(update) && !(Array.isArray(update) && update.every(isDocument))) {
    throw mongoError('FailedToParse', 'Update argument must be either an object or an array');
  }
  if (arrayFilters && !arrayFilters.every(isDocument)) throw mongoError('FailedToParse', 'arrayFilters must be objects');
  const collator = createCollator(collation);
  const now = new Date();
  const variables = optionalLet(inv.body, name, now, collator);
  const project = fields && Object.keys(fields).length
    ? compileProjection(fields, { matcher: compileFilter(query, { collator, now, variables, text: TEXT_SEARCH_MATCHED }), collator, now, variables })
    : (doc: Document) => doc;

  const validate = remove ? () => undefined : validatorOf(inv, coll);
  const result = await inv.ctx.storage.write(
    inv.txn,
    (batch): FindAndModifyResult => {
      if (remove) {
        const { docs } = findSorted((request) => batch.find(inv.db, coll, request), { filter: query, sort, collation, hint }, plainScope(collator, now, variables));
        const target = docs[0];
        if (!target) return { value: null, lastErrorObject: { n: 0 } };
        batch.remove(inv.db, coll, target._id);
        return { value: project(target), lastErrorObject: { n: 1 } };
      }
      const outcome = applyUpdate(
        batch,
        inv.db,
        coll,
        { q: query, u: update as Document | Document[], multi: false, upsert, arrayFilters: arrayFilters as Document[] | undefined, collation, hint, variables },
        validate,
        { now, sort },
      );
      if (outcome.upsertedId !== undefined) {
        return {
          value: returnNew && outcome.after ? project(outcome.after) : null,
          lastErrorObject: { n: 1, updatedExisting: false, upserted: outcome.upsertedId },
        };
      }
      if (outcome.matched === 0) return { value: null, lastErrorObject: { n: 0, updatedExisting: false } };
      const chosen = returnNew ? outcome.after : outcome.before;
      return { value: chosen ? project(chosen) : null, lastErrorObject: { n: 1, updatedExisting: true } };
    },
    { durable: inv.durable },
  );
  return { lastErrorObject: result.lastErrorObject, value: result.value, ok: 1 };
};

export const findAndModifyCommands: Record<string, CommandHandler> = {
  findAndModify,
  findandmodify: findAndModify,
};
