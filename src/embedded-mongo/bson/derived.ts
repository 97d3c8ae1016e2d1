/**
 * Which top-level fields a copy-on-write document may differ in from the document it was built from. The update
 * engine knows the paths it applied and notes them here; storage then sizes the new document from the old one's
 * size by measuring only those fields. The note names its exact source object: storage uses it only when the record
 * it replaces holds that very object (documents are never mutated, so the rest is shared and unchanged).
 */
import type { Document } from '../types';

interface Derivation {
  source: Document;
  /** A superset of the top-level fields added, removed or changed; each listed once. */
  fields: readonly string[];
}

const derivations = new WeakMap<Document, Derivation>();

export function noteDerivation(doc: Document, source: Document, fields: readonly string[]): void {
  derivations.set(doc, { source, fields });
}

/** The top-level fields `doc` may differ in from `source`, when it was noted as built from exactly `source`. */
export function changedFieldsFrom(doc: Document, source: Document): readonly string[] | undefined {
  const derivation = derivations.get(doc);
  return derivation?.source === source ? derivation.fields : undefined;
}
