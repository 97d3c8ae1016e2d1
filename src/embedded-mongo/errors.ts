/**
 * The one error type of the embedded server. Anything thrown while a command runs is turned into
 * `{ok: 0, errmsg, code, codeName}` (plus `errorLabels` when set) by the command dispatcher; a plain Error
 * becomes code 1 InternalError with its message only (never a stack trace).
 */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  UnsupportedFormat: 12,
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
  FailPointSetFailed: 157,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  CannotCreateIndex: 67,
  CannotIndexParallelArrays: 171,
  BSONObjectTooLarge: 10334,
  /** An update whose result, or an upsert whose new document, would pass 16 MB (mongod's update and upsert stages). */
  Location17419: 17419,
  Location17420: 17420,
  InvalidIndexSpecificationOption: 197,
  CannotBuildIndexKeys: 133,
  NoQueryExecutionPlans: 291,
  // text indexes and $text (text/)
  Location17261: 17261, Location17262: 17262, Location17307: 17307, Location17308: 17308, Location17313: 17313,
  Location40218: 40218,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  TransactionTooOld: 225,
  WriteConflict: 112,
  ExceededTimeLimit: 262,
  OperationNotSupportedInTransaction: 263,
  Location50851: 50851,
  MaxTimeMSExpired: 50,
  OperationFailed: 96,
  NotImplemented: 238,
  DocumentValidationFailure: 121,
  // views (commands/views.ts) and $merge (aggregate/stages/merge.ts, commands/merge.ts)
  GraphContainsCycle: 5,
  ViewDepthLimitExceeded: 165,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  InvalidViewDefinition: 182,
  ViewPipelineMaxSizeExceeded: 195,
  MergeStageNoMatchingDocument: 13113,
  Location31319: 31319, Location31320: 31320, Location31441: 31441, Location31465: 31465, Location51132: 51132,
  Location51134: 51134, Location51178: 51178, Location51181: 51181, Location51183: 51183, Location51185: 51185,
  Location51186: 51186, Location51187: 51187, Location51191: 51191, Location51199: 51199, Location51273: 51273,
  Location40352: 40352, Location5786800: 5786800, Location5786801: 5786801,
  Location40324: 40324,
  DuplicateKey: 11000,
  Location16020: 16020,
  Location31254: 31254,
  Location15998: 15998,
  Location16610: 16610,
  // find projection (query/projection.ts)
  Location31250: 31250, Location31253: 31253, Location31276: 31276, Location51270: 51270, Location31395: 31395,
  Location51246: 51246, Location51091: 51091,
  // aggregation (aggregate/)
  InvalidPipelineOperator: 168, ConversionFailure: 241, Location15947: 15947, Location15952: 15952,
  Location15955: 15955, Location15956: 15956, Location15957: 15957, Location15958: 15958, Location15959: 15959,
  Location15969: 15969, Location15972: 15972, Location15973: 15973, Location15975: 15975, Location15976: 15976,
  Location15981: 15981, Location15983: 15983, Location16006: 16006, Location16007: 16007, Location16034: 16034,
  Location16035: 16035, Location16410: 16410, Location16412: 16412, Location16554: 16554, Location16555: 16555,
  Location16556: 16556, Location16608: 16608, Location16609: 16609, Location16611: 16611, Location16612: 16612,
  Location16702: 16702, Location16867: 16867, Location16872: 16872, Location16874: 16874, Location16875: 16875,
  Location16876: 16876, Location16877: 16877, Location16878: 16878, Location16879: 16879, Location16880: 16880,
  Location16882: 16882, Location16883: 16883, Location16990: 16990, Location16994: 16994, Location17040: 17040,
  Location17041: 17041, Location17042: 17042, Location17043: 17043, Location17044: 17044, Location17046: 17046,
  Location17047: 17047, Location17048: 17048, Location17049: 17049, Location17053: 17053, Location17080: 17080,
  Location17081: 17081, Location17082: 17082, Location17083: 17083, Location17124: 17124, Location17276: 17276,
  Location17312: 17312, Location17385: 17385, Location18533: 18533, Location18534: 18534, Location18535: 18535,
  Location18536: 18536, Location18628: 18628, Location18629: 18629, Location28646: 28646, Location28647: 28647,
  Location28648: 28648, Location28650: 28650, Location28651: 28651, Location28656: 28656, Location28657: 28657,
  Location28664: 28664, Location28680: 28680, Location28689: 28689, Location28690: 28690, Location28691: 28691,
  Location28714: 28714, Location28724: 28724, Location28725: 28725, Location28726: 28726, Location28727: 28727,
  Location28728: 28728, Location28729: 28729, Location28745: 28745, Location28746: 28746, Location28747: 28747,
  Location28748: 28748, Location28749: 28749, Location28756: 28756, Location28757: 28757, Location28758: 28758,
  Location28759: 28759, Location28761: 28761, Location28762: 28762, Location28763: 28763, Location28764: 28764,
  Location28765: 28765, Location28766: 28766, Location28808: 28808, Location28809: 28809, Location28810: 28810,
  Location28811: 28811, Location28812: 28812, Location28818: 28818, Location28822: 28822, Location31002: 31002,
  Location31022: 31022, Location31023: 31023, Location31024: 31024, Location31119: 31119, Location31252: 31252,
  Location31393: 31393, Location34435: 34435, Location34443: 34443, Location34444: 34444, Location34445: 34445,
  Location34446: 34446, Location34447: 34447, Location34448: 34448, Location34449: 34449, Location34450: 34450,
  Location34451: 34451, Location34452: 34452, Location34453: 34453, Location34454: 34454, Location34455: 34455,
  Location34460: 34460, Location34461: 34461, Location34462: 34462, Location34464: 34464, Location34465: 34465,
  Location34466: 34466, Location34468: 34468, Location34471: 34471, Location34473: 34473, Location40060: 40060,
  Location40061: 40061, Location40062: 40062, Location40063: 40063, Location40064: 40064, Location40065: 40065,
  Location40066: 40066, Location40067: 40067, Location40068: 40068, Location40075: 40075, Location40076: 40076,
  Location40077: 40077, Location40078: 40078, Location40079: 40079, Location40080: 40080, Location40081: 40081,
  Location40085: 40085, Location40086: 40086, Location40087: 40087, Location40090: 40090, Location40091: 40091,
  Location40092: 40092, Location40093: 40093, Location40094: 40094, Location40096: 40096, Location40097: 40097,
  Location40100: 40100, Location40101: 40101, Location40102: 40102, Location40103: 40103, Location40104: 40104,
  Location40105: 40105, Location40147: 40147, Location40148: 40148, Location40149: 40149, Location40156: 40156,
  Location40158: 40158, Location40160: 40160, Location40169: 40169, Location40170: 40170, Location40171: 40171,
  Location40172: 40172, Location40177: 40177, Location40183: 40183, Location40185: 40185, Location40192: 40192,
  Location40193: 40193, Location40194: 40194, Location40196: 40196, Location40197: 40197, Location40198: 40198,
  Location40199: 40199, Location40201: 40201, Location40202: 40202, Location40228: 40228, Location40229: 40229,
  Location40230: 40230, Location40231: 40231, Location40234: 40234, Location40235: 40235, Location40236: 40236,
  Location40238: 40238, Location40239: 40239, Location40240: 40240, Location40241: 40241, Location40242: 40242,
  Location40243: 40243, Location40244: 40244, Location40245: 40245, Location40246: 40246, Location40272: 40272,
  Location40323: 40323, Location40386: 40386, Location40390: 40390, Location40392: 40392, Location40394: 40394,
  Location40395: 40395, Location40397: 40397, Location40400: 40400, Location40414: 40414, Location40415: 40415,
  Location40485: 40485, Location40489: 40489, Location40515: 40515, Location40516: 40516, Location40517: 40517,
  Location40518: 40518, Location40519: 40519, Location40520: 40520, Location40522: 40522, Location40524: 40524,
  Location40540: 40540, Location40541: 40541, Location40542: 40542, Location40554: 40554, Location40600: 40600,
  Location40601: 40601, Location40602: 40602, Location40684: 40684, Location50694: 50694, Location50695: 50695,
  Location50696: 50696, Location50699: 50699, Location50700: 50700, Location51047: 51047, Location51075: 51075,
  Location51081: 51081, Location51082: 51082, Location51083: 51083, Location51103: 51103, Location51104: 51104,
  Location51105: 51105, Location51106: 51106, Location51108: 51108, Location51272: 51272, Location51276: 51276,
  Location51744: 51744, Location51745: 51745, Location51746: 51746, Location51747: 51747, Location51748: 51748,
  Location51749: 51749, Location51750: 51750, Location51751: 51751, Location327391: 327391, Location327392: 327392,
  Location2942504: 2942504, Location2942505: 2942505, Location3040501: 3040501, Location3041701: 3041701,
  Location3041702: 3041702, Location3041704: 3041704, Location3041705: 3041705, Location4161100: 4161100,
  Location4161101: 4161101, Location4161102: 4161102, Location4161103: 4161103, Location4161105: 4161105,
  Location4161107: 4161107, Location4161109: 4161109, Location4940400: 4940400, Location5166301: 5166301,
  Location5166302: 5166302, Location5166303: 5166303, Location5166304: 5166304, Location5166305: 5166305,
  Location5166306: 5166306, Location5166400: 5166400, Location5166401: 5166401, Location5166402: 5166402,
  Location5166405: 5166405, Location5166406: 5166406, Location5339900: 5339900, Location5339902: 5339902,
  Location5371601: 5371601, Location5371602: 5371602, Location5371603: 5371603, Location5429414: 5429414,
  Location5429513: 5429513, Location5439007: 5439007, Location5439008: 5439008, Location5439009: 5439009,
  Location5439010: 5439010, Location5439014: 5439014, Location5439016: 5439016, Location5439017: 5439017,
  Location5439018: 5439018, Location5787801: 5787801, Location5787901: 5787901, Location5787902: 5787902,
  Location5787908: 5787908, Location5788003: 5788003, Location5788200: 5788200, Location5788604: 5788604,
  Location5858203: 5858203, Location5961700: 5961700,
  // change streams (change-streams/)
  NoMatchingDocument: 47, CursorKilled: 237, InvalidResumeToken: 260, ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286, CursorInUse: 292, Location50808: 50808, Location50865: 50865, Location40674: 40674,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

