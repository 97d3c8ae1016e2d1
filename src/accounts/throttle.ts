/**
 * Counting failures (wrong passwords, reset requests) per key in MongoDB, so every app instance sharing the database
 * sees the same counts: after `limit` counted events within `windowMs` of the first, the key is blocked for
 * `blockMs`. Keys are stored as SHA-256 hashes, so the collection holds no email addresses (also none of people who
 * have no account) and no IP addresses.
 *
 * Time comes from the injected clock. Old entries are removed by a persisted job (`THROTTLE_CLEANUP_JOB`) rather
 * than a TTL index, whose monitor reads the database server's clock and would disagree with a test's clock.
 *
 * Why not rate-limiter-flexible's Mongo store: it decides by `Date.now()` and expires by a TTL index, so neither tests
 * nor the rule "time only from the injected clock" could hold.
 */
import { createHash } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import mongoose, { Schema } from 'mongoose';
import type { JobScheduler } from '../platform/jobs';

export interface ThrottleRule {
  /** Part of the stored key, so rules never share counts. */
  name: string;
  limit: number;
  windowMs: number;
  blockMs: number;
}

const MINUTE = 60 * 1000;

/** Guessing one account's password from any number of addresses. */
export const LOGIN_PER_ACCOUNT: ThrottleRule = { name: 'login-account', limit: 5, windowMs: 15 * MINUTE, blockMs: 15 * MINUTE };
/** Guessing many accounts' passwords from one address (an office behind one NAT address has room for its typos). */
export const LOGIN_PER_IP: ThrottleRule = { name: 'login-ip', limit: 20, windowMs: 15 * MINUTE, blockMs: 15 * MINUTE };
/** Reset mails to one address (more would be mail bombing through the platform). */
export const RESET_PER_ACCOUNT: ThrottleRule = { name: 'reset-account', limit: 3, windowMs: 60 * MINUTE, blockMs: 60 * MINUTE };
/** Reset requests from one address. */
export const RESET_PER_IP: ThrottleRule = { name: 'reset-ip', limit: 10, windowMs: 60 * MINUTE, blockMs: 60 * MINUTE };

export const THROTTLE_CLEANUP_JOB = 'accounts.throttle-cleanup';
const CLEANUP_EVERY_MS = 60 * MINUTE;

interface ThrottleRecord {
  _id: string;
  count: number;
  windowEndsAt: Date;
  blockedUntil: Date | null;
  /** When the entry no longer matters (window and block over): the cleanup job removes it after this. */
  expiresAt: Date;
}

const throttleSchema = new Schema(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true },
    windowEndsAt: { type: Date, required: true },
    blockedUntil: { type: Date, default: null },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'throttles', versionKey: false },
);
throttleSchema.index({ expiresAt: 1 });

function registerThrottleModel(conn: mongoose.Connection) {
  return conn.model('Throttle', throttleSchema);
}
type ThrottleModel = ReturnType<typeof registerThrottleModel>;

function throttleCollection(conn: mongoose.Connection): mongoose.mongo.Collection<ThrottleRecord> {
  const model = (conn.models.Throttle as ThrottleModel | undefined) ?? registerThrottleModel(conn);
  return model.collection as unknown as mongoose.mongo.Collection<ThrottleRecord>;
}

export interface ThrottleKey {
  rule: ThrottleRule;
  /** What is counted: a normalised email address, a client IP. */
  value: string;
}

export function accountKey(rule: ThrottleRule, email: string): ThrottleKey {
  return { rule, value: email.trim().toLowerCase() };
}

/** IPv6 clients are counted per /56 network: one machine has many addresses there. */
export function ipKey(rule: ThrottleRule, ip: string | undefined): ThrottleKey {
  return { rule, value: ipKeyGenerator(ip ?? 'unknown') };
}

function storedId(key: ThrottleKey): string {
  return `${key.rule.name}:${createHash('sha256').update(key.value, 'utf8').digest('base64url')}`;
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/** How long until every blocked key among `keys` is free again (0: none is blocked). */
export async function blockedFor(conn: mongoose.Connection, keys: ThrottleKey[], now: Date): Promise<number> {
  const records = await throttleCollection(conn)
    .find({ _id: { $in: keys.map(storedId) }, blockedUntil: { $gt: now } }, { projection: { blockedUntil: 1 } })
    .toArray();
  return Math.max(0, ...records.map((record) => (record.blockedUntil?.getTime() ?? 0) - now.getTime()));
}

export interface CountedEvent {
  /** This event used up the limit: the key is blocked from now on. */
  blocked: boolean;
  /** This event started a new entry (the cleanup job must exist). */
  started: boolean;
}

/** Counts one event for the key. */
export async function countEvent(conn: mongoose.Connection, key: ThrottleKey, now: Date): Promise<CountedEvent> {
  const { rule } = key;
  const _id = storedId(key);
  const collection = throttleCollection(conn);
  const expiresAt = new Date(now.getTime() + rule.windowMs + rule.blockMs);
  let started = false;
  let record = await collection.findOneAndUpdate({ _id, windowEndsAt: { $gt: now } }, { $inc: { count: 1 } }, { returnDocument: 'after' });
  if (!record) {
    try {
      // A new window; the filter matches only an entry whose window is over, so when another instance started a
      // window at the same moment the upsert's insert collides on _id and this event is counted in theirs.
      record = await collection.findOneAndUpdate(
        { _id, windowEndsAt: { $lte: now } },
        { $set: { count: 1, windowEndsAt: new Date(now.getTime() + rule.windowMs), blockedUntil: null, expiresAt } },
        { upsert: true, returnDocument: 'after' },
      );
      started = true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      record = await collection.findOneAndUpdate({ _id }, { $inc: { count: 1 } }, { returnDocument: 'after' });
    }
  }
  if (!record || record.count < rule.limit) return { blocked: false, started };
  const blockedUntil = new Date(now.getTime() + rule.blockMs);
  const blocked = await collection.updateOne(
    { _id, $or: [{ blockedUntil: null }, { blockedUntil: { $lte: now } }] },
    { $set: { blockedUntil }, $max: { expiresAt: blockedUntil } },
  );
  return { blocked: blocked.modifiedCount > 0, started };
}

/** Forgets the key's count (a successful login ends the account's run of failures). */
export async function clearKey(conn: mongoose.Connection, key: ThrottleKey): Promise<void> {
  await throttleCollection(conn).deleteOne({ _id: storedId(key) });
}

/** Removes entries whose window and block are over; returns how many. */
export async function removeExpiredThrottles(conn: mongoose.Connection, now: Date): Promise<number> {
  const result = await throttleCollection(conn).deleteMany({ expiresAt: { $lte: now } });
  return result.deletedCount;
}

/** Makes sure the hourly cleanup job exists; called when an entry is started, so an idle installation has no job. */
export async function ensureThrottleCleanup(scheduler: JobScheduler, now: Date): Promise<void> {
  await scheduler.schedule(THROTTLE_CLEANUP_JOB, 'all', new Date(now.getTime() + CLEANUP_EVERY_MS), { ifExists: 'keep', repeatMs: CLEANUP_EVERY_MS });
}

/** Counts the event for every key; returns which of them it blocked. */
export async function countEvents(conn: mongoose.Connection, scheduler: JobScheduler, keys: ThrottleKey[], now: Date): Promise<boolean[]> {
  const counted = await Promise.all(keys.map((key) => countEvent(conn, key, now)));
  if (counted.some((event) => event.started)) await ensureThrottleCleanup(scheduler, now);
  return counted.map((event) => event.blocked);
}
