/**
 * Fault injection for tests, as mongod offers it when started with `enableTestCommands`: `configureFailPoint` with
 * the `failCommand` fail point makes chosen commands fail with an error code and labels, close the connection,
 * block for a while first or report a write concern error; `refreshLogicalSessionCacheNow` is there so tests written
 * for mongod run unchanged. Without test commands neither command exists (59 CommandNotFound), as in mongod.
 */
import { codeNameOf, mongoError, MongoServerError } from '../errors';
import type { Document } from '../types';
import { isDocument, optionalBoolean, optionalInteger } from './args';
import { canonicalCommandName } from './command-fields';
import type { CommandHandler, Invocation } from './context';

type Mode =
  | { kind: 'off' }
  | { kind: 'alwaysOn' }
  | { kind: 'times'; remaining: number }
  | { kind: 'skip'; remaining: number }
  | { kind: 'probability'; chance: number };

interface FailCommandData {
  failCommands: ReadonlySet<string>;
  errorCode?: number;
  /** When given, exactly these labels (none for []) replace the ones the server would attach. */
  errorLabels?: string[];
  closeConnection: boolean;
  blockTimeMS?: number;
  writeConcernError?: Document;
  appName?: string;
  namespace?: string;
  /** What is wrong with the data: like mongod, the command that activates the fail point fails with it. */
  problem?: Error;
}

/** What an activated fail point does to one command. */
export interface FailCommandAction {
  blockTimeMS?: number;
  closeConnection: boolean;
  error?: Error;
  writeConcernError?: Document;
}

/** An error a fail point injected: its labels are exactly the configured (or mongod's default) ones. */
export class FailPointError extends MongoServerError {}

/** Thrown to make the connection close without a reply (`closeConnection`). */
export class CloseConnectionRequest extends Error {
  constructor() {
    super("Failing command due to 'failCommand' failpoint");
    this.name = 'CloseConnectionRequest';
  }
}

const FAIL_COMMAND = 'failCommand';

/** The server's fail points; only `failCommand` exists here. */
export class FailPoints {
  private mode: Mode = { kind: 'off' };
  private data: FailCommandData | undefined;
  private timesEntered = 0;

  /** Sets the mode (and data) of a fail point; returns how often it has fired since the server started. */
  configure(name: string, modeSpec: unknown, dataSpec: unknown): number {
    if (name !== FAIL_COMMAND) throw mongoError('FailPointSetFailed', `${name} not found`);
    const mode = parseMode(modeSpec);
    if (dataSpec !== undefined && !isDocument(dataSpec)) throw mongoError('TypeMismatch', "'data' must be an object");
    this.mode = mode;
    this.data = mode.kind === 'off' ? undefined : parseData(dataSpec ?? {});
    return this.timesEntered;
  }

  /** The action for a command about to run, consuming one activation when the fail point applies to it. */
  evaluate(inv: Invocation): FailCommandAction | undefined {
    const data = this.data;
    if (this.mode.kind === 'off' || !data || !applies(data, inv) || !this.activate()) return undefined;
    this.timesEntered++;
    if (data.problem) return { closeConnection: false, error: data.problem };
    const error = data.errorCode === undefined ? undefined : injectedError(inv, data);
    return { blockTimeMS: data.blockTimeMS, closeConnection: data.closeConnection, error, writeConcernError: data.writeConcernError };
  }

  /** mongod's mode rules: `times` fires n times then turns off, `skip` lets n pass then fires every time. */
  private activate(): boolean {
    const mode = this.mode;
    switch (mode.kind) {
      case 'off':
        return false;
      case 'alwaysOn':
        return true;
      case 'times':
        mode.remaining--;
        if (mode.remaining <= 0) this.mode = { kind: 'off' };
        return true;
      case 'skip':
        if (mode.remaining <= 0) return true;
        mode.remaining--;
        return false;
      case 'probability':
        return Math.random() < mode.chance;
    }
  }
}

function parseMode(spec: unknown): Mode {
  if (spec === 'off') return { kind: 'off' };
  if (spec === 'alwaysOn') return { kind: 'alwaysOn' };
  if (typeof spec === 'string') throw mongoError('BadValue', `unknown mode: ${spec}`);
  if (!isDocument(spec)) throw mongoError('TypeMismatch', "'mode' must be a string or JSON object");
  if (spec.times !== undefined) {
    const times = optionalInteger(spec, 'times', 'configureFailPoint.mode') ?? 0;
    if (times < 0) throw mongoError('BadValue', "'times' option to 'mode' must be positive");
    return times === 0 ? { kind: 'off' } : { kind: 'times', remaining: times };
  }
  if (spec.skip !== undefined) {
    const skip = optionalInteger(spec, 'skip', 'configureFailPoint.mode') ?? 0;
    if (skip < 0) throw mongoError('BadValue', "'skip' option to 'mode' must be positive");
    return { kind: 'skip', remaining: skip };
  }
  if (spec.activationProbability !== undefined) {
    const chance = Number(spec.activationProbability);
    if (!Number.isFinite(chance) || chance < 0 || chance > 1) {
      throw mongoError('BadValue', "'activationProbability' option to 'mode' must be a double between 0 and 1");
    }
    return { kind: 'probability', chance };
  }
  throw mongoError('BadValue', "'mode' must be one of 'off', 'alwaysOn', 'times', 'skip' and 'activationProbability'");
}

