import mongoose from 'mongoose';
import { z } from 'zod';
import { objectIdInput } from '../platform/ids';
import { SUPPLIER_LANGUAGES, supplierModel, type SupplierDocument } from './model';

type Id = mongoose.Types.ObjectId | string;

export const createSupplierInput = z.object({
  organisationId: objectIdInput,
  name: z.string().trim().min(1).max(200),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')
    .transform((code) => code.toUpperCase()),
  organisationNumber: z.string().trim().min(1).max(50),
  sector: z.string().trim().max(200).default(''),
  contacts: z
    .array(z.object({ name: z.string().trim().min(1).max(200), email: z.email().max(320), language: z.enum(SUPPLIER_LANGUAGES).default('sv') }))
    .min(1)
    .max(20),
  sites: z
    .array(
      z.object({
        name: z.string().trim().min(1).max(200),
        country: z.string().trim().regex(/^[A-Za-z]{2}$/).transform((code) => code.toUpperCase()),
        address: z.string().trim().max(500).default(''),
        products: z.string().trim().max(1000).default(''),
      }),
    )
    .max(50)
    .default([]),
  tags: z.array(z.string().trim().min(1).max(50)).max(30).default([]),
});
export type CreateSupplierInput = z.input<typeof createSupplierInput>;

export async function createSupplier(conn: mongoose.Connection, input: CreateSupplierInput): Promise<SupplierDocument> {
  return supplierModel(conn).create(createSupplierInput.parse(input));
}

/** The organisation's suppliers by name. */
export async function listSuppliers(conn: mongoose.Connection, organisationId: Id): Promise<SupplierDocument[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  return supplierModel(conn).find({ organisationId }).sort({ name: 1 });
}

/** One supplier, only if it belongs to the organisation. */
export async function getSupplier(conn: mongoose.Connection, organisationId: Id, supplierId: Id): Promise<SupplierDocument | null> {
  if (!mongoose.isValidObjectId(organisationId) || !mongoose.isValidObjectId(supplierId)) return null;
  return supplierModel(conn).findOne({ _id: supplierId, organisationId });
}

export async function findSuppliersByIds(conn: mongoose.Connection, organisationId: Id, ids: Id[]): Promise<SupplierDocument[]> {
  if (!mongoose.isValidObjectId(organisationId)) return [];
  return supplierModel(conn).find({ organisationId, _id: { $in: ids } }).sort({ name: 1 });
}
