import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/app';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createSupplierLink } from '../responses/fixtures';

describe('production mode', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'production', config: { nodeEnv: 'production', isProduction: true, baseUrl: 'https://saq.example.org' } });
  });
  after(async () => {
    await t.close();
  });

  it('When served over HTTPS behind a proxy, then session and CSRF cookies are Secure, __Host- prefixed and HttpOnly', async () => {
    const res = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https').expect(200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('__Host-sid='));
    const csrf = cookies.find((c) => c.startsWith('__Host-csrf='));
    assert.ok(session, `session cookie in ${cookies.join(' | ')}`);
    assert.ok(csrf, 'CSRF cookie');
    for (const cookie of [session, csrf]) {
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; Path=\//);
      assert.doesNotMatch(cookie, /Domain=/);
    }
  });

  it('When served over plain HTTP, then no session cookie is handed out', async () => {
    const res = await request(t.app).get('/login').expect(200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    assert.equal(cookies.find((c) => c.startsWith('__Host-sid=')), undefined);
  });

  it('When a page is served, then HSTS and upgrade-insecure-requests are on', async () => {
    const res = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https');
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=31536000/);
    assert.match(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
  });

  it('When a supplier link is opened over HTTPS, then its CSRF cookie is Secure, __Secure- prefixed, HttpOnly and scoped to the link, and no session cookie is set', async () => {
    const link = await createSupplierLink(t);
    const res = await request(t.app).get(`${link.path}/section/forced_labour`).set('X-Forwarded-Proto', 'https').expect(200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const csrf = cookies.find((c) => c.startsWith('__Secure-supplier-csrf='));
    assert.ok(csrf, `supplier CSRF cookie in ${cookies.join(' | ')}`);
    assert.match(csrf, /; Secure/);
    assert.match(csrf, /; HttpOnly/);
    assert.match(csrf, new RegExp(`; Path=/s/${link.token}(;|$)`));
    assert.equal(cookies.find((c) => c.startsWith('__Host-sid=')), undefined);
  });

  it('When a page is missing in production, then the error page shows no internals', async () => {
    const res = await request(t.app).get('/no-such-page').set('X-Forwarded-Proto', 'https').expect(404);
    assert.doesNotMatch(res.text, /node_modules|\.ts:\d+|\bat \w/);
  });
});

describe('development mode', () => {
  it('When not in production, then no HSTS and no upgrade-insecure-requests (they would break http://localhost)', async () => {
    const t = await buildTestApp({ label: 'development' });
    try {
      const res = await request(t.app).get('/login');
      assert.equal(res.headers['strict-transport-security'], undefined);
      assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
    } finally {
      await t.close();
    }
  });
});

describe('view cache', () => {
  it('When createApp is told to cache views, then it does in any environment; by default it does except in development', async () => {
    const t = await buildTestApp({ label: 'view_cache', config: { nodeEnv: 'development' } });
    try {
      assert.equal(createApp(t.deps).get('view cache'), false);
      assert.equal(createApp(t.deps, { viewCache: true }).get('view cache'), true);
      assert.equal(createApp({ ...t.deps, config: { ...t.deps.config, nodeEnv: 'test' } }).get('view cache'), true);
      assert.equal(createApp({ ...t.deps, config: { ...t.deps.config, nodeEnv: 'production' } }, { viewCache: false }).get('view cache'), false);
    } finally {
      await t.close();
    }
  });
});
