/** Collection validators (`create`/`collMod` `validator`, `validationLevel`, `validationAction`) applied to writes. */
import { mongoError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter } from '../query/matcher';
import type { Document, StorageEngine } from '../types';
import { isDocument } from './args';
import type { Logger } from './context';

/** Checks a document about to be written; `before` is the stored version for updates. Throws 121. */
export type DocumentCheck = (doc: Document, before?: Document) => void;

const allowAll: DocumentCheck = () => undefined;

export function documentValidator(
  storage: StorageEngine,
  db: string,
  coll: string,
  bypass: boolean,
  logger: Logger,
): DocumentCheck {
  if (bypass) return allowAll;
  const options = storage.collectionOptions(db, coll);
  const validator = options?.validator;
  if (!isDocument(validator) || Object.keys(validator).length === 0) return allowAll;
  const level = options?.validationLevel ?? 'strict';
  if (level === 'off') return allowAll;
  const warnOnly = options?.validationAction === 'warn';
  // A validator compares strings under the collection's default collation, as in mongod.
  const matcher = compileFilter(validator, { collator: createCollator(options?.collation) });
  return (doc, before) => {
    // "moderate" leaves documents that were already invalid alone.
    if (before && level === 'moderate' && !matcher.test(before)) return;
    if (matcher.test(doc)) return;
    if (warnOnly) {
      logger.warn({ ns: `${db}.${coll}`, id: String(doc._id) }, 'document failed validation (validationAction: warn)');
      return;
    }
    throw mongoError('DocumentValidationFailure', 'Document failed validation', {
      errInfo: { failingDocumentId: doc._id, details: { operatorName: Object.keys(validator)[0] } },
    });
  };
}
