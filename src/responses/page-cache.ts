/**
 * Section pages as last rendered for a supplier, keyed by everything a page is made of: the response and its revision,
 * the section, the language, the notice shown, the visitor's CSRF token, the supplier's name and the due date shown.
 * Every write to a response bumps its revision, so a page showing old answers is never served; entries also expire
 * with the supplier cache time. Going back, reloading, opening the same section in a second tab or moving through
 * sections without changing anything then costs no template rendering (bench/form-render.ts measures the page).
 *
 * The hidden `_rendered` time in a cached page is the time it was rendered, which stays correct: no answer can have
 * been saved since without changing the revision, and so the key.
 */
import { LRUCache } from 'lru-cache';

/** Bytes of HTML kept per app. A section page is 10–40 kB. */
const MAX_CACHED_BYTES = 32 * 1024 * 1024;

export interface SectionPageKey {
  responseId: string;
  revision: number;
  sectionId: string;
  lang: string;
  notice: string | undefined;
  csrfToken: string;
  supplierName: string | undefined;
  dueAt: Date;
}

/** Pages are kept encoded (UTF-8), as they are sent: a page served from the cache is not encoded again. */
export interface RenderedPages {
  get(key: SectionPageKey): Buffer | undefined;
  set(key: SectionPageKey, html: Buffer): void;
}

function keyText(key: SectionPageKey): string {
  return JSON.stringify([key.responseId, key.revision, key.sectionId, key.lang, key.notice ?? '', key.csrfToken, key.supplierName ?? '', key.dueAt.getTime()]);
}

/** With a cache time of 0 nothing is kept (SUPPLIER_CACHE_MS=0). */
export function createRenderedPages(maxAgeMs: number): RenderedPages {
  if (maxAgeMs <= 0) return { get: () => undefined, set: () => undefined };
  const pages = new LRUCache<string, Buffer>({ maxSize: MAX_CACHED_BYTES, sizeCalculation: (html) => Math.max(1, html.length), ttl: maxAgeMs });
  return {
    get: (key) => pages.get(keyText(key)),
    set: (key, html) => {
      pages.set(keyText(key), html);
    },
  };
}