/** Names of codes the server never raises itself but a fail point may inject (mongod's error_codes.yml). */
const OTHER_CODE_NAMES: Readonly<Record<number, string>> = {
  6: 'HostUnreachable', 7: 'HostNotFound', 24: 'LockTimeout', 64: 'WriteConcernFailed', 79: 'UnknownReplWriteConcern',
  89: 'NetworkTimeout', 91: 'ShutdownInProgress', 100: 'UnsatisfiableWriteConcern', 133: 'FailedToSatisfyReadPreference',
  134: 'ReadConcernMajorityNotAvailableYet', 189: 'PrimarySteppedDown', 9001: 'SocketException', 10107: 'NotWritablePrimary',
  11600: 'InterruptedAtShutdown', 11602: 'InterruptedDueToReplStateChange', 13435: 'NotPrimaryNoSecondaryOk',
  13436: 'NotPrimaryOrSecondary',
};

const NAME_OF_CODE = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));

export class MongoServerError extends Error {
  readonly code: number;
  readonly codeName: string;
  errorLabels: string[] | undefined;
  /** Extra fields copied into the error reply or writeError (e.g. keyPattern, keyValue for 11000). */
  readonly extra: Record<string, unknown>;

  constructor(codeName: ErrorCodeName | { code: number; codeName: string }, message: string, extra: Record<string, unknown> = {}, errorLabels?: string[]) {
    super(message);
    this.name = 'MongoServerError';
    this.code = typeof codeName === 'string' ? ErrorCodes[codeName] : codeName.code;
    // mongod names a numbered assertion without a name of its own "Location<code>", as these keys are.
    this.codeName = typeof codeName === 'string' ? codeName : codeName.codeName;
    this.extra = extra;
    this.errorLabels = errorLabels;
  }
}

/** The name mongod gives an error code ("Location<code>" when it has none). */
export function codeNameOf(code: number): string {
  return NAME_OF_CODE.get(code) ?? OTHER_CODE_NAMES[code] ?? `Location${code}`;
}

export function mongoError(
  codeName: ErrorCodeName,
  message: string,
  extra?: Record<string, unknown>,
  errorLabels?: string[],
): MongoServerError {
  return new MongoServerError(codeName, message, extra, errorLabels);
}

/** `err` with mongod's context in front of its message ("context :: caused by :: message"), code and extras kept. */
export function withContext(err: MongoServerError, context: string): MongoServerError {
  // Every MongoServerError is built from one of the ErrorCodes names.
  return new MongoServerError(err.codeName as ErrorCodeName, `${context} :: caused by :: ${err.message}`, err.extra, err.errorLabels);
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
