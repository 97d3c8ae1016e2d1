/**
 * The one error type of the embedded server. Anything thrown while a command runs is turned into
 * `{ok: 0, errmsg, code, codeName}` (plus `errorLabels` when set) by the command dispatcher; a plain Error
 * becomes code 1 InternalError with its message only (never a stack trace).
 */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  Unauthorized: 13,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  EmptyArrayOperation: 21,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  NotSingleValueField: 54,
  EmptyFieldName: 56,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  DollarPrefixedFieldName: 52,
  InvalidIdField: 53,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CannotCreateIndex: 67,
  CannotIndexParallelArrays: 171,
  InvalidIndexSpecificationOption: 197,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  TransactionTooOld: 225,
  WriteConflict: 112,
  ExceededTimeLimit: 262,
  MaxTimeMSExpired: 50,
  OperationFailed: 96,
  NotImplemented: 238,
  DocumentValidationFailure: 121,
  Location40324: 40324,
  DuplicateKey: 11000,
  Location16020: 16020,
  Location31254: 31254,
  Location15998: 15998,
  Location16610: 16610,
  // aggregation (aggregate/)
  InvalidPipelineOperator: 168, Location15983: 15983,
  Location16410: 16410, Location16554: 16554, Location16555: 16555, Location16556: 16556, Location16608: 16608,
  Location16609: 16609, Location16611: 16611, Location16612: 16612, Location16867: 16867, Location16872: 16872,
  Location17080: 17080, Location17081: 17081, Location17082: 17082, Location17083: 17083, Location17276: 17276,
  Location28680: 28680, Location28714: 28714, Location28756: 28756, Location28757: 28757, Location28758: 28758,
  Location28759: 28759, Location28761: 28761, Location28762: 28762, Location28763: 28763, Location28764: 28764,
  Location28765: 28765, Location28766: 28766, Location3041704: 3041704, Location3041705: 3041705,
  Location40060: 40060, Location40061: 40061, Location40062: 40062, Location40063: 40063, Location40064: 40064,
  Location40065: 40065, Location40066: 40066, Location40067: 40067, Location40068: 40068, Location51081: 51081,
  Location51082: 51082, Location51083: 51083,
  // find projection (query/projection.ts)
  Location31250: 31250, Location31253: 31253, Location31276: 31276, Location51270: 51270,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

export class MongoServerError extends Error {
  readonly code: number;
  readonly codeName: string;
  errorLabels: string[] | undefined;
  /** Extra fields copied into the error reply or writeError (e.g. keyPattern, keyValue for 11000). */
  readonly extra: Record<string, unknown>;

  constructor(codeName: ErrorCodeName, message: string, extra: Record<string, unknown> = {}, errorLabels?: string[]) {
    super(message);
    this.name = 'MongoServerError';
    this.code = ErrorCodes[codeName];
    this.codeName = codeName.startsWith('Location') ? '' : codeName;
    this.extra = extra;
    this.errorLabels = errorLabels;
  }
}

export function mongoError(
  codeName: ErrorCodeName,
  message: string,
  extra?: Record<string, unknown>,
  errorLabels?: string[],
): MongoServerError {
  return new MongoServerError(codeName, message, extra, errorLabels);
}

/** The reply document for a failed command. Never includes a stack trace. */
export function errorReply(err: unknown): Record<string, unknown> {
  if (err instanceof MongoServerError) {
    const reply: Record<string, unknown> = { ok: 0, errmsg: err.message, code: err.code, codeName: err.codeName, ...err.extra };
    if (err.errorLabels?.length) reply.errorLabels = err.errorLabels;
    return reply;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { ok: 0, errmsg: message, code: ErrorCodes.InternalError, codeName: 'InternalError' };
}
