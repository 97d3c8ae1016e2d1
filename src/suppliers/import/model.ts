import type { Actor } from '../../platform/activity';
import mongoose, { Schema } from 'mongoose';

export const IMPORT_STATUSES = ['preview', 'importing', 'committed', 'imported', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** An uploaded file waiting for confirmation (rows in `supplier_import_rows`); removed by a TTL index after expiry. */
const supplierImportSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, required: true },
    createdBy: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    status: { type: String, enum: IMPORT_STATUSES, required: true, default: 'preview' },
    fileName: { type: String, maxlength: 300, default: '' },
    format: { type: String, required: true },
    encoding: { type: String, default: null },
    delimiter: { type: String, default: null },
    sheetName: { type: String, default: null },
    columns: { type: [String], default: [] },
    ignoredColumns: { type: [String], default: [] },
    counts: {
      rows: { type: Number, required: true },
      valid: { type: Number, required: true },
      invalid: { type: Number, required: true },
      duplicateInFile: { type: Number, required: true },
      duplicateInRegister: { type: Number, required: true },
    },
    importedAt: { type: Date, default: null },
    created: { type: Number, default: null },
  },
  { collection: 'supplier_imports', versionKey: false, minimize: false },
);
supplierImportSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
supplierImportSchema.index({ organisationId: 1, createdAt: -1 });

/** One row of an uploaded file as the preview shows it and the confirmation imports it. */
const supplierImportRowSchema = new Schema(
  {
    importId: { type: Schema.Types.ObjectId, required: true },
    organisationId: { type: Schema.Types.ObjectId, required: true },
    rowNumber: { type: Number, required: true },
    /** The row as supplier input (cells mapped to fields). */
    input: { type: Schema.Types.Mixed, required: true },
    /** The normalised fields, when the row is valid. */
    fields: { type: Schema.Types.Mixed, default: null },
    duplicateKey: { type: String, default: null },
    problems: { type: [{ _id: false, column: String, key: String, params: Schema.Types.Mixed }], default: [] },
    /** A valid row that is not imported: an earlier row of the file or a register entry is the same supplier. */
    duplicateOf: {
      type: { _id: false, kind: { type: String, enum: ['file', 'register'] }, rowNumber: Number, supplierId: Schema.Types.ObjectId, name: String, archived: Boolean },
      default: null,
    },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'supplier_import_rows', versionKey: false, minimize: false },
);
supplierImportRowSchema.index({ importId: 1, rowNumber: 1 });
supplierImportRowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export interface ImportRowRecord {
  _id: mongoose.Types.ObjectId;
  importId: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  rowNumber: number;
  input: Record<string, unknown>;
  fields: Record<string, unknown> | null;
  duplicateKey: string | null;
  problems: Array<{ column: string; key: string; params: Record<string, unknown> }>;
  duplicateOf: { kind: 'file' | 'register'; rowNumber?: number; supplierId?: mongoose.Types.ObjectId; name?: string; archived?: boolean } | null;
  expiresAt: Date;
}

export interface ImportRecord {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId;
  createdBy: Actor;
  createdAt: Date;
  expiresAt: Date;
  status: ImportStatus;
  fileName: string;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  delimiter: string | null;
  sheetName: string | null;
  columns: string[];
  ignoredColumns: string[];
  counts: { rows: number; valid: number; invalid: number; duplicateInFile: number; duplicateInRegister: number };
  importedAt: Date | null;
  created: number | null;
}

function register(conn: mongoose.Connection) {
  return {
    imports: conn.model('SupplierImport', supplierImportSchema),
    rows: conn.model('SupplierImportRow', supplierImportRowSchema),
  };
}

export function importModels(conn: mongoose.Connection): ReturnType<typeof register> {
  if (conn.models.SupplierImport && conn.models.SupplierImportRow) {
    return { imports: conn.models.SupplierImport, rows: conn.models.SupplierImportRow } as ReturnType<typeof register>;
  }
  return register(conn);
}
