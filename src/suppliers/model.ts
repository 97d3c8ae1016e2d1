import mongoose, { Schema, type HydratedDocument, type InferSchemaType } from 'mongoose';

export const SUPPLIER_LANGUAGES = ['sv', 'en'] as const;

/** A supplier of one buyer organisation; the same company supplying two buyers is two records. */
const supplierSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true, trim: true, maxlength: 200 },
    /** ISO 3166-1 alpha-2. */
    country: { type: String, required: true, uppercase: true, match: /^[A-Z]{2}$/ },
    organisationNumber: { type: String, required: true, trim: true, maxlength: 50 },
    contactName: { type: String, required: true, trim: true, maxlength: 200 },
    contactEmail: { type: String, required: true, trim: true, lowercase: true, maxlength: 320 },
    preferredLanguage: { type: String, enum: SUPPLIER_LANGUAGES, required: true, default: 'sv' },
  },
  { timestamps: true, collection: 'suppliers' },
);
supplierSchema.index({ organisationId: 1, organisationNumber: 1, country: 1 }, { unique: true });

export type Supplier = InferSchemaType<typeof supplierSchema>;
export type SupplierDocument = HydratedDocument<Supplier>;

function registerSupplierModel(conn: mongoose.Connection) {
  return conn.model('Supplier', supplierSchema);
}
export type SupplierModel = ReturnType<typeof registerSupplierModel>;

export function supplierModel(conn: mongoose.Connection): SupplierModel {
  return (conn.models.Supplier as SupplierModel | undefined) ?? registerSupplierModel(conn);
}
