/**
 * The persistent outbox: the only way mail leaves the app. A message is written to MongoDB first (in the same
 * transaction as the change that caused it, when there is one), then delivered by whichever app instance claims it:
 * queued → sending → sent, or back to queued with a backoff after a temporary failure, or failed after a permanent
 * one or too many attempts; a queued message can be withdrawn (cancelled) while no instance has claimed it (a reminder
 * to a supplier who has just submitted). A message is marked sent only after the transport accepted it.
 *
 * Exactly once: a claim is an atomic compare-and-set on the message (status and lock), so two instances never hand
 * the same message over; a message whose instance died while sending is claimed again only after its lock expired,
 * with the same Message-ID. Enqueueing with a `dedupeKey` is idempotent, so a job that runs again enqueues nothing new.
 */
import { randomUUID } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import type pino from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock';
import { bodyKey, openBody, sealBody, type MailBody } from './sealed-body';
import { PermanentMailError, type MailTransport } from './transport';

export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** How long a claim protects a message being sent; after that another instance may take it over. */
const CLAIM_MS = 5 * 60 * 1000;
export const MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30 * 1000;
const MAX_RETRY_MS = 60 * 60 * 1000;
/**
 * Messages claimed per round trip. Finding due messages is a sorted range query, which costs the embedded server
 * about as much for 50 messages as for one; claiming them by id is cheap (bench/campaign-send.ts).
 */
const CLAIM_BATCH = 50;
/** Delivery outcomes written per round trip (see `deliverDue`). */
const SETTLE_BATCH = 25;

interface Settlement {
  result: keyof DeliveryReport;
  write: { updateOne: { filter: mongoose.mongo.Filter<mongoose.mongo.Document>; update: mongoose.mongo.UpdateFilter<mongoose.mongo.Document> } };
}

