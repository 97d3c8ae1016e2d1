import assert from 'node:assert/strict';
import request from 'supertest';
import { userModel } from '../../src/accounts';
import { agentWithCsrf, buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

function cspDirectives(header: string | undefined): Map<string, string[]> {
  assert.ok(header, 'Content-Security-Policy header missing');
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name, values);
  }
  return directives;
}

describe('security baseline', () => {
  let t: TestApp;
  let org: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'security' });
    org = await createTestOrganisation(t.deps, 'Security Region');
  });
  after(async () => {
    await t.close();
  });

  describe('headers', () => {
    it('When any page is served, then a strict CSP forbids inline script and style', async () => {
      const res = await request(t.app).get('/login');
      const csp = cspDirectives(res.headers['content-security-policy']);
      assert.deepEqual(csp.get('default-src'), ["'self'"]);
      assert.deepEqual(csp.get('script-src'), ["'self'"]);
      assert.deepEqual(csp.get('style-src'), ["'self'"]);
      assert.deepEqual(csp.get('script-src-attr'), ["'none'"]);
      assert.deepEqual(csp.get('object-src'), ["'none'"]);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
      assert.deepEqual(csp.get('form-action'), ["'self'"]);
      assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['x-powered-by'], undefined);
    });

    it('When pages are rendered, then they hold no inline script, inline style or event handler', async () => {
      const agent = await loginAgent(t.app, org.buyer);
      for (const page of [await request(t.app).get('/login'), await request(t.app).get('/nowhere'), await agent.get('/')]) {
        assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'inline <script>');
        assert.doesNotMatch(page.text, /<style\b/i, 'inline <style>');
        assert.doesNotMatch(page.text, /\sstyle="/i, 'style attribute');
        assert.doesNotMatch(page.text, /\son[a-z]+="/i, 'inline event handler');
      }
    });

    it('When a request has no id, then one is generated and returned in x-request-id', async () => {
      const res = await request(t.app).get('/login');
      assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    });

    it('When a proxy sends a well-formed x-request-id, then it is kept; a malformed one is replaced', async () => {
      const kept = await request(t.app).get('/login').set('x-request-id', 'edge-1234.abc');
      assert.equal(kept.headers['x-request-id'], 'edge-1234.abc');
      const replaced = await request(t.app).get('/login').set('x-request-id', 'bad id\twith spaces');
      assert.notEqual(replaced.headers['x-request-id'], 'bad id\twith spaces');
    });

    it('When cookies are set outside production, then they are HttpOnly and SameSite', async () => {
      const res = await request(t.app).get('/login');
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      assert.ok(cookies.length >= 2, 'session and CSRF cookies');
      for (const cookie of cookies) {
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=(Lax|Strict)/);
      }
    });
  });

  describe('CSRF', () => {
    it('When a login form is posted without a token, then 403 and the user is not logged in', async () => {
      const { agent } = await agentWithCsrf(t.app, '/login');
      // The auditor never logs in in this file, so any lastLoginAt would come from this refused request.
      const res = await agent.post('/login?lang=en').type('form').send({ email: org.auditor.email, password: org.auditor.password }).expect(403);
      assert.match(res.text, /The form had expired or was not sent from this site/);
      await agent.get('/').expect(302).expect('Location', '/login?next=%2F');
      const user = await userModel(t.deps.connection).findOne({ email: org.auditor.email });
      assert.equal(user?.lastLoginAt, undefined);
    });

    it('When a login form is posted with a wrong token, then 403 and the user is not logged in', async () => {
      const { agent, csrfToken } = await agentWithCsrf(t.app, '/login');
      const wrong = `${csrfToken.slice(0, -4)}0000`;
      await agent.post('/login').type('form').send({ _csrf: wrong, email: org.buyer.email, password: org.buyer.password }).expect(403);
      await agent.get('/').expect(302);
    });

    it('When a token from another visitor is used, then 403', async () => {
      const { csrfToken: othersToken } = await agentWithCsrf(t.app, '/login');
      const { agent } = await agentWithCsrf(t.app, '/login');
      await agent.post('/login').type('form').send({ _csrf: othersToken, email: org.buyer.email, password: org.buyer.password }).expect(403);
    });

    it('When a logged-in user is sent a logout without a token, then 403 and the session stays', async () => {
      const agent = await loginAgent(t.app, org.buyer);
      await agent.post('/logout').type('form').send({}).expect(403);
      await agent.get('/').expect(200);
    });

    it('When a JSON request carries the token in x-csrf-token, then it is accepted', async () => {
      const agent = await loginAgent(t.app, org.buyer);
      const token = await refreshCsrf(agent, '/');
      await agent.post('/logout').set('x-csrf-token', token).set('Content-Type', 'application/json').send('{}').expect(303);
      await agent.get('/').expect(302);
    });
  });

  describe('body limits', () => {
    it('When a form body exceeds the limit, then 413 and nothing is processed', async () => {
      const { agent, csrfToken } = await agentWithCsrf(t.app, '/login');
      const huge = 'a'.repeat(300 * 1024);
      const res = await agent.post('/login?lang=en').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: org.buyer.password, filler: huge });
      assert.equal(res.status, 413);
      assert.match(res.text, /too large/);
      await agent.get('/').expect(302);
    });
  });
});
