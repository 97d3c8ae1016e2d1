/**
 * Which top-level fields a copy-on-write document may differ in from the document it was built from. The update
 * engine knows the paths it applied and notes them here; storage then sizes the new document from the old one's
 * size by measuring only those fields. The note names its exact source object: storage uses it only when the record
 * it replaces holds that very object (documents are never mutated, so the rest is shared and unchanged).
 *
 * Only the latest note is kept: an update's result goes to storage before the next document is updated, and a note
 * that is missing (a transaction commits later) only means the whole document is measured.
 */
import type { Document } from '../types';

interface Derivation {
  doc: Document;
  source: Document;
  /** A superset of the top-level fields added, removed or changed; each listed once. */
  fields: readonly string[];
}

let latest: Derivation | undefined;

export function noteDerivation(doc: Document, source: Document, fields: readonly string[]): void {
  latest = { doc, source, fields };
}

/** The top-level fields `doc` may differ in from `source`, when it was noted as built from exactly `source`. */
export function changedFieldsFrom(doc: Document, source: Document): readonly string[] | undefined {
  return latest !== undefined && latest.doc === doc && latest.source === source ? latest.fields : undefined;
}
