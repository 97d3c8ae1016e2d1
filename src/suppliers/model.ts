import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';

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
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    /** ISO 3166-1 alpha-2. */
    country: { type: String, required: true, uppercase: true, match: /^[A-Z]{2}$/ },
    /** Swedish organisationsnummer (NNNNNN-NNNN), a VAT number or another id for foreign suppliers. */
    organisationNumber: { type: String, required: true, trim: true, maxlength: 50 },
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
  },
  { timestamps: true, collection: 'suppliers' },
);
supplierSchema.index({ organisationId: 1, organisationNumber: 1, country: 1 }, { unique: true });

export type Supplier = InferSchemaType<typeof supplierSchema>;
export type SupplierDocument = HydratedDocument<Supplier>;
export type SupplierContact = Supplier['contacts'][number];

function registerSupplierModel(conn: mongoose.Connection) {
  return conn.model('Supplier', supplierSchema);
}
export type SupplierModel = ReturnType<typeof registerSupplierModel>;

export function supplierModel(conn: mongoose.Connection): SupplierModel {
  return (conn.models.Supplier as SupplierModel | undefined) ?? registerSupplierModel(conn);
}
