import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';
import { IDENTIFIER_KINDS } from './identifiers';

export const SUPPLIER_LANGUAGES = ['sv', 'en'] as const;
export type SupplierLanguage = (typeof SUPPLIER_LANGUAGES)[number];

/** A person at the supplier who receives questionnaires, in their own language. */
const contactSchema = new Schema({
  name: { type: String, required: true, trim: true, maxlength: 200 },
  email: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
  language: { type: String, enum: SUPPLIER_LANGUAGES, required: true, default: 'sv' },
});

/** A place where the supplier makes what it sells (audits happen at sites). */
const siteSchema = new Schema({
  name: { type: String, required: true, trim: true, maxlength: 200 },
  /** ISO 3166-1 alpha-2. */
  country: { type: String, required: true, uppercase: true, match: /^[A-Z]{2}$/ },
  address: { type: String, trim: true, maxlength: 500, default: '' },
  /** What is made there (products, processes), searchable. */
  products: { type: String, trim: true, maxlength: 1000, default: '' },
});

/** A supplier of one buyer organisation; the same company supplying two buyers is two records. */
const supplierSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    /** ISO 3166-1 alpha-2. */
    country: { type: String, required: true, uppercase: true, match: /^[A-Z]{2}$/ },
    /**
     * Normalised (src/suppliers/identifiers.ts): a Swedish organisationsnummer `NNNNNN-NNNN`, a VAT number, another
     * id, or '' for a foreign supplier without one (`identifierKind` says which).
     */
    organisationNumber: { type: String, trim: true, maxlength: 50, default: '' },
    identifierKind: { type: String, enum: IDENTIFIER_KINDS, required: true },
    sector: { type: String, trim: true, maxlength: 200, default: '' },
    contacts: {
      type: [contactSchema],
      required: true,
      validate: { validator: (contacts: unknown[]) => contacts.length > 0, message: 'a supplier needs at least one contact' },
    },
    sites: { type: [siteSchema], default: [] },
    tags: { type: [String], default: [] },
    /** Suppliers with history are never deleted, only archived. */
    archivedAt: { type: Date, default: null },
    /** The identifier (or, without one, name + country) in one spelling: unique per organisation. */
    duplicateKey: { type: String, required: true },
    /** Name, identifier, contacts, sites and products folded for search (lower case, no diacritics). */
    searchText: { type: String, required: true },
    /** The name as a key whose plain byte order is Swedish alphabetical order (Å, Ä, Ö after Z). */
    nameSortKey: { type: String, required: true },
    /** Bumped by every edit: an edit made from an older revision is refused instead of overwriting another's. */
    revision: { type: Number, required: true, default: 1 },
    /** Kept by the campaigns and responses domains through `noteSupplierInvited` / `noteSupplierResponded`. */
    lastInvitedAt: { type: Date, default: null },
    lastResponseAt: { type: Date, default: null },
    /** The import that created the supplier, if one did. */
    importId: { type: Schema.Types.ObjectId, default: undefined },
    /** Set while the import creating the supplier is not committed: every register read leaves such suppliers out. */
    pendingImportId: { type: Schema.Types.ObjectId, default: undefined },
  },
  { timestamps: true, collection: 'suppliers' },
);
supplierSchema.index({ organisationId: 1, duplicateKey: 1 }, { unique: true });
// One per register sort (src/suppliers/search.ts), ending in _id as the sorts do, so the index gives the order.
supplierSchema.index({ organisationId: 1, nameSortKey: 1, _id: 1 });
supplierSchema.index({ organisationId: 1, country: 1, nameSortKey: 1, _id: 1 });
supplierSchema.index({ organisationId: 1, createdAt: 1, _id: 1 });
supplierSchema.index({ organisationId: 1, lastResponseAt: 1, nameSortKey: 1, _id: 1 });
supplierSchema.index({ organisationId: 1, tags: 1 });
supplierSchema.index({ importId: 1 }, { sparse: true });
supplierSchema.index({ pendingImportId: 1 }, { sparse: true });

/** The condition every register read adds: suppliers of an import that is not committed yet do not exist. */
export const VISIBLE = { pendingImportId: null } as const;

export type Supplier = InferSchemaType<typeof supplierSchema>;
export type SupplierDocument = HydratedDocument<Supplier>;
export type SupplierContact = Supplier['contacts'][number];
export type SupplierSite = Supplier['sites'][number];

function registerSupplierModel(conn: mongoose.Connection) {
  return conn.model('Supplier', supplierSchema);
}
export type SupplierModel = ReturnType<typeof registerSupplierModel>;

export function supplierModel(conn: mongoose.Connection): SupplierModel {
  return (conn.models.Supplier as SupplierModel | undefined) ?? registerSupplierModel(conn);
}
