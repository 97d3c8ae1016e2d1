import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken, organisationModel, userModel } from '../../src/accounts';
import { USE_LOG_INTERVAL_MS } from '../../src/accounts/api-tokens';
import { listActivity } from '../../src/platform/activity';
import { buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

describe('preferences, organisation details and API tokens', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'settings' });
    org = await createTestOrganisation(t.deps, 'Settings Region');
    other = await createTestOrganisation(t.deps, 'Foreign Region');
  });
  after(async () => {
    await t.close();
  });

  it('When a user changes name, language and notification preference, then they are saved and the pages switch language at once', async () => {
    const agent = await loginAgent(t.app, org.auditor);
    const page = await agent.get('/account?lang=en').expect(200);
    assert.match(page.text, /Tell me when a supplier submits a response/);
    assert.match(page.text, /name="notifySubmissions" value="on" checked/);
    const csrf = await refreshCsrf(agent, '/account');
    await agent.post('/account').type('form').send({ _csrf: csrf, name: 'Agnes Auditor', locale: 'sv' }).expect(303).expect('Location', '/account?notice=saved');
    const saved = await agent.get('/account?notice=saved').expect(200);
    assert.match(saved.text, /Dina inställningar är sparade/);
    assert.match(saved.text, /Inloggad som Agnes Auditor/);
    const user = await userModel(t.deps.connection).findById(org.auditor.id);
    assert.equal(user?.locale, 'sv');
    assert.equal(user?.notifications?.submissions, false);
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'user.preferences_updated' });
    assert.equal(entries.length, 1);
  });

  it('When the preferences form is wrong, then 400 naming the field and nothing changes', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    const csrf = await refreshCsrf(agent, '/account');
    const res = await agent.post('/account?lang=en').type('form').send({ _csrf: csrf, name: '', locale: 'de' }).expect(400);
    assert.match(res.text, /href="#name"/);
    assert.match(res.text, /href="#locale"/);
    await agent.post('/account').type('form').send(`_csrf=${encodeURIComponent(csrf)}&name[$ne]=x&locale=en`).expect(400);
    await agent.post('/account').type('form').send({ name: 'No token', locale: 'en' }).expect(403);
    const user = await userModel(t.deps.connection).findById(org.buyer.id);
    assert.equal(user?.name, 'buyer of Settings Region');
  });

  it('When an admin edits the organisation, then name and contact change and the log lists each change', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const csrf = await refreshCsrf(agent, '/admin/organisation');
    await agent
      .post('/admin/organisation')
      .type('form')
      .send({ _csrf: csrf, name: 'Settings Region North', contactName: 'Procurement', contactEmail: 'Procurement@Settings.example' })
      .expect(303);
    const stored = await organisationModel(t.deps.connection).findById(org.id);
    assert.equal(stored?.name, 'Settings Region North');
    assert.equal(stored?.contactEmail, 'procurement@settings.example');
    const log = await agent.get('/admin/activity?lang=en&action=organisation.').expect(200);
    assert.match(log.text, /changed the organisation: Name: Settings Region → Settings Region North; Contact: \(empty\) → Procurement/);
  });

  it('When the organisation form is wrong or the name is another organisation’s, then 4xx naming the field and nothing changes', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const csrf = await refreshCsrf(agent, '/admin/organisation');
    const bad = await agent.post('/admin/organisation?lang=en').type('form').send({ _csrf: csrf, name: '', contactEmail: 'nope' }).expect(400);
    assert.match(bad.text, /href="#name"/);
    assert.match(bad.text, /href="#contactEmail"/);
    const taken = await agent.post('/admin/organisation?lang=en').type('form').send({ _csrf: csrf, name: 'Foreign Region', contactName: '', contactEmail: '' }).expect(409);
    assert.match(taken.text, /already has this name/);
    await agent.post('/admin/organisation').type('form').send({ _csrf: csrf, name: 'Two\nlines', contactName: '', contactEmail: '' }).expect(400);
    assert.equal((await organisationModel(t.deps.connection).findById(org.id))?.name, 'Settings Region North');
  });

  it('When an admin creates a token, then it is shown once (not stored, not cached), works for the API, and is listed with its creator', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const csrf = await refreshCsrf(agent, '/admin/api-tokens');
    const created = await agent.post('/admin/api-tokens?lang=en').type('form').send({ _csrf: csrf, name: 'ERP <script>' }).expect(201);
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = /id="new-token" type="text" value="(ssa_[A-Za-z0-9_-]+)"/.exec(created.text)?.[1];
    assert.ok(token);
    assert.doesNotMatch(created.text, /ERP <script>/);
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${token}`).expect(200);
    const list = await agent.get('/admin/api-tokens?lang=en').expect(200);
    assert.doesNotMatch(list.text, new RegExp(token));
    assert.match(list.text, new RegExp(`${token.slice(0, 8)}…`));
    assert.match(list.text, /admin of Settings Region/);
    assert.doesNotMatch(JSON.stringify(await t.deps.connection.collection('api_tokens').find({}).toArray()), new RegExp(token.slice(4)));
  });

  it('When a token is used many times, then the log has its first use and then one entry per hour, with what was called', async () => {
    const { token, record } = await createApiToken(t.deps.connection, { organisationId: org.id, name: 'Busy integration' }, t.clock.now());
    for (let call = 0; call < 20; call += 1) await request(t.app).get('/api/v1/organisation?page=2').set('Authorization', `Bearer ${token}`).expect(200);
    const uses = async () => (await listActivity(t.deps.connection, org.id, { action: 'api_token.used', ref: `api_token:${record._id.toHexString()}` })).entries;
    assert.equal((await uses()).length, 1);
    assert.deepEqual({ method: (await uses())[0]?.details.method, path: (await uses())[0]?.details.path }, { method: 'GET', path: '/api/v1/organisation' });
    t.clock.advance(USE_LOG_INTERVAL_MS - 1000);
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${token}`).expect(200);
    assert.equal((await uses()).length, 1);
    t.clock.advance(2000);
    await Promise.all([1, 2, 3].map(() => request(t.app).get('/api/v1/openapi-not-here').set('Authorization', `Bearer ${token}`)));
    assert.equal((await uses()).length, 2, 'calls at the same moment write one entry');
  });

  it('When an admin revokes a token, then it stops working; another organisation’s token or a malformed id is a 404', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const csrf = await refreshCsrf(agent, '/admin/api-tokens');
    const mine = await createApiToken(t.deps.connection, { organisationId: org.id, name: 'To revoke' }, t.clock.now());
    const foreign = await createApiToken(t.deps.connection, { organisationId: other.id, name: 'Foreign' }, t.clock.now());
    for (const id of [foreign.record._id.toHexString(), 'nope']) await agent.post(`/admin/api-tokens/${id}/revoke`).type('form').send({ _csrf: csrf }).expect(404);
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${foreign.token}`).expect(200);
    await agent.post(`/admin/api-tokens/${mine.record._id.toHexString()}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    await request(t.app).get('/api/v1/organisation').set('Authorization', `Bearer ${mine.token}`).expect(401);
    await agent.post(`/admin/api-tokens/${mine.record._id.toHexString()}/revoke`).type('form').send({ _csrf: csrf }).expect(404);
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'api_token.' });
    assert.ok(entries.some((e) => e.action === 'api_token.revoked' && e.details.name === 'To revoke'));
    assert.ok(entries.some((e) => e.action === 'api_token.created'));
  });

  it('When a token has no name, then 400 naming the field', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const csrf = await refreshCsrf(agent, '/admin/api-tokens');
    const res = await agent.post('/admin/api-tokens?lang=en').type('form').send({ _csrf: csrf, name: '  ' }).expect(400);
    assert.match(res.text, /href="#name"/);
  });
});
