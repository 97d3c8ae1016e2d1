/**
 * Responses this process recently read or wrote, per database, so that a supplier page costs no database round trip
 * for its response. Every database round trip costs the app about as much CPU as rendering the whole page
 * (bench/form-render.ts), so this is where the form's speed comes from.
 *
 * Coherence: every write in this domain ends in `rememberResponse` with the new state (the document a write returned,
 * or, for an answer save, the cached copy with the same changes applied: the save wrote only if the response was
 * still at that copy's revision, see answer-writer.ts). A cached response is only ever replaced by one of a higher
 * `revision` (each write increments it), so this process sees its own writes at once and in order, whatever order
 * concurrent replies arrive in. Writes made by another app instance (several instances on one MongoDB) are seen once
 * the entry is older than `maxAgeMs`; every write is still conditional in the database, so a stale entry can never
 * write to a submitted response or lose another instance's answer.
 */
import { LRUCache } from 'lru-cache';
import type mongoose from 'mongoose';
import type { ResponseData } from './model';

const MAX_ENTRIES = 5_000;

/** Cached copies per connection: test apps on separate databases never see each other's entries. */
const caches = new WeakMap<mongoose.Connection, LRUCache<string, ResponseData>>();

function cacheOf(connection: mongoose.Connection): LRUCache<string, ResponseData> {
  let cache = caches.get(connection);
  if (!cache) {
    cache = new LRUCache<string, ResponseData>({ max: MAX_ENTRIES, ttl: 1, ttlAutopurge: false });
    caches.set(connection, cache);
  }
  return cache;
}

/** Whose response it is: a supplier has one response per campaign, whichever of its links opened it. */
export interface ResponseOwner {
  campaignId: mongoose.Types.ObjectId;
  supplierId: mongoose.Types.ObjectId;
}

function keyOf(owner: ResponseOwner): string {
  return `${owner.campaignId.toHexString()}:${owner.supplierId.toHexString()}`;
}

export function revisionOf(response: ResponseData): number {
  return typeof response.revision === 'number' ? response.revision : 0;
}

/** The cached response of a supplier in a campaign, if one was read or written less than `maxAgeMs` ago. */
export function cachedResponse(connection: mongoose.Connection, owner: ResponseOwner, maxAgeMs: number): ResponseData | undefined {
  if (maxAgeMs <= 0) return undefined;
  return caches.get(connection)?.get(keyOf(owner));
}

/**
 * Records a response as just read from or written to the database. The copy kept is the highest revision seen, so
 * a slow reply to an older read never hides a newer write. Returns the copy now cached (callers render that one).
 */
export function rememberResponse(connection: mongoose.Connection, response: ResponseData, maxAgeMs: number): ResponseData {
  if (maxAgeMs <= 0) return response;
  const cache = cacheOf(connection);
  const key = keyOf(response);
  const cached = cache.get(key);
  if (cached !== undefined && cached._id.equals(response._id) && revisionOf(cached) > revisionOf(response)) return cached;
  // Every request shares the cached object: frozen, so no handler can change it for the others.
  Object.freeze(response);
  cache.set(key, response, { ttl: maxAgeMs });
  return response;
}

/** Drops a response from this process's cache (it was changed in a way its revision does not show). */
export function forgetResponse(connection: mongoose.Connection, owner: ResponseOwner): void {
  caches.get(connection)?.delete(keyOf(owner));
}
