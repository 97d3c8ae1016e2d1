import assert from 'node:assert/strict';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../helpers/app';

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
