/**
 * Time-driven work (reminders, non-response detection, escalations) as jobs persisted in MongoDB. A job is one
 * document named by `name` + `key` (unique), due at `runAt` by the injected clock. Any app instance may run it: a run
 * starts with an atomic claim (scheduled → running, with a lock), so two instances never run the same job at once and
 * a job runs once. A job whose instance died mid-run is claimed again after its lock expired, so handlers make their
 * effects idempotent (mail through the outbox with a dedupe key, updates guarded by state). Jobs that fell due while
 * no instance was running run at the next start.
 *
 * Why not agenda: its scheduling reads the wall clock, and tests must move time with the injected clock.
 */
import { randomUUID } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import type pino from 'pino';
import type { Clock } from '../clock';
import { escapeRegex } from '../regex';

export const JOB_STATUSES = ['scheduled', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

const DEFAULT_LOCK_MS = 10 * 60 * 1000;
const DEFAULT_MAX_ATTEMPTS = 5;
const FIRST_RETRY_MS = 60 * 1000;

const jobSchema = new Schema(
  {
    name: { type: String, required: true, maxlength: 100 },
    key: { type: String, required: true, maxlength: 300 },
    runAt: { type: Date, required: true },
    status: { type: String, enum: JOB_STATUSES, required: true, default: 'scheduled' },
    payload: { type: Schema.Types.Mixed, default: () => ({}) },
    /** Repeating jobs are scheduled again this long after their due time once they ran. */
    repeatMs: { type: Number, default: null },
    attempts: { type: Number, required: true, default: 0 },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    lastError: { type: String, default: null },
    lastRunAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: 'jobs', versionKey: false, minimize: false },
);
jobSchema.index({ name: 1, key: 1 }, { unique: true });
jobSchema.index({ status: 1, runAt: 1 });
jobSchema.index({ status: 1, lockedUntil: 1 });

function registerJobModel(conn: mongoose.Connection) {
  return conn.model('Job', jobSchema);
}
export type JobModel = ReturnType<typeof registerJobModel>;

export function jobModel(conn: mongoose.Connection): JobModel {
  return (conn.models.Job as JobModel | undefined) ?? registerJobModel(conn);
}

export interface JobRecord {
  _id: mongoose.Types.ObjectId;
  name: string;
  key: string;
  runAt: Date;
  status: JobStatus;
  payload: Record<string, unknown>;
  repeatMs: number | null;
  attempts: number;
  lockedBy: string | null;
  lockedUntil: Date | null;
  lastError: string | null;
  lastRunAt: Date | null;
  createdAt: Date;
}

export interface JobHandlerOptions {
  /** How long a run may take before another instance may take the job over. */
  lockMs?: number;
  /** Failed runs are retried with a backoff up to this many attempts, then the job is marked failed. */
  maxAttempts?: number;
}

export type JobHandler = (job: JobRecord) => Promise<void>;

export interface ScheduleOptions {
  payload?: Record<string, unknown>;
  /** Run again every `repeatMs` after each due time. */
  repeatMs?: number;
  session?: mongoose.ClientSession;
  /**
   * What to do when the job exists: `reschedule` (default) moves a job that has not run yet to the new time (a due
   * date was extended) and leaves one that ran alone; `keep` leaves any existing job as it is; `again` makes a job
   * that already ran (or was cancelled) due once more.
   */
  ifExists?: 'reschedule' | 'keep' | 'again';
}

export interface RunReport {
  ran: number;
  failed: number;
}

export interface JobScheduler {
  define(name: string, handler: JobHandler, options?: JobHandlerOptions): void;
  schedule(name: string, key: string, runAt: Date, options?: ScheduleOptions): Promise<void>;
  /** Cancels a job that has not run; true when one was cancelled. */
  cancel(name: string, key: string, options?: { session?: mongoose.ClientSession }): Promise<boolean>;
  /** Cancels every pending job whose key starts with `keyPrefix` (all reminders of a campaign, say). */
  cancelMatching(name: string, keyPrefix: string, options?: { session?: mongoose.ClientSession }): Promise<number>;
  /** Claims and runs every job due now (by the injected clock), until none is left; tests call this after moving time. */
  runDue(): Promise<RunReport>;
  start(pollMs: number): void;
  stop(): Promise<void>;
  find(name: string, key: string): Promise<JobRecord | null>;
}

export interface SchedulerOptions {
  connection: mongoose.Connection;
  clock: Clock;
  logger: pino.Logger;
}

export function createScheduler(options: SchedulerOptions): JobScheduler {
  const { connection, clock, logger } = options;
  const instanceId = randomUUID();
  const handlers = new Map<string, { handler: JobHandler; lockMs: number; maxAttempts: number }>();
  const collection = () => jobModel(connection).collection;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RunReport> | undefined;
  let stopped = true;

  async function claimNext(): Promise<JobRecord | null> {
    const now = clock.now();
    const names = [...handlers.keys()];
    if (names.length === 0) return null;
    const longestLock = Math.max(...[...handlers.values()].map((h) => h.lockMs));
    return collection().findOneAndUpdate(
      { name: { $in: names }, $or: [{ status: 'scheduled', runAt: { $lte: now } }, { status: 'running', lockedUntil: { $lte: now } }] },
      { $set: { status: 'running', lockedBy: instanceId, lockedUntil: new Date(now.getTime() + longestLock), lastRunAt: now }, $inc: { attempts: 1 } },
      { sort: { runAt: 1 }, returnDocument: 'after' },
    ) as Promise<JobRecord | null>;
  }

  async function finish(job: JobRecord, error: unknown): Promise<void> {
    const mine = { _id: job._id, status: 'running', lockedBy: instanceId };
    const unlock = { lockedBy: null, lockedUntil: null };
    if (error === undefined) {
      if (job.repeatMs) {
        // Catch up once, not once per missed interval: a daily sweep after a week down runs once, then daily again.
        const now = clock.now().getTime();
        let next = job.runAt.getTime() + job.repeatMs;
        if (next <= now) next = now + job.repeatMs - ((now - job.runAt.getTime()) % job.repeatMs);
        await collection().updateOne(mine, { $set: { ...unlock, status: 'scheduled', runAt: new Date(next), attempts: 0, lastError: null } });
      } else {
        await collection().updateOne(mine, { $set: { ...unlock, status: 'done', lastError: null } });
      }
      return;
    }
    const maxAttempts = handlers.get(job.name)?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const failed = job.attempts >= maxAttempts;
    const retryAt = new Date(clock.now().getTime() + FIRST_RETRY_MS * 2 ** (job.attempts - 1));
    await collection().updateOne(mine, {
      $set: { ...unlock, status: failed ? 'failed' : 'scheduled', runAt: failed ? job.runAt : retryAt, lastError: (error instanceof Error ? error.message : String(error)).slice(0, 1000) },
    });
    logger.error({ err: error, job: job.name, key: job.key, attempts: job.attempts, failed }, 'job failed');
  }

  async function runOne(job: JobRecord): Promise<boolean> {
    const entry = handlers.get(job.name);
    if (!entry) return false;
    try {
      await entry.handler(job);
    } catch (error) {
      await finish(job, error ?? new Error('job failed'));
      return false;
    }
    await finish(job, undefined);
    return true;
  }

  async function runDue(): Promise<RunReport> {
    const report: RunReport = { ran: 0, failed: 0 };
    for (;;) {
      const job = await claimNext();
      if (!job) return report;
      if (await runOne(job)) report.ran += 1;
      else report.failed += 1;
    }
  }

  function schedulePoll(delayMs: number, pollMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runDue().catch((error: unknown) => {
        logger.error({ err: error }, 'running due jobs failed');
        return { ran: 0, failed: 0 };
      });
      void running.then(() => {
        running = undefined;
        schedulePoll(pollMs, pollMs);
      });
    }, delayMs);
  }

  return {
    define(name, handler, opts = {}) {
      if (handlers.has(name)) throw new Error(`job ${name} is defined twice`);
      handlers.set(name, { handler, lockMs: opts.lockMs ?? DEFAULT_LOCK_MS, maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS });
    },

    async schedule(name, key, runAt, opts = {}) {
      const ifExists = opts.ifExists ?? 'reschedule';
      const fresh = { status: 'scheduled', runAt, payload: opts.payload ?? {}, repeatMs: opts.repeatMs ?? null, attempts: 0, lastError: null };
      const insertOnly = { name, key, lockedBy: null, lockedUntil: null, lastRunAt: null, createdAt: clock.now() };
      const session = opts.session;
      if (ifExists === 'keep') {
        await collection().updateOne({ name, key }, { $setOnInsert: { ...insertOnly, ...fresh } }, { upsert: true, session });
        return;
      }
      const updatable = ifExists === 'again' ? { status: { $ne: 'running' } } : { status: 'scheduled' };
      const updated = await collection().updateOne({ name, key, ...updatable }, { $set: fresh }, { session });
      if (updated.matchedCount > 0) return;
      try {
        await collection().updateOne({ name, key }, { $setOnInsert: { ...insertOnly, ...fresh } }, { upsert: true, session });
      } catch (error) {
        // Another instance inserted the same job at the same moment: that one stands.
        if (!(typeof error === 'object' && error !== null && 'code' in error && error.code === 11000)) throw error;
      }
    },

    async cancel(name, key, opts = {}) {
      const result = await collection().updateOne({ name, key, status: 'scheduled' }, { $set: { status: 'cancelled' } }, { session: opts.session });
      return result.modifiedCount > 0;
    },

    async cancelMatching(name, keyPrefix, opts = {}) {
      const result = await collection().updateMany(
        { name, key: { $regex: `^${escapeRegex(keyPrefix)}` }, status: 'scheduled' },
        { $set: { status: 'cancelled' } },
        { session: opts.session },
      );
      return result.modifiedCount;
    },

    runDue,

    start(pollMs) {
      stopped = false;
      schedulePoll(0, pollMs);
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },

    async find(name, key) {
      return collection().findOne<JobRecord>({ name, key });
    },
  };
}
