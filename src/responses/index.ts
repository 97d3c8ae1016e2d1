/**
 * The responses domain's public face: the supplier's form (router), the buyer's response pages and API, their
 * services and models, and the hooks other domains register on to act on submissions and reopenings.
 */
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
export { buyerResponsesRouter } from './buyer-routes';
export { registerResponsesApi } from './api';
export { findResponse, loadBuyerResponse, requestChanges, stateOf, type BuyerResponse, type ResponseState } from './buyer-service';
export { flagMarks, type FlagMark } from './flags';
export { submissionModel, type SubmissionData } from './submission-model';
export {
  createResponseHooks,
  type HookContext,
  type ResponseHooks,
  type ResponseReopenedEvent,
  type ResponseSubmittedEvent,
} from './hooks';
