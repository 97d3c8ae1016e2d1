import assert from 'node:assert/strict';
import type { Request } from 'express';
import { chooseLanguage, createI18n, formatDate, formatNumber, LANGUAGES, loadResources } from '../../src/platform/i18n';

function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

function fakeRequest(options: { query?: Record<string, unknown>; sessionLang?: string; accept?: string }): Request {
  const accepted = options.accept;
  return {
    query: options.query ?? {},
    session: options.sessionLang ? { lang: options.sessionLang } : {},
    acceptsLanguages: (langs: string[]) => (accepted && langs.includes(accepted) ? accepted : false),
  } as unknown as Request;
}

describe('i18n', () => {
  const { resources, namespaces } = loadResources();

  it('When locale files are loaded, then every namespace exists in both languages', () => {
    assert.ok(namespaces.includes('common'));
    for (const lang of LANGUAGES) {
      for (const namespace of namespaces) assert.ok(resources[lang]?.[namespace], `${lang}/${namespace}.json`);
    }
  });

  it('When a key exists in one language, then it exists in the other', () => {
    for (const namespace of namespaces) {
      const sv = new Set(leafKeys(resources.sv?.[namespace]));
      const en = new Set(leafKeys(resources.en?.[namespace]));
      assert.deepEqual([...sv].filter((key) => !en.has(key)), [], `${namespace}: keys only in sv`);
      assert.deepEqual([...en].filter((key) => !sv.has(key)), [], `${namespace}: keys only in en`);
    }
  });

  it('When translating, then the right language and interpolation are used', () => {
    const i18n = createI18n();
    assert.equal(i18n.getFixedT('sv')('common:errors.status', { status: 404 }), 'Fel 404');
    assert.equal(i18n.getFixedT('en')('common:errors.status', { status: 404 }), 'Error 404');
  });

  it('When choosing a language, then ?lang beats the session, which beats a route preference, then Accept-Language, then Swedish', () => {
    assert.equal(chooseLanguage(fakeRequest({ query: { lang: 'en' }, sessionLang: 'sv', accept: 'sv' }), 'sv'), 'en');
    assert.equal(chooseLanguage(fakeRequest({ sessionLang: 'en', accept: 'sv' }), 'sv'), 'en');
    assert.equal(chooseLanguage(fakeRequest({ accept: 'sv' }), 'en'), 'en');
    assert.equal(chooseLanguage(fakeRequest({ accept: 'en' })), 'en');
    assert.equal(chooseLanguage(fakeRequest({})), 'sv');
    assert.equal(chooseLanguage(fakeRequest({ query: { lang: 'de' } })), 'sv', 'unsupported languages are ignored');
  });

  it('When formatting dates and numbers, then each locale uses its own conventions', () => {
    const date = new Date('2026-03-05T10:00:00Z');
    assert.equal(formatDate('sv', date, 'long'), '5 mars 2026');
    assert.equal(formatDate('en', date, 'long'), '5 March 2026');
    assert.equal(formatNumber('sv', 1234.5).replace(/\s/g, ' '), '1 234,5');
    assert.equal(formatNumber('en', 1234.5), '1,234.5');
    assert.equal(formatDate('sv', undefined), '');
    assert.equal(formatDate('en', 'not a date'), '');
  });
});
