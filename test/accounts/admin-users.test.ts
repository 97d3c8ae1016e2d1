import assert from 'node:assert/strict';
import request from 'supertest';
import { createUser, TEST_PASSWORD_HASHING, userModel } from '../../src/accounts';
import { changeRoles, setUserActive } from '../../src/accounts/users';
import { listActivity } from '../../src/platform/activity';
import { agentWithCsrf, buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

describe('organisation admin: users and roles', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'admin_users' });
    org = await createTestOrganisation(t.deps, 'Admin Region');
    other = await createTestOrganisation(t.deps, 'Other Region');
  });
  after(async () => {
    await t.close();
  });

  async function adminAgent() {
    const agent = await loginAgent(t.app, org.admin);
    return { agent, csrf: await refreshCsrf(agent, '/admin/users') };
  }

  it('When a buyer or an auditor opens an admin page, then 403; when nobody is logged in, then the login page', async () => {
    for (const user of [org.buyer, org.auditor]) {
      const agent = await loginAgent(t.app, user);
      for (const path of ['/admin/users', '/admin/users/invite', '/admin/organisation', '/admin/api-tokens', '/admin/activity', `/admin/users/${org.buyer.id}`]) {
        await agent.get(path).expect(403);
      }
      const csrf = await refreshCsrf(agent, '/account');
      await agent.post(`/admin/users/${org.buyer.id}/roles`).type('form').send({ _csrf: csrf, roles: 'admin' }).expect(403);
    }
    await request(t.app).get('/admin/users').expect(302).expect('Location', '/login?next=%2Fadmin%2Fusers');
    const stored = await userModel(t.deps.connection).findById(org.buyer.id);
    assert.deepEqual([...(stored?.roles ?? [])], ['buyer']);
  });

  it('When an admin lists users, then only their organisation’s users are shown', async () => {
    const { agent } = await adminAgent();
    const page = await agent.get('/admin/users?lang=en').expect(200);
    assert.match(page.text, new RegExp(org.buyer.email));
    assert.doesNotMatch(page.text, new RegExp(other.buyer.email));
    const search = await agent.get('/admin/users?lang=en&q=auditor').expect(200);
    assert.match(search.text, new RegExp(org.auditor.email));
    assert.doesNotMatch(search.text, new RegExp(org.buyer.email));
  });

  it('When an admin names another organisation’s user or a malformed id on any user route, then 404 and nothing changes', async () => {
    const { agent, csrf } = await adminAgent();
    for (const id of [other.buyer.id, 'not-an-id', '0123456789abcdef01234567']) {
      await agent.get(`/admin/users/${id}`).expect(404);
      await agent.post(`/admin/users/${id}/roles`).type('form').send({ _csrf: csrf, roles: ['admin'] }).expect(404);
      await agent.post(`/admin/users/${id}/deactivate`).type('form').send({ _csrf: csrf }).expect(404);
      await agent.post(`/admin/users/${id}/reactivate`).type('form').send({ _csrf: csrf }).expect(404);
    }
    const foreign = await userModel(t.deps.connection).findById(other.buyer.id);
    assert.equal(foreign?.active, true);
    assert.deepEqual([...(foreign?.roles ?? [])], ['buyer']);
  });

  it('When a form is posted without its CSRF token, then 403 and nothing changes', async () => {
    const { agent } = await adminAgent();
    await agent.post(`/admin/users/${org.buyer.id}/roles`).type('form').send({ roles: ['buyer', 'auditor'] }).expect(403);
    await agent.post(`/admin/users/${org.buyer.id}/deactivate`).type('form').send({}).expect(403);
    const stored = await userModel(t.deps.connection).findById(org.buyer.id);
    assert.deepEqual([...(stored?.roles ?? [])], ['buyer']);
    assert.equal(stored?.active, true);
  });

  it('When an admin gives a user several roles, then they hold them at once and the change is in the log', async () => {
    const { agent, csrf } = await adminAgent();
    await agent.post(`/admin/users/${org.auditor.id}/roles`).type('form').send({ _csrf: csrf, roles: ['auditor', 'buyer'] }).expect(303).expect('Location', `/admin/users/${org.auditor.id}?notice=rolesChanged`);
    const stored = await userModel(t.deps.connection).findById(org.auditor.id);
    assert.deepEqual([...(stored?.roles ?? [])], ['buyer', 'auditor']);
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'user.roles_changed' });
    assert.deepEqual(entries[0]?.details.from, ['auditor']);
    assert.deepEqual(entries[0]?.details.to, ['buyer', 'auditor']);
    assert.equal(entries[0]?.actor.id, org.admin.id);
    const log = await agent.get('/admin/activity?lang=en').expect(200);
    assert.match(log.text, /changed the roles of auditor of Admin Region from auditor to buyer, auditor/);
  });

  it('When no role is chosen or an unknown role is posted, then 400 naming the roles field', async () => {
    const { agent, csrf } = await adminAgent();
    const none = await agent.post(`/admin/users/${org.buyer.id}/roles?lang=en`).type('form').send({ _csrf: csrf }).expect(400);
    assert.match(none.text, /Choose at least one role/);
    assert.match(none.text, /href="#roles"/);
    await agent.post(`/admin/users/${org.buyer.id}/roles`).type('form').send({ _csrf: csrf, roles: ['owner'] }).expect(400);
    await agent.post(`/admin/users/${org.buyer.id}/roles`).type('form').send(`_csrf=${encodeURIComponent(csrf)}&roles[$ne]=x`).expect(400);
  });

  it('When the only active admin removes their own admin role or deactivates themselves, then it is refused and they stay admin', async () => {
    const { agent, csrf } = await adminAgent();
    const demote = await agent.post(`/admin/users/${org.admin.id}/roles?lang=en`).type('form').send({ _csrf: csrf, roles: ['buyer'] }).expect(409);
    assert.match(demote.text, /at least one active administrator/);
    const deactivate = await agent.post(`/admin/users/${org.admin.id}/deactivate?lang=en`).type('form').send({ _csrf: csrf }).expect(409);
    assert.match(deactivate.text, /at least one active administrator/);
    const stored = await userModel(t.deps.connection).findById(org.admin.id);
    assert.equal(stored?.active, true);
    assert.ok(stored?.roles.includes('admin'));
  });

  it('When two admins demote each other at the same moment, then one of them stays admin', async () => {
    const duo = await createTestOrganisation(t.deps, 'Duo Region');
    const second = await createUser(
      t.deps.connection,
      { email: 'second-admin@duo-region.example', name: 'Second admin', password: 'second-admin-password', roles: ['admin'], organisationId: duo.id },
      { hashing: TEST_PASSWORD_HASHING },
    );
    const actor = { kind: 'user' as const, id: duo.admin.id, name: 'first' };
    const results = await Promise.allSettled([
      changeRoles(t.deps, { organisationId: duo.id, userId: duo.admin.id, roles: ['buyer'], actor }),
      changeRoles(t.deps, { organisationId: duo.id, userId: second._id.toString(), roles: ['buyer'], actor }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, JSON.stringify(results.map((r) => r.status)));
    const admins = await userModel(t.deps.connection).countDocuments({ organisationId: duo.id, roles: 'admin', active: true });
    assert.equal(admins, 1);
  });

  it('When an admin deactivates a user, then that user’s open session ends at once and their stored sessions are gone; reactivated, they log in again', async () => {
    const victim = await loginAgent(t.app, org.buyer);
    await victim.get('/').expect(200);
    const { agent, csrf } = await adminAgent();
    await agent.post(`/admin/users/${org.buyer.id}/deactivate`).type('form').send({ _csrf: csrf }).expect(303);
    await victim.get('/').expect(302);
    assert.equal(await t.deps.connection.collection('sessions').countDocuments({ 'session.passport.user': org.buyer.id }), 0);
    const { agent: retry, csrfToken } = await agentWithCsrf(t.app, '/login');
    await retry.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: org.buyer.password }).expect(401);
    const page = await agent.get(`/admin/users/${org.buyer.id}?lang=en`).expect(200);
    assert.match(page.text, /cannot log in/);
    await agent.post(`/admin/users/${org.buyer.id}/reactivate`).type('form').send({ _csrf: csrf }).expect(303);
    await loginAgent(t.app, org.buyer);
    const { entries } = await listActivity(t.deps.connection, org.id, { ref: `user:${org.buyer.id}` });
    assert.ok(entries.some((e) => e.action === 'user.deactivated'));
    assert.ok(entries.some((e) => e.action === 'user.reactivated'));
  });

  it('When a user’s name holds markup, then the admin pages show it escaped', async () => {
    const hostile = await createUser(
      t.deps.connection,
      { email: 'hostile@admin-region.example', name: '<script>alert(1)</script>', password: 'hostile-password', roles: ['buyer'], organisationId: org.id },
      { hashing: TEST_PASSWORD_HASHING },
    );
    const { agent } = await adminAgent();
    await setUserActive(t.deps, { organisationId: org.id, userId: hostile._id.toString(), active: false, actor: { kind: 'user', id: org.admin.id, name: '<b>admin</b>' } });
    for (const path of ['/admin/users', `/admin/users/${hostile._id.toString()}`, '/admin/activity']) {
      const page = await agent.get(path).expect(200);
      assert.doesNotMatch(page.text, /<script>alert\(1\)<\/script>|<b>admin<\/b>/, path);
      assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, path);
    }
  });
});
