export { supplierModel, SUPPLIER_LANGUAGES, type Supplier, type SupplierDocument } from './model';
export { createSupplier, createSupplierInput, findSuppliersByIds, getSupplier, listSuppliers, type CreateSupplierInput } from './service';
