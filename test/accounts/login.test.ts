import assert from 'node:assert/strict';
import { userModel } from '../../src/accounts';
import request from 'supertest';
import { agentWithCsrf, buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

describe('login and logout', () => {
  let t: TestApp;
  let org: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'login' });
    org = await createTestOrganisation(t.deps, 'Login Region');
  });
  after(async () => {
    await t.close();
  });

  it('When a buyer logs in with the right password, then they land on the home page and the login is recorded', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login');
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfToken, email: org.buyer.email.toUpperCase(), password: org.buyer.password })
      .expect(303)
      .expect('Location', '/');
    const home = await agent.get('/?lang=en').expect(200);
    assert.match(home.text, /Signed in as buyer of Login Region/);
    const user = await userModel(t.deps.connection).findOne({ email: org.buyer.email });
    assert.equal(user?.lastLoginAt?.toISOString(), t.clock.now().toISOString());
  });

  it('When someone planted a session id before the victim logs in, then that id grants nothing after the login', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login');
    const planted = agent.jar.getCookie('sid', { domain: '127.0.0.1', path: '/', script: false, secure: false });
    assert.ok(planted, 'an anonymous session exists before login');
    await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: org.buyer.password }).expect(303);
    const after = agent.jar.getCookie('sid', { domain: '127.0.0.1', path: '/', script: false, secure: false });
    assert.ok(after);
    assert.notEqual(after.value, planted.value, 'the session was regenerated');
    await agent.get('/').expect(200);
    // The attacker, holding the planted cookie, is still not logged in.
    await request(t.app).get('/').set('Cookie', `sid=${planted.value}`).expect(302);
    const stored = await t.deps.connection.collection('sessions').countDocuments({ 'session.passport.user': org.buyer.id });
    assert.ok(stored >= 1);
  });

  it('When a login form carries NoSQL operators instead of strings, then 400 and nobody is logged in', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    const res = await agent.post('/login').type('form').send(`_csrf=${encodeURIComponent(csrfToken)}&email[$ne]=x&password[$ne]=x`).expect(400);
    assert.match(res.text, /Enter your email address and password/);
    await agent.post('/login').type('form').send(`_csrf=${encodeURIComponent(csrfToken)}&email=${encodeURIComponent(org.buyer.email)}&password[$gt]=`).expect(400);
    await agent.get('/').expect(302);
  });

  it('When the password is wrong, then 401 with a message that does not say which field was wrong', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: 'wrong-password' }).expect(401);
    assert.match(res.text, /The email address or password is wrong/);
    assert.match(res.text, /aria-invalid="true"/);
    assert.match(res.text, new RegExp(`value="${org.buyer.email}"`), 'the email is kept in the form');
    await agent.get('/').expect(302);
  });

  it('When the email is unknown, then the same 401 message', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfToken, email: 'nobody@nowhere.example', password: 'whatever-password' }).expect(401);
    assert.match(res.text, /The email address or password is wrong/);
  });

  it('When fields are missing, then 400 asking for both', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email }).expect(400);
    assert.match(res.text, /Enter your email address and password/);
  });

  it('When a login page carries ?next, then the user returns there, but never to another site', async () => {
    const local = await agentWithCsrf(t.app, '/login?next=%2F%3Flang%3Den');
    await local.agent
      .post('/login')
      .type('form')
      .send({ _csrf: local.csrfToken, email: org.auditor.email, password: org.auditor.password, next: '/?lang=en' })
      .expect(303)
      .expect('Location', '/?lang=en');
    const foreign = await agentWithCsrf(t.app, '/login');
    await foreign.agent
      .post('/login')
      .type('form')
      .send({ _csrf: foreign.csrfToken, email: org.auditor.email, password: org.auditor.password, next: '//evil.example/' })
      .expect(303)
      .expect('Location', '/');
  });

  it('When a logged-in user logs out, then the home page asks for a login again', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    await agent.get('/').expect(200);
    const token = await refreshCsrf(agent, '/');
    await agent.post('/logout').type('form').send({ _csrf: token }).expect(303).expect('Location', '/login?notice=loggedOut');
    await agent.get('/').expect(302).expect('Location', '/login?next=%2F');
  });

  it('When the user account is deleted, then its session no longer grants access', async () => {
    const extra = await createTestOrganisation(t.deps, 'Short Lived Region');
    const agent = await loginAgent(t.app, extra.buyer);
    await agent.get('/').expect(200);
    await userModel(t.deps.connection).deleteOne({ email: extra.buyer.email });
    await agent.get('/').expect(302);
  });
});

