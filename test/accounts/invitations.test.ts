import assert from 'node:assert/strict';
import request from 'supertest';
import { userModel } from '../../src/accounts';
import { INVITATION_VALID_MS } from '../../src/accounts/user-invitations';
import { listActivity } from '../../src/platform/activity';
import type { OutgoingMail } from '../../src/platform/mail/transport';
import { agentWithCsrf, buildTestApp, createTestOrganisation, extractCsrfToken, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

function joinLink(mail: OutgoingMail | undefined): string {
  const match = /http:\/\/127\.0\.0\.1:3000(\/join\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
  assert.ok(match?.[1], `a join link in ${mail?.text}`);
  return match[1];
}

describe('inviting colleagues', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'user_invitations' });
    org = await createTestOrganisation(t.deps, 'Invite Region');
    other = await createTestOrganisation(t.deps, 'Elsewhere Region');
  });
  after(async () => {
    await t.close();
  });

  async function adminAgent(user = org.admin) {
    const agent = await loginAgent(t.app, user);
    return { agent, csrf: await refreshCsrf(agent, '/admin/users/invite') };
  }

  async function invite(email: string, roles: string[], locale = 'en') {
    const { agent, csrf } = await adminAgent();
    await agent.post('/admin/users/invite').type('form').send({ _csrf: csrf, email, roles, locale }).expect(303).expect('Location', '/admin/users?notice=invited');
    const mails = await t.deliverMail();
    const mail = mails.find((m) => m.to === email);
    assert.ok(mail, `an invitation mail to ${email}`);
    return { agent, csrf, mail };
  }

  it('When an admin invites a colleague, then a mail with a working link arrives and the colleague sets name and password and is logged in with the roles given', async () => {
    const { mail } = await invite('new.colleague@invite-region.example', ['buyer', 'auditor']);
    assert.match(mail.subject, /Invitation to Invite Region/);
    assert.match(mail.text, /admin of Invite Region has invited you to Invite Region .* as buyer, auditor/);
    const link = joinLink(mail);
    const visitor = request.agent(t.app);
    const page = await visitor.get(`${link}?lang=en`).expect(200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /Join Invite Region/);
    assert.match(page.text, /new\.colleague@invite-region\.example/);
    await visitor
      .post(link)
      .type('form')
      .send({ _csrf: extractCsrfToken(page.text), name: 'Nora Nykvist', password: 'a long new password', confirm: 'a long new password' })
      .expect(303)
      .expect('Location', '/');
    const home = await visitor.get('/?lang=en').expect(200);
    assert.match(home.text, /Signed in as Nora Nykvist \(buyer, auditor\)/);
    const user = await userModel(t.deps.connection).findOne({ email: 'new.colleague@invite-region.example' });
    assert.equal(String(user?.organisationId), org.id);
    assert.deepEqual([...(user?.roles ?? [])], ['buyer', 'auditor']);
    assert.equal(user?.locale, 'en');
    // The link is single-use.
    const again = await request(t.app).get(`${link}?lang=en`).expect(410);
    assert.match(again.text, /already been used/);
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'user.' });
    assert.ok(entries.some((e) => e.action === 'user.invited' && e.details.email === 'new.colleague@invite-region.example'));
    assert.ok(entries.some((e) => e.action === 'user.invitation_accepted' && e.actor.name === 'Nora Nykvist'));
  });

  it('When the invitation is in Swedish, then the mail is in Swedish', async () => {
    const { mail } = await invite('svensk.kollega@invite-region.example', ['auditor'], 'sv');
    assert.match(mail.subject, /Inbjudan till Invite Region/);
    assert.match(mail.text, /som revisor/);
  });

  it('When only the hash of the link is stored, then the link appears nowhere in the database', async () => {
    const { mail } = await invite('hashed@invite-region.example', ['buyer']);
    const token = joinLink(mail).split('/').pop() ?? '';
    const docs = await t.deps.connection.collection('user_invitations').find({}).toArray();
    assert.doesNotMatch(JSON.stringify(docs), new RegExp(token));
  });

  it('When an address already has an account, in this organisation or another, then the invitation is refused with the same message and no mail', async () => {
    const { agent, csrf } = await adminAgent();
    const own = await agent.post('/admin/users/invite?lang=en').type('form').send({ _csrf: csrf, email: org.buyer.email, roles: ['buyer'], locale: 'en' }).expect(409);
    const foreign = await agent.post('/admin/users/invite?lang=en').type('form').send({ _csrf: csrf, email: other.buyer.email.toUpperCase(), roles: ['buyer'], locale: 'en' }).expect(409);
    const message = (text: string) => /<div class="error-summary"[\s\S]*?<li>([\s\S]*?)<\/li>/.exec(text)?.[1]?.replace(/[^\s]*@[^\s<]*/g, '<address>');
    assert.equal(message(own.text), message(foreign.text));
    assert.match(foreign.text, /There is already an account for/);
    assert.doesNotMatch(foreign.text, /Elsewhere Region/);
    assert.deepEqual(await t.deliverMail(), []);
  });

  it('When the email is malformed, no role is chosen or the language is unknown, then 400 naming each field and nothing is sent', async () => {
    const { agent, csrf } = await adminAgent();
    const res = await agent.post('/admin/users/invite?lang=en').type('form').send({ _csrf: csrf, email: 'not-an-email', locale: 'fr' }).expect(400);
    assert.match(res.text, /href="#email"/);
    assert.match(res.text, /href="#roles"/);
    assert.match(res.text, /href="#locale"/);
    await agent.post('/admin/users/invite').type('form').send(`_csrf=${encodeURIComponent(csrf)}&email[$gt]=&roles=buyer&locale=en`).expect(400);
    assert.deepEqual(await t.deliverMail(), []);
  });

  it('When an invitation is sent again, then a new link works and the old one does not; when it is withdrawn, the link stops working', async () => {
    const { agent, csrf, mail } = await invite('resend@invite-region.example', ['buyer']);
    const oldLink = joinLink(mail);
    const invitation = await t.deps.connection.collection('user_invitations').findOne({ email: 'resend@invite-region.example' });
    assert.ok(invitation);
    await agent.post(`/admin/users/invitations/${String(invitation._id)}/resend`).type('form').send({ _csrf: csrf }).expect(303);
    const [resent] = await t.deliverMail();
    const newLink = joinLink(resent);
    assert.notEqual(newLink, oldLink);
    await request(t.app).get(oldLink).expect(410);
    await request(t.app).get(newLink).expect(200);
    await agent.post(`/admin/users/invitations/${String(invitation._id)}/revoke`).type('form').send({ _csrf: csrf }).expect(303);
    const revoked = await request(t.app).get(`${newLink}?lang=en`).expect(410);
    assert.match(revoked.text, /withdrawn/);
  });

  it('When seven days have passed, then the link has expired and says so; sent again, it works', async () => {
    const { agent, csrf, mail } = await invite('late@invite-region.example', ['auditor']);
    t.clock.advance(INVITATION_VALID_MS + 1000);
    const expired = await request(t.app).get(`${joinLink(mail)}?lang=en`).expect(410);
    assert.match(expired.text, /expired/);
    const list = await agent.get('/admin/users?lang=en').expect(200);
    assert.match(list.text, /Expired/);
    const invitation = await t.deps.connection.collection('user_invitations').findOne({ email: 'late@invite-region.example' });
    await agent.post(`/admin/users/invitations/${String(invitation?._id)}/resend`).type('form').send({ _csrf: csrf }).expect(303);
    const [resent] = await t.deliverMail();
    await request(t.app).get(joinLink(resent)).expect(200);
  });

  it('When another organisation’s admin names this organisation’s invitation, then 404 and it stays as it was', async () => {
    await invite('mine@invite-region.example', ['buyer']);
    const invitation = await t.deps.connection.collection('user_invitations').findOne({ email: 'mine@invite-region.example' });
    const { agent, csrf } = await adminAgent(other.admin);
    for (const id of [String(invitation?._id), 'zzz']) {
      await agent.post(`/admin/users/invitations/${id}/resend`).type('form').send({ _csrf: csrf }).expect(404);
      await agent.post(`/admin/users/invitations/${id}/revoke`).type('form').send({ _csrf: csrf }).expect(404);
    }
    const after = await t.deps.connection.collection('user_invitations').findOne({ _id: invitation?._id });
    assert.equal(after?.revokedAt, null);
    assert.equal(after?.sendCount, 1);
    assert.deepEqual(await t.deliverMail(), []);
  });

  it('When the new colleague’s form is wrong, then 400 naming the fields, and the link still works', async () => {
    const { mail } = await invite('careful@invite-region.example', ['buyer']);
    const link = joinLink(mail);
    const { agent, csrfToken } = await agentWithCsrf(t.app, `${link}?lang=en`);
    const res = await agent.post(link).type('form').send({ _csrf: csrfToken, name: '', password: 'short', confirm: 'other' }).expect(400);
    assert.match(res.text, /href="#name"/);
    assert.match(res.text, /href="#password"/);
    const mismatch = await agent.post(link).type('form').send({ _csrf: csrfToken, name: 'Careful', password: 'long enough password', confirm: 'long enough passw0rd' }).expect(400);
    assert.match(mismatch.text, /The two new passwords are not the same/);
    await agent.get(link).expect(200);
  });

  it('When names in an invitation hold markup, then the join page and the mail escape them', async () => {
    await t.deps.connection.collection('organisations').updateOne({ _id: new (await import('mongoose')).default.Types.ObjectId(org.id) }, { $set: { name: 'Invite <b>Region</b>' } });
    try {
      const { mail } = await invite('markup@invite-region.example', ['buyer']);
      assert.doesNotMatch(mail.html ?? '', /<b>Region<\/b>/);
      assert.match(mail.html ?? '', /Invite &lt;b&gt;Region&lt;\/b&gt;/);
      const page = await request(t.app).get(`${joinLink(mail)}?lang=en`).expect(200);
      assert.doesNotMatch(page.text, /<b>Region<\/b>/);
    } finally {
      await t.deps.connection.collection('organisations').updateOne({ _id: new (await import('mongoose')).default.Types.ObjectId(org.id) }, { $set: { name: 'Invite Region' } });
    }
  });

  it('When join links are guessed, then the address is refused with 429 after at most 30 failures', async () => {
    const statuses = [];
    for (let attempt = 0; attempt <= 30; attempt += 1) statuses.push((await request(t.app).get(`/join/${'x'.repeat(40)}${attempt}`)).status);
    assert.ok(statuses.every((status) => status === 410 || status === 429), statuses.join());
    assert.equal(statuses.at(-1), 429);
  });
});