const outboxSchema = new Schema(
  {
    organisationId: { type: Schema.Types.ObjectId, default: null },
    to: { type: String, required: true, maxlength: 320 },
    subject: { type: String, required: true, maxlength: 998 },
    /** text, html and attachments, sealed (sealed-body.ts); removed once an SMTP server accepted the message. */
    body: { type: String, default: null },
    hasCalendar: { type: Boolean, default: false },
    messageId: { type: String, required: true },
    /** What the message is (invitation, reminder, alert…), for the admins' list and for tests. */
    category: { type: String, required: true, maxlength: 60 },
    /** Records the message is about (`invitation:<id>`), as in the activity log. */
    refs: { type: [String], default: [] },
    dedupeKey: { type: String },
    status: { type: String, enum: OUTBOX_STATUSES, required: true, default: 'queued' },
    attempts: { type: Number, required: true, default: 0 },
    lastError: { type: String, default: null },
    nextAttemptAt: { type: Date, required: true },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    /** The batch claim that took the message (see `claimBatch`). */
    claimId: { type: String, default: null },
    sentAt: { type: Date, default: null },
    via: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { collection: 'outbox', versionKey: false, minimize: false },
);
outboxSchema.index({ dedupeKey: 1 }, { unique: true, sparse: true });
outboxSchema.index({ status: 1, nextAttemptAt: 1 });
outboxSchema.index({ status: 1, lockedUntil: 1 });
outboxSchema.index({ organisationId: 1, createdAt: -1 });
outboxSchema.index({ refs: 1 });

function registerOutboxModel(conn: mongoose.Connection) {
  return conn.model('OutboxMessage', outboxSchema);
}
export type OutboxModel = ReturnType<typeof registerOutboxModel>;

export function outboxModel(conn: mongoose.Connection): OutboxModel {
  return (conn.models.OutboxMessage as OutboxModel | undefined) ?? registerOutboxModel(conn);
}

/** A message as stored, read with the driver (lean). */
export interface OutboxRecord {
  _id: mongoose.Types.ObjectId;
  organisationId: mongoose.Types.ObjectId | null;
  to: string;
  subject: string;
  body: string | null;
  hasCalendar: boolean;
  messageId: string;
  category: string;
  refs: string[];
  dedupeKey?: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  claimId?: string | null;
  sentAt: Date | null;
  via: string | null;
  createdAt: Date;
}

const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

export const newMessageInput = z.object({
  organisationId: z.union([z.instanceof(mongoose.Types.ObjectId), z.string().regex(/^[0-9a-f]{24}$/i)]).optional(),
  to: z.string().trim().max(320).regex(ADDRESS, 'must be one email address'),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(998)
    .refine((s) => !/[\r\n]/.test(s), 'must be one line'),
  text: z.string().max(1_000_000),
  html: z.string().max(2_000_000).optional(),
  attachments: z
    .array(z.object({ filename: z.string().min(1).max(200), contentType: z.string().min(1).max(200), content: z.string().max(5_000_000) }))
    .max(10)
    .optional(),
  calendar: z.object({ method: z.enum(['REQUEST', 'CANCEL', 'PUBLISH']), content: z.string().max(1_000_000), filename: z.string().max(200).optional() }).optional(),
  category: z.string().regex(/^[a-z_.-]{1,60}$/),
  refs: z.array(z.string().max(200)).max(20).default([]),
  /** Same key → the same message: enqueueing it again does nothing. */
  dedupeKey: z.string().min(1).max(300).optional(),
  /** Not before this moment (default: now). */
  notBefore: z.date().optional(),
});
export type NewMessage = z.input<typeof newMessageInput>;

export interface OutboxOptions {
  connection: mongoose.Connection;
  clock: Clock;
  logger: pino.Logger;
  transport: MailTransport;
  from: string;
  /** Seals message bodies at rest. */
  secret: string;
  /** Messages handed to the transport at once (match the SMTP pool's connections). */
  concurrency?: number;
  /** Keep the body of a message after an SMTP server accepted it (the dev mailbox keeps bodies regardless). */
  keepSentBodies?: boolean;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  failed: number;
}

export interface MailboxMessage extends Omit<OutboxRecord, 'body'> {
  body: MailBody | null;
}

export interface Outbox {
  /** Writes the message (in `session`'s transaction if given); returns its id. Idempotent per `dedupeKey`. */
  enqueue(message: NewMessage, options?: { session?: mongoose.ClientSession }): Promise<mongoose.Types.ObjectId>;
  enqueueMany(messages: NewMessage[], options?: { session?: mongoose.ClientSession }): Promise<void>;
  /** Claims and delivers every message that is due now; resolves when all of them were handed over or put back. */
  deliverDue(options?: { limit?: number }): Promise<DeliveryReport>;
  /**
   * Withdraws queued messages of these categories about all of `refs` (e.g. `supplier:…` and `campaign:…`) that no
   * instance has claimed yet; returns how many. Messages being sent or sent are not touched.
   */
  withdraw(filter: { refs: string[]; categories: string[] }, options?: { session?: mongoose.ClientSession }): Promise<number>;
  /** Puts failed messages of the organisation back in the queue (an admin's "retry"). */
  retryFailed(organisationId: mongoose.Types.ObjectId | string, ids?: Array<mongoose.Types.ObjectId | string>): Promise<number>;
  /** A message with its opened body, for the in-app mailbox. */
  read(id: mongoose.Types.ObjectId | string): Promise<MailboxMessage | null>;
  /** Delivers in the background every `pollMs`, and soon after each enqueue. */
  start(pollMs: number): void;
  /** Stops claiming; resolves once messages being sent are handed over or put back. */
  stop(): Promise<void>;
  readonly transportKind: MailTransport['kind'];
}

function retryDelay(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}

function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost.localdomain';
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { connection, clock, logger, transport } = options;
  const key = bodyKey(options.secret);
  const instanceId = randomUUID();
  const concurrency = options.concurrency ?? 5;
  const keepBodies = options.keepSentBodies ?? transport.kind !== 'smtp';
  const model = () => outboxModel(connection);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<DeliveryReport> | undefined;
  let stopped = true;
  let again = false;

  function toDocument(raw: NewMessage): Record<string, unknown> {
    const message = newMessageInput.parse(raw);
    const now = clock.now();
    const body: MailBody = { text: message.text, html: message.html, attachments: message.attachments, calendar: message.calendar };
    return {
      organisationId: message.organisationId ? new mongoose.Types.ObjectId(String(message.organisationId)) : null,
      to: message.to,
      subject: message.subject,
      body: sealBody(key, body),
      hasCalendar: Boolean(message.calendar),
      messageId: `<${randomUUID()}@${domainOf(options.from)}>`,
      category: message.category,
      refs: message.refs,
      ...(message.dedupeKey ? { dedupeKey: message.dedupeKey } : {}),
      status: 'queued',
      attempts: 0,
      lastError: null,
      nextAttemptAt: message.notBefore ?? now,
      lockedBy: null,
      lockedUntil: null,
      claimId: null,
      sentAt: null,
      via: null,
      createdAt: now,
    };
  }

  async function enqueueMany(messages: NewMessage[], opts: { session?: mongoose.ClientSession } = {}): Promise<void> {
    if (messages.length === 0) return;
    const docs = messages.map(toDocument);
    const operations = docs.map((doc) =>
      typeof doc.dedupeKey === 'string'
        ? { updateOne: { filter: { dedupeKey: doc.dedupeKey }, update: { $setOnInsert: doc }, upsert: true } }
        : { insertOne: { document: doc } },
    );
    await model().collection.bulkWrite(operations, { session: opts.session, ordered: true });
    nudge();
  }

  async function enqueue(message: NewMessage, opts: { session?: mongoose.ClientSession } = {}): Promise<mongoose.Types.ObjectId> {
    const doc = toDocument(message);
    if (typeof doc.dedupeKey === 'string') {
      const stored = await model().collection.findOneAndUpdate(
        { dedupeKey: doc.dedupeKey },
        { $setOnInsert: doc },
        { upsert: true, returnDocument: 'after', session: opts.session, projection: { _id: 1 } },
      );
      if (!stored) throw new Error('outbox upsert returned nothing');
      nudge();
      return stored._id;
    }
    const inserted = await model().collection.insertOne(doc, { session: opts.session });
    nudge();
    return inserted.insertedId;
  }

  function dueFilter(now: Date): mongoose.mongo.Filter<mongoose.mongo.Document> {
    return { $or: [{ status: 'queued', nextAttemptAt: { $lte: now } }, { status: 'sending', lockedUntil: { $lte: now } }] };
  }

  /**
   * Claims up to `limit` due messages: finds their ids, then takes each one with an atomic compare-and-set on its
   * status and lock (updateMany applies per document), so a message another instance took in between is not taken.
   */
  async function claimBatch(limit: number): Promise<{ found: number; claimed: OutboxRecord[] }> {
    const now = clock.now();
    const due = await model()
      .collection.find(dueFilter(now), { projection: { _id: 1 } })
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .toArray();
    if (due.length === 0) return { found: 0, claimed: [] };
    const claimId = randomUUID();
    const ids = due.map((doc) => doc._id);
    await model().collection.updateMany(
      { _id: { $in: ids }, ...dueFilter(now) },
      { $set: { status: 'sending', lockedBy: instanceId, lockedUntil: new Date(now.getTime() + CLAIM_MS), claimId }, $inc: { attempts: 1 } },
    );
    const claimed = await model().collection.find<OutboxRecord>({ _id: { $in: ids }, claimId, lockedBy: instanceId, status: 'sending' }).sort({ nextAttemptAt: 1 }).toArray();
    return { found: due.length, claimed };
  }

  /** What a delivery attempt leaves on the message: sent, back in the queue with a backoff, or failed. */
  function settlement(record: OutboxRecord, outcome: { ok: true } | { ok: false; error: unknown }): Settlement {
    const mine = { _id: record._id, lockedBy: instanceId, status: 'sending' };
    const unlock = { lockedBy: null, lockedUntil: null };
    if (outcome.ok) {
      const set: Record<string, unknown> = { ...unlock, status: 'sent', sentAt: clock.now(), via: transport.kind, lastError: null };
      if (!keepBodies) set.body = null;
      return { result: 'sent', write: { updateOne: { filter: mine, update: { $set: set } } } };
    }
    const permanent = outcome.error instanceof PermanentMailError || outcome.error instanceof MailBodyError;
    const failed = permanent || record.attempts >= MAX_ATTEMPTS;
    logger.warn({ outboxId: record._id.toHexString(), attempts: record.attempts, err: outcome.error, failed }, 'mail not delivered');
    const update = {
      $set: {
        ...unlock,
        status: failed ? 'failed' : 'queued',
        lastError: errorText(outcome.error),
        nextAttemptAt: new Date(clock.now().getTime() + retryDelay(record.attempts)),
      },
    };
    return { result: failed ? 'failed' : 'retried', write: { updateOne: { filter: mine, update } } };
  }

  function bodyOf(record: OutboxRecord): MailBody {
    if (!record.body) throw new MailBodyError('the message has no body');
    try {
      return openBody(key, record.body);
    } catch (error) {
      throw new MailBodyError(`the message body cannot be opened (was the secret changed?): ${errorText(error)}`);
    }
  }

  async function deliverOne(record: OutboxRecord): Promise<Settlement> {
    try {
      const body = bodyOf(record);
      await transport.send({ from: options.from, to: record.to, subject: record.subject, messageId: record.messageId, ...body });
    } catch (error) {
      return settlement(record, { ok: false, error });
    }
    return settlement(record, { ok: true });
  }

  async function deliverDue(opts: { limit?: number } = {}): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retried: 0, failed: 0 };
    let budget = opts.limit ?? Number.POSITIVE_INFINITY;
    const claimed: OutboxRecord[] = [];
    let exhausted = false;
    let claiming: Promise<void> | undefined;
    // Lanes share one batch; one lane at a time claims the next, before this one runs out, so no lane waits for it.
    const claimMore = (): Promise<void> => {
      // `budget` no longer counts the message the calling lane is after.
      claiming ??= claimBatch(Math.min(CLAIM_BATCH, budget + 1)).then((batch) => {
        claimed.push(...batch.claimed);
        // Found but all taken by another instance in between: look again (the next find sees other messages).
        if (batch.found === 0) exhausted = true;
        claiming = undefined;
      });
      return claiming;
    };
    const next = async (): Promise<OutboxRecord | undefined> => {
      while (claimed.length === 0 && !exhausted) await claimMore();
      const record = claimed.shift();
      if (record && claimed.length < concurrency && !exhausted && budget > claimed.length) void claimMore().catch(() => undefined);
      return record;
    };
    // Outcomes are written in batches: one round trip per SETTLE_BATCH messages instead of one per message. A message
    // the server accepted stays "sending" until its batch is written; an instance dying in that moment leaves it to
    // be sent again after its claim expired, with the same Message-ID (as a death between send and write always did).
    const unwritten: Settlement['write'][] = [];
    let writing: Promise<unknown> = Promise.resolve();
    const writeOutcomes = (): Promise<unknown> => {
      if (unwritten.length > 0) {
        const batch = unwritten.splice(0);
        writing = writing.then(() => model().collection.bulkWrite(batch, { ordered: false }));
      }
      return writing;
    };
    const lane = async (): Promise<void> => {
      while (budget > 0) {
        budget -= 1;
        const record = await next();
        if (!record) return;
        const { result, write } = await deliverOne(record);
        report[result] += 1;
        unwritten.push(write);
        if (unwritten.length >= SETTLE_BATCH) void writeOutcomes().catch(() => undefined);
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, lane));
    } finally {
      await writeOutcomes();
      // Claimed but not sent (the budget ran out): back to the queue at once, for this or another instance.
      if (claimed.length > 0) await release(claimed.splice(0));
    }
    return report;
  }

  async function release(records: OutboxRecord[]): Promise<void> {
    await model().collection.updateMany(
      { _id: { $in: records.map((r) => r._id) }, lockedBy: instanceId, status: 'sending' },
      { $set: { status: 'queued', lockedBy: null, lockedUntil: null }, $inc: { attempts: -1 } },
    );
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), delayMs);
  }

  let pollMs = 2000;
  async function tick(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = deliverDue().catch((error: unknown) => {
      logger.error({ err: error }, 'outbox delivery failed');
      return { sent: 0, retried: 0, failed: 0 };
    });
    await running;
    running = undefined;
    if (again) {
      again = false;
      schedule(0);
    } else schedule(pollMs);
  }

  function nudge(): void {
    if (!stopped) schedule(0);
  }

  return {
    transportKind: transport.kind,
    enqueue,
    enqueueMany,
    deliverDue,
    async withdraw(filter, opts = {}) {
      const result = await model().collection.updateMany(
        { refs: { $all: filter.refs }, category: { $in: filter.categories }, status: 'queued' },
        { $set: { status: 'cancelled', body: null, lastError: null } },
        { session: opts.session },
      );
      return result.modifiedCount;
    },
    async retryFailed(organisationId, ids) {
      const filter: Record<string, unknown> = { organisationId: new mongoose.Types.ObjectId(String(organisationId)), status: 'failed' };
      if (ids) filter._id = { $in: ids.map((id) => new mongoose.Types.ObjectId(String(id))) };
      const result = await model().collection.updateMany(filter, { $set: { status: 'queued', nextAttemptAt: clock.now(), attempts: 0 } });
      nudge();
      return result.modifiedCount;
    },
    async read(id) {
      if (!mongoose.isValidObjectId(id)) return null;
      const record = await model().collection.findOne<OutboxRecord>({ _id: new mongoose.Types.ObjectId(String(id)) });
      if (!record) return null;
      return { ...record, body: record.body ? openBody(key, record.body) : null };
    },
    start(every) {
      pollMs = every;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      transport.close();
    },
  };
}

/** A stored message that cannot be sent as it is (no body, or one that does not open): retrying will not help. */
class MailBodyError extends Error {
  override name = 'MailBodyError';
}
