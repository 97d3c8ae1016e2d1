import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken, userModel } from '../../src/accounts';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp, type TestOrganisation } from '../helpers/app';

describe('accounts in the JSON API', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  let token: string;
  before(async () => {
    t = await buildTestApp({ label: 'accounts_api' });
    org = await createTestOrganisation(t.deps, 'API Region');
    other = await createTestOrganisation(t.deps, 'Other API Region');
    ({ token } = await createApiToken(t.deps.connection, { organisationId: org.id, name: 'HR system' }, t.clock.now()));
  });
  after(async () => {
    await t.close();
  });

  const api = () => ({
    get: (path: string) => request(t.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: object) => request(t.app).post(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) => request(t.app).patch(`/api/v1${path}`).set('Authorization', `Bearer ${token}`).send(body),
  });

  it('When the organisation is read and patched, then the contact changes and the log names the token', async () => {
    const before = await api().get('/organisation').expect(200);
    assert.deepEqual(before.body, { id: org.id, name: 'API Region', contactName: '', contactEmail: '', tokenName: 'HR system' });
    const patched = await api().patch('/organisation', { contactEmail: 'inkop@api-region.example' }).expect(200);
    assert.equal(patched.body.contactEmail, 'inkop@api-region.example');
    assert.equal(patched.body.name, 'API Region');
    const bad = await api().patch('/organisation', { contactEmail: 'nope' }).expect(400);
    assert.equal(bad.body.error.field, 'body.contactEmail');
    const log = await api().get('/activity?action=organisation.updated').expect(200);
    assert.equal(log.body.entries[0].actor.kind, 'api');
    assert.match(log.body.entries[0].description, /API token “HR system” changed the organisation/);
  });

  it('When users are listed and changed, then only the organisation’s users, and the same rules as the pages', async () => {
    const list = await api().get('/users').expect(200);
    assert.deepEqual(list.body.users.map((u: { email: string }) => u.email).sort(), [org.admin.email, org.auditor.email, org.buyer.email].sort());
    const changed = await api().patch(`/users/${org.buyer.id}`, { roles: ['buyer', 'auditor'] }).expect(200);
    assert.deepEqual(changed.body.roles, ['buyer', 'auditor']);
    const lastAdmin = await api().patch(`/users/${org.admin.id}`, { active: false }).expect(409);
    assert.match(lastAdmin.body.error.message, /at least one active administrator/);
    const session = await loginAgent(t.app, org.auditor);
    const off = await api().patch(`/users/${org.auditor.id}`, { active: false }).expect(200);
    assert.equal(off.body.active, false);
    await session.get('/').expect(302);
    await api().patch(`/users/${org.auditor.id}`, { active: true }).expect(200);
    const invalid = await api().patch(`/users/${org.buyer.id}`, { roles: ['owner'] }).expect(400);
    assert.match(invalid.body.error.field, /^body\.roles/);
    await api().patch(`/users/${org.buyer.id}`, { roles: { $ne: null } }).expect(400);
    await api().patch(`/users/${org.buyer.id}`, {}).expect(400);
  });

  it('When another organisation’s user or invitation is named, or a malformed id, then 404 on every id-bearing route', async () => {
    const invited = await request(t.app)
      .post('/api/v1/invitations')
      .set('Authorization', `Bearer ${(await createApiToken(t.deps.connection, { organisationId: other.id, name: 'Other' }, t.clock.now())).token}`)
      .send({ email: 'someone@other-api.example', roles: ['buyer'], locale: 'sv' })
      .expect(201);
    for (const id of [other.buyer.id, invited.body.id, 'xyz']) {
      await api().get(`/users/${id}`).expect(404);
      await api().patch(`/users/${id}`, { active: false }).expect(404);
      await api().post(`/invitations/${id}/resend`).expect(404);
      await api().post(`/invitations/${id}/revoke`).expect(404);
    }
    assert.equal((await userModel(t.deps.connection).findById(other.buyer.id))?.active, true);
  });

  it('When a colleague is invited through the API, then the mail goes out and the invitation can be resent and withdrawn', async () => {
    const created = await api().post('/invitations', { email: 'Api.Invitee@API-Region.example', roles: ['auditor'], locale: 'en' }).expect(201);
    assert.equal(created.body.email, 'api.invitee@api-region.example');
    assert.equal(created.body.status, 'pending');
    assert.equal(created.body.invitedBy, 'HR system');
    const mails = await t.deliverMail();
    assert.ok(mails.some((m) => m.to === 'api.invitee@api-region.example' && /HR system has invited you/.test(m.text)));
    await api().post('/invitations', { email: org.buyer.email, roles: ['buyer'], locale: 'en' }).expect(409);
    const bad = await api().post('/invitations', { email: 'x', roles: [], locale: 'en' }).expect(400);
    assert.equal(bad.body.error.field, 'body.email');
    assert.equal((await api().post(`/invitations/${created.body.id}/resend`).expect(200)).body.status, 'pending');
    assert.equal((await api().post(`/invitations/${created.body.id}/revoke`).expect(200)).body.status, 'revoked');
    const open = await api().get('/invitations').expect(200);
    assert.ok(!open.body.some((i: { id: string }) => i.id === created.body.id));
  });

  it('When the activity log is read through the API, then it is the organisation’s, filtered, in the caller’s language, and as CSV', async () => {
    const sv = await api().get('/activity?action=user.').set('Accept-Language', 'sv').expect(200);
    assert.ok(sv.body.entries.length > 0);
    assert.ok(sv.body.entries.every((e: { action: string }) => e.action.startsWith('user.')));
    assert.ok(sv.body.entries.some((e: { description: string }) => /API-nyckeln ”HR system”/.test(e.description)));
    const bad = await api().get('/activity?from=yesterday').expect(400);
    assert.equal(bad.body.error.field, 'query.from');
    const csv = await api().get('/activity/export.csv?action=user.').expect(200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(csv.text, /^\uFEFFTime \(UTC\),/);
    assert.doesNotMatch(csv.text, /someone@other-api\.example/);
  });

  it('When the OpenAPI document is read, then it describes the accounts routes', async () => {
    const doc = await request(t.app).get('/api/v1/openapi.json').expect(200);
    for (const [path, method] of [['/users', 'get'], ['/users/{id}', 'patch'], ['/invitations', 'post'], ['/activity', 'get'], ['/activity/export.csv', 'get'], ['/organisation', 'patch']]) {
      assert.ok(doc.body.paths[path]?.[method as string], `${method} ${path}`);
    }
  });
});
