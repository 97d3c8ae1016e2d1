/**
 * i18next set-up: every `locales/<lang>/<namespace>.json` file is loaded at start, one i18next instance per app.
 * Language of a request: `?lang=`, then the session, then a route-supplied preference (e.g. an invitation's
 * language), then Accept-Language, then Swedish.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import i18next, { type i18n as I18n, type Resource } from 'i18next';
import { paths } from '../paths';

export const LANGUAGES = ['sv', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Lang = 'sv';

export type Translate = (key: string, params?: Record<string, unknown>) => string;

/** The Intl locale each language formats numbers and dates with. */
export const INTL_LOCALES: Record<Lang, string> = { sv: 'sv-SE', en: 'en-GB' };

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

function readJsonObject(file: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${file}: a locale file must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** Reads every namespace file of every supported language. */
export function loadResources(localesDir: string = paths.locales): { resources: Resource; namespaces: string[] } {
  const resources: Resource = {};
  const namespaces = new Set<string>();
  for (const lang of LANGUAGES) {
    const dir = path.join(localesDir, lang);
    resources[lang] = {};
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
      const namespace = path.basename(file, '.json');
      namespaces.add(namespace);
      try {
        resources[lang][namespace] = readJsonObject(path.join(dir, file));
      } catch (error) {
        throw new Error(`Locale file ${path.join(dir, file)} is not valid: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return { resources, namespaces: [...namespaces] };
}

export function createI18n(localesDir: string = paths.locales): I18n {
  const { resources, namespaces } = loadResources(localesDir);
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    ns: namespaces,
    defaultNS: 'common',
    fallbackNS: 'common',
    lng: DEFAULT_LANGUAGE,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: [...LANGUAGES],
    initAsync: false,
    // EJS escapes with <%= %>; escaping here too would double-escape.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

function languageFromAcceptHeader(req: Request): Lang | undefined {
  const accepted = req.acceptsLanguages([...LANGUAGES]);
  return isLang(accepted) ? accepted : undefined;
}

/**
 * Picks the request's language. `preferred` is a route's own default (an invitation's language) that ranks below an
 * explicit choice (`?lang=` or one stored in the session) but above the browser's Accept-Language.
 */
export function chooseLanguage(req: Request, preferred?: Lang): Lang {
  const fromQuery = req.query.lang;
  if (isLang(fromQuery)) return fromQuery;
  const fromSession = req.session?.lang;
  if (isLang(fromSession)) return fromSession;
  if (preferred) return preferred;
  return languageFromAcceptHeader(req) ?? DEFAULT_LANGUAGE;
}

/** Intl formatters are costly to build and immutable: one per language and option set, built on first use. */
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function dateFormatter(lang: Lang, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `date:${lang}:${JSON.stringify(options)}`;
  let format = formatters.get(key);
  if (!(format instanceof Intl.DateTimeFormat)) {
    format = new Intl.DateTimeFormat(INTL_LOCALES[lang], options);
    formatters.set(key, format);
  }
  return format;
}

function numberFormatter(lang: Lang, options: Intl.NumberFormatOptions | undefined): Intl.NumberFormat {
  const key = `number:${lang}:${options ? JSON.stringify(options) : ''}`;
  let format = formatters.get(key);
  if (!(format instanceof Intl.NumberFormat)) {
    format = new Intl.NumberFormat(INTL_LOCALES[lang], options);
    formatters.set(key, format);
  }
  return format;
}

function toDate(value: Date | string | number | null | undefined): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function formatDate(lang: Lang, value: Date | string | number | null | undefined, style: 'short' | 'medium' | 'long' = 'medium'): string {
  const date = toDate(value);
  return date ? dateFormatter(lang, { dateStyle: style, timeZone: 'Europe/Stockholm' }).format(date) : '';
}

export function formatDateTime(lang: Lang, value: Date | string | number | null | undefined): string {
  const date = toDate(value);
  return date ? dateFormatter(lang, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Stockholm' }).format(date) : '';
}

export function formatNumber(lang: Lang, value: number | null | undefined, options?: Intl.NumberFormatOptions): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  return numberFormatter(lang, options).format(value);
}

/** The URL of the current page with `lang` set, for the language switch links. */
function languageSwitchUrl(req: Request, lang: Lang): string {
  const url = new URL(req.originalUrl, 'http://placeholder');
  url.searchParams.set('lang', lang);
  return `${url.pathname}${url.search}`;
}

const TRANSLATION_CACHE_LIMIT = 20_000;

function memoize(t: Translate): Translate {
  const texts = new Map<string, string>();
  return (key, params) => {
    const cacheKey = params ? `${key}:${JSON.stringify(params)}` : key;
    let text = texts.get(cacheKey);
    if (text === undefined) {
      text = t(key, params);
      if (texts.size >= TRANSLATION_CACHE_LIMIT) texts.clear();
      texts.set(cacheKey, text);
    }
    return text;
  };
}

interface LanguageLocals {
  t: Translate;
  /** `t` with its results kept (see `memoizedTranslate`). */
  memoizedT: Translate;
  formatDate: (value: Date | string | number | null | undefined, style?: 'short' | 'medium' | 'long') => string;
  formatDateTime: (value: Date | string | number | null | undefined) => string;
  formatNumber: (value: number | null | undefined, options?: Intl.NumberFormatOptions) => string;
}

/** The view helpers of one language are the same for every request: built once per i18next instance and language. */
const languageLocals = new WeakMap<I18n, Map<Lang, LanguageLocals>>();

function localsFor(i18n: I18n, lang: Lang): LanguageLocals {
  let byLang = languageLocals.get(i18n);
  if (!byLang) {
    byLang = new Map();
    languageLocals.set(i18n, byLang);
  }
  let locals = byLang.get(lang);
  if (!locals) {
    // i18next's `getFixedT` builds a new function per call; one per instance and language is enough.
    const t = i18n.getFixedT(lang) as unknown as Translate;
    locals = {
      t,
      memoizedT: memoize(t),
      formatDate: (value, style) => formatDate(lang, value, style),
      formatDateTime: (value) => formatDateTime(lang, value),
      formatNumber: (value, options) => formatNumber(lang, value, options),
    };
    byLang.set(lang, locals);
  }
  return locals;
}

/**
 * Translate with results kept per app, language, key and parameters (texts are static). A supplier page translates
 * the same texts dozens of times (per question, per section), which cost more in i18next than everything else on it.
 */
export function memoizedTranslate(i18n: I18n, lang: Lang): Translate {
  return localsFor(i18n, lang).memoizedT;
}

/**
 * Sets the request's language and the view locals that depend on it (`t`, `lang`, `formatDate`, `formatNumber`,
 * `formatDateTime`, `langSwitchUrl`). Routes call it again when they learn a better default (an invitation).
 */
export function useLanguage(i18n: I18n, req: Request, res: Response, lang: Lang): void {
  const locals = localsFor(i18n, lang);
  req.lang = lang;
  req.t = locals.t;
  res.locals.lang = lang;
  res.locals.t = locals.t;
  res.locals.formatDate = locals.formatDate;
  res.locals.formatDateTime = locals.formatDateTime;
  res.locals.formatNumber = locals.formatNumber;
  res.locals.langSwitchUrl = (target: Lang) => languageSwitchUrl(req, target);
  res.locals.languages = LANGUAGES;
  res.setHeader('Content-Language', lang);
}

/** Middleware: chooses the language, remembers an explicit `?lang=` in an existing session, sets the locals. */
export function i18nMiddleware(i18n: I18n): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const lang = chooseLanguage(req);
    if (isLang(req.query.lang) && req.session && req.session.lang !== lang) req.session.lang = lang;
    req.i18n = i18n;
    useLanguage(i18n, req, res, lang);
    next();
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's language (sv | en). */
      lang: Lang;
      /** Translate in the request's language: `req.t('common:errors.notFound')`. */
      t: Translate;
      /** The app's i18next instance, for routes that need to re-choose the language (`useLanguage`). */
      i18n: I18n;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    /** A language chosen explicitly with `?lang=`. */
    lang?: Lang;
  }
}