/**
 * The fail point's data, read as mongod reads it: what selects commands leniently (a `failCommands` that is no
 * array of names selects none), what the fail point does strictly, its errors kept for the commands it fires on.
 */
function parseData(spec: Document): FailCommandData {
  const failCommands = Array.isArray(spec.failCommands) ? spec.failCommands.filter((name): name is string => typeof name === 'string') : [];
  const labels = Array.isArray(spec.errorLabels) ? spec.errorLabels.filter((label): label is string => typeof label === 'string') : undefined;
  const data: FailCommandData = {
    failCommands: new Set(failCommands),
    errorLabels: labels,
    closeConnection: false,
    appName: typeof spec.appName === 'string' ? spec.appName : undefined,
    namespace: typeof spec.namespace === 'string' ? spec.namespace : undefined,
  };
  try {
    readActions(spec, data);
  } catch (err) {
    data.problem = err instanceof Error ? err : new Error(String(err));
  }
  return data;
}

function readActions(spec: Document, data: FailCommandData): void {
  const command = 'configureFailPoint.data';
  data.errorCode = optionalInteger(spec, 'errorCode', command);
  data.closeConnection = optionalBoolean(spec, 'closeConnection', command) ?? false;
  if (optionalBoolean(spec, 'blockConnection', command)) {
    const blockTimeMS = optionalInteger(spec, 'blockTimeMS', command);
    if (blockTimeMS === undefined) throw mongoError('InvalidOptions', "must specify 'blockTimeMS' when 'blockConnection' is true");
    if (blockTimeMS < 0) throw mongoError('InvalidOptions', "'blockTimeMS' must be non-negative");
    data.blockTimeMS = blockTimeMS;
  }
  if (spec.writeConcernError !== undefined) {
    if (!isDocument(spec.writeConcernError)) throw mongoError('TypeMismatch', "'writeConcernError' must be an object");
    data.writeConcernError = spec.writeConcernError;
  }
}

/** mongod's shouldActivateFailCommandFailPoint: a listed command (never configureFailPoint), on the namespace and app given. */
function applies(data: FailCommandData, inv: Invocation): boolean {
  const name = canonicalCommandName(inv.name);
  if (name === 'configureFailPoint' || !data.failCommands.has(name)) return false;
  if (data.appName !== undefined && inv.conn.appName !== data.appName) return false;
  if (data.namespace !== undefined) {
    const target = inv.body[inv.name];
    if (data.namespace !== `${inv.db}.${typeof target === 'string' ? target : '$cmd'}`) return false;
  }
  return true;
}

/** Codes mongod counts as retryable (`ErrorCodes::isRetriableError`): a retried write or transaction may succeed. */
const RETRYABLE_CODES = new Set([6, 7, 89, 91, 133, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
const RETRYABLE_WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);

/** The injected error, with the labels given or those mongod's getErrorLabels would attach to its code. */
function injectedError(inv: Invocation, data: FailCommandData): Error {
  const code = data.errorCode as number;
  const labels = data.errorLabels ?? defaultLabels(inv, code);
  return new FailPointError({ code, codeName: codeNameOf(code) }, "Failing command via 'failCommand' failpoint", {}, labels);
}

function defaultLabels(inv: Invocation, code: number): string[] {
  const name = canonicalCommandName(inv.name);
  const inTransaction = inv.body.autocommit === false;
  const commitOrAbort = name === 'commitTransaction' || name === 'abortTransaction';
  const labels: string[] = [];
  if (inTransaction && !commitOrAbort && (RETRYABLE_CODES.has(code) || code === 112 || code === 24 || code === 251)) labels.push('TransientTransactionError');
  if (inTransaction && commitOrAbort && code === 251) labels.push('TransientTransactionError');
  const retryableWrite = inv.body.txnNumber !== undefined && !inTransaction && RETRYABLE_WRITES.has(name);
  if ((retryableWrite || commitOrAbort) && RETRYABLE_CODES.has(code)) labels.push('RetryableWriteError');
  return labels;
}

function requireAdmin(inv: Invocation): void {
  if (inv.db !== 'admin') throw mongoError('Unauthorized', `${inv.name} may only be run against the admin database.`);
}

/** The test commands; the dispatcher offers them only on a server started with test commands enabled. */
export const testCommands: Record<string, CommandHandler> = {
  configureFailPoint: async (inv) => {
    requireAdmin(inv);
    const name = inv.body.configureFailPoint;
    if (typeof name !== 'string') throw mongoError('TypeMismatch', "BSON field 'configureFailPoint' is the wrong type, expected type 'string'");
    if (inv.body.mode === undefined) throw mongoError('Location40414', "BSON field 'configureFailPoint.mode' is missing but a required field");
    const failPoints = inv.ctx.failPoints as FailPoints;
    return { count: failPoints.configure(name, inv.body.mode, inv.body.data), ok: 1 };
  },
  // The session listing is always current here; mongod's test command flushes its session cache.
  refreshLogicalSessionCacheNow: async () => ({ ok: 1 }),
};
