/** The responses domain's public face: the supplier's form (router), its services and models. */
export { supplierRouter, TOKEN_FAILURES_PER_WINDOW, type SupplierRouterOptions } from './routes';
export { responseModel, RESPONSE_STATUSES, type EvidenceRef, type ResponseData, type ResponseDocument, type ResponseRecord, type ResponseStatus } from './model';
export {
  answersOf,
  openResponse,
  saveAnswers,
  submitResponse,
  type FieldErrors,
  type SaveOutcome,
  type SaveRequest,
  type SubmitOutcome,
  type SupplierContext,
} from './service';
export { addEvidence, removeEvidence, DEFAULT_EVIDENCE_MAX_BYTES } from './evidence-service';
export { detectFileType, type EvidenceType } from './file-type';
