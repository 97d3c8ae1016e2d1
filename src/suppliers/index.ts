/** The supplier register's public face for other domains and the app's wiring. */
export { supplierModel, SUPPLIER_LANGUAGES, type Supplier, type SupplierContact, type SupplierDocument, type SupplierLanguage, type SupplierSite } from './model';
export { supplierInput, type SupplierFields, type SupplierInput } from './input';
export { IDENTIFIER_KINDS, luhnCheckDigit, normaliseIdentifier, normaliseSwedishOrganisationNumber, normaliseVatNumber, type IdentifierKind } from './identifiers';
export {
  createSupplier,
  DuplicateSupplierError,
  findSuppliersByIds,
  getSupplier,
  listSuppliers,
  setSupplierArchived,
  SupplierConflictError,
  SupplierValidationError,
  updateSupplier,
  type SupplierDeps,
} from './service';
export { filterOptions, matchingSupplierIds, NEVER_INVITED, searchSuppliers, supplierFilterInput, type SupplierFilter, type SupplierFilterExtension } from './search';
export { deleteSupplier, hasHistory, noteSupplierInvited, noteSupplierResponded, supplierTimeline } from './history';
export { suppliersRouter } from './routes';
export { registerSuppliersApi } from './api';
export { registerSupplierImportJobs } from './import/service';
