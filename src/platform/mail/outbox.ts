/**
 * The persistent outbox: the only way mail leaves the app. A message is written to MongoDB first (in the same
 * transaction as the change that caused it, when there is one), then delivered by whichever app instance claims it:
 * queued → sending → sent, or back to queued with a backoff after a temporary failure, or failed after a permanent
 * one or too many attempts. A message is marked sent only after the transport accepted it.
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

export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** How long a claim protects a message being sent; after that another instance may take it over. */
const CLAIM_MS = 5 * 60 * 1000;
export const MAX_ATTEMPTS = 10;
const FIRST_RETRY_MS = 30 * 1000;
const MAX_RETRY_MS = 60 * 60 * 1000;

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

  async function claimNext(): Promise<OutboxRecord | null> {
    const now = clock.now();
    return model().collection.findOneAndUpdate(
      { $or: [{ status: 'queued', nextAttemptAt: { $lte: now } }, { status: 'sending', lockedUntil: { $lte: now } }] },
      { $set: { status: 'sending', lockedBy: instanceId, lockedUntil: new Date(now.getTime() + CLAIM_MS) }, $inc: { attempts: 1 } },
      { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
    ) as Promise<OutboxRecord | null>;
  }

  async function settle(record: OutboxRecord, outcome: { ok: true } | { ok: false; error: unknown }): Promise<keyof DeliveryReport> {
    const mine = { _id: record._id, lockedBy: instanceId, status: 'sending' };
    const unlock = { lockedBy: null, lockedUntil: null };
    if (outcome.ok) {
      const set: Record<string, unknown> = { ...unlock, status: 'sent', sentAt: clock.now(), via: transport.kind, lastError: null };
      if (!keepBodies) set.body = null;
      await model().collection.updateOne(mine, { $set: set });
      return 'sent';
    }
    const permanent = outcome.error instanceof PermanentMailError || outcome.error instanceof MailBodyError;
    const failed = permanent || record.attempts >= MAX_ATTEMPTS;
    await model().collection.updateOne(mine, {
      $set: {
        ...unlock,
        status: failed ? 'failed' : 'queued',
        lastError: errorText(outcome.error),
        nextAttemptAt: new Date(clock.now().getTime() + retryDelay(record.attempts)),
      },
    });
    logger.warn({ outboxId: record._id.toHexString(), attempts: record.attempts, err: outcome.error, failed }, 'mail not delivered');
    return failed ? 'failed' : 'retried';
  }

  function bodyOf(record: OutboxRecord): MailBody {
    if (!record.body) throw new MailBodyError('the message has no body');
    try {
      return openBody(key, record.body);
    } catch (error) {
      throw new MailBodyError(`the message body cannot be opened (was the secret changed?): ${errorText(error)}`);
    }
  }

  async function deliverOne(record: OutboxRecord): Promise<keyof DeliveryReport> {
    try {
      const body = bodyOf(record);
      await transport.send({ from: options.from, to: record.to, subject: record.subject, messageId: record.messageId, ...body });
    } catch (error) {
      return settle(record, { ok: false, error });
    }
    return settle(record, { ok: true });
  }

  async function deliverDue(opts: { limit?: number } = {}): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retried: 0, failed: 0 };
    let budget = opts.limit ?? Number.POSITIVE_INFINITY;
    const lane = async (): Promise<void> => {
      while (budget > 0) {
        budget -= 1;
        const record = await claimNext();
        if (!record) return;
        report[await deliverOne(record)] += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return report;
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
