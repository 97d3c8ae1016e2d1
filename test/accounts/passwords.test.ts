import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { userModel } from '../../src/accounts';
import { checkCredentials } from '../../src/accounts/service';
import { hashPassword, PASSWORD_HASHING, TEST_PASSWORD_HASHING, verifyPassword } from '../../src/accounts/passwords';
import { RESET_VALID_MS } from '../../src/accounts/password-changes';
import { RESET_PER_ACCOUNT, RESET_PER_IP } from '../../src/accounts/throttle';
import { listActivity } from '../../src/platform/activity';
import type { OutgoingMail } from '../../src/platform/mail/transport';
import { agentWithCsrf, buildTestApp, createTestOrganisation, extractCsrfToken, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';

describe('password hashing', () => {
  it('When a password is hashed, then the PHC string carries scrypt and its cost, and only that password verifies', async () => {
    const hash = await hashPassword('correct horse battery', TEST_PASSWORD_HASHING);
    assert.match(hash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(await verifyPassword('correct horse battery', hash, TEST_PASSWORD_HASHING), { matches: true, needsRehash: false });
    assert.deepEqual(await verifyPassword('correct horse batterx', hash, TEST_PASSWORD_HASHING), { matches: false, needsRehash: false });
    assert.notEqual(await hashPassword('correct horse battery', TEST_PASSWORD_HASHING), hash, 'salted');
  });

  it('When the stored hash is cheaper than the target cost, or bcrypt, then a match asks for a rehash', async () => {
    const cheap = await hashPassword('a password here', TEST_PASSWORD_HASHING);
    assert.deepEqual(await verifyPassword('a password here', cheap, PASSWORD_HASHING), { matches: true, needsRehash: true });
    const legacy = await bcrypt.hash('a password here', 4);
    assert.deepEqual(await verifyPassword('a password here', legacy, PASSWORD_HASHING), { matches: true, needsRehash: true });
    assert.deepEqual(await verifyPassword('wrong', legacy, PASSWORD_HASHING), { matches: false, needsRehash: false });
    assert.deepEqual(await verifyPassword('a password here', 'garbage', PASSWORD_HASHING), { matches: false, needsRehash: false });
  });
});

describe('passwords: bcrypt upgrade, reset by mail, change', () => {
  let t: TestApp;
  let org: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'passwords' });
    org = await createTestOrganisation(t.deps, 'Password Region');
  });
  after(async () => {
    await t.close();
  });

  function resetLink(mail: OutgoingMail | undefined): string {
    const match = /http:\/\/127\.0\.0\.1:3000(\/password\/reset\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '');
    assert.ok(match?.[1], `a reset link in ${mail?.text}`);
    return match[1];
  }

  async function requestReset(email: string, lang = 'en'): Promise<request.Response> {
    const { agent, csrfToken } = await agentWithCsrf(t.app, `/password/forgot?lang=${lang}`);
    return agent.post('/password/forgot').type('form').send({ _csrf: csrfToken, email });
  }

  it('When a user with a bcrypt hash from before logs in, then it works and the hash is replaced by scrypt', async () => {
    await userModel(t.deps.connection).updateOne({ _id: org.auditor.id }, { $set: { passwordHash: await bcrypt.hash(org.auditor.password, 4) } });
    await loginAgent(t.app, org.auditor);
    const stored = await userModel(t.deps.connection).findById(org.auditor.id);
    assert.match(stored?.passwordHash ?? '', /^\$scrypt\$ln=10,/);
    await loginAgent(t.app, org.auditor);
  });

  it('When the email is unknown, then the check takes the same dummy-hash work and finds nobody', async () => {
    const unknown = await checkCredentials(t.deps.connection, 'nobody@nowhere.example', 'whatever', t.clock.now(), TEST_PASSWORD_HASHING);
    assert.deepEqual(unknown, { user: null, account: null });
  });

  it('When someone asks for a reset, then the answer is the same for a known and an unknown address, and only the known one gets a mail', async () => {
    const known = await requestReset(org.buyer.email);
    const unknown = await requestReset('nobody@nowhere.example');
    assert.equal(known.status, 200);
    assert.equal(unknown.status, 200);
    const body = (res: request.Response) => res.text.replace(/value="[^"]*"/g, '').replace(/[^\s>]*@[^\s<]*/g, '<address>');
    assert.equal(body(known), body(unknown));
    assert.deepEqual(await t.deliverMail(), [], 'nothing is sent before the job ran');
    await t.runJobs();
    const mails = t.mailer.messages.filter((m) => m.subject === 'Choose a new password');
    assert.deepEqual(mails.map((m) => m.to), [org.buyer.email]);
  });

  it('When the reset link is used, then the new password works, the old does not, every session ended, and the link works once', async () => {
    const session = await loginAgent(t.app, org.buyer);
    await requestReset(org.buyer.email);
    await t.runJobs();
    const link = resetLink(t.mailer.messages.at(-1));
    const visitor = request.agent(t.app);
    const form = await visitor.get(`${link}?lang=en`).expect(200);
    assert.match(form.text, new RegExp(`For the account ${org.buyer.email}`));
    await visitor.post(link).type('form').send({ _csrf: extractCsrfToken(form.text), password: 'brand new password', confirm: 'brand new password' }).expect(303).expect('Location', '/login?notice=passwordReset');
    await session.get('/').expect(302);
    const used = await request(t.app).get(`${link}?lang=en`).expect(410);
    assert.match(used.text, /has been used, has expired/);
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login');
    await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: org.buyer.password }).expect(401);
    await loginAgent(t.app, { email: org.buyer.email, password: 'brand new password' });
    const [changed] = await t.deliverMail();
    assert.equal(changed?.subject, 'Your password has been changed');
    const { entries } = await listActivity(t.deps.connection, org.id, { ref: `user:${org.buyer.id}` });
    assert.ok(entries.some((e) => e.action === 'user.password_reset_requested'));
    assert.ok(entries.some((e) => e.action === 'user.password_reset_completed'));
    org.buyer.password = 'brand new password';
  });

  it('When a newer reset was asked for, then the older link stops working; after an hour the link has expired', async () => {
    await requestReset(org.admin.email);
    await t.runJobs();
    const first = resetLink(t.mailer.messages.at(-1));
    await requestReset(org.admin.email);
    await t.runJobs();
    const second = resetLink(t.mailer.messages.at(-1));
    await request(t.app).get(first).expect(410);
    await request(t.app).get(second).expect(200);
    t.clock.advance(RESET_VALID_MS + 1);
    await request(t.app).get(second).expect(410);
  });

  it('When the user changes their password after asking for a reset, then the reset link stops working', async () => {
    await requestReset(org.auditor.email);
    await t.runJobs();
    const link = resetLink(t.mailer.messages.at(-1));
    const agent = await loginAgent(t.app, org.auditor);
    const csrf = await refreshCsrf(agent, '/account/password');
    await agent.post('/account/password').type('form').send({ _csrf: csrf, current: org.auditor.password, password: 'auditor new password', confirm: 'auditor new password' }).expect(303);
    org.auditor.password = 'auditor new password';
    await request(t.app).get(link).expect(410);
  });

  it('When reset is asked for too often, then one address is refused with 429 and one account silently gets no more mail', async () => {
    t.clock.advance(2 * 60 * 60 * 1000);
    const resetMails = () => t.mailer.messages.filter((m) => m.to === org.admin.email && m.subject === 'Choose a new password').length;
    await t.runJobs();
    const before = resetMails();
    for (let attempt = 0; attempt < RESET_PER_ACCOUNT.limit + 2; attempt += 1) assert.equal((await requestReset(org.admin.email)).status, 200);
    await t.runJobs();
    assert.equal(resetMails() - before, RESET_PER_ACCOUNT.limit);
    const statuses = [];
    for (let attempt = 0; attempt < RESET_PER_IP.limit; attempt += 1) statuses.push((await requestReset(`someone-${attempt}@nowhere.example`)).status);
    assert.ok(statuses.includes(429));
    const refused = await requestReset('another@nowhere.example');
    assert.equal(refused.status, 429);
    assert.match(refused.text, /Too many reset requests from your network/);
  });

  it('When the reset form gets no email or an operator, then 400 naming the field', async () => {
    t.clock.advance(2 * 60 * 60 * 1000);
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/password/forgot?lang=en');
    const res = await agent.post('/password/forgot').type('form').send({ _csrf: csrfToken, email: 'nope' }).expect(400);
    assert.match(res.text, /href="#email"/);
    await agent.post('/password/forgot').type('form').send(`_csrf=${encodeURIComponent(csrfToken)}&email[$ne]=x`).expect(400);
  });

  it('When a logged-in user changes their password, then other sessions end, this one goes on in a new session id, and a mail confirms it', async () => {
    const other = await loginAgent(t.app, org.buyer);
    const agent = await loginAgent(t.app, org.buyer);
    const before = agent.jar.getCookie('sid', { domain: '127.0.0.1', path: '/', script: false, secure: false })?.value;
    const csrf = await refreshCsrf(agent, '/account/password?lang=en');
    const wrong = await agent.post('/account/password?lang=en').type('form').send({ _csrf: csrf, current: 'not it', password: 'yet another password', confirm: 'yet another password' }).expect(400);
    assert.match(wrong.text, /The current password is wrong/);
    const short = await agent.post('/account/password?lang=en').type('form').send({ _csrf: csrf, current: org.buyer.password, password: 'short', confirm: 'short' }).expect(400);
    assert.match(short.text, /href="#password"/);
    await agent.post('/account/password').type('form').send({ _csrf: csrf, current: org.buyer.password, password: 'yet another password', confirm: 'yet another password' }).expect(303).expect('Location', '/account?notice=passwordChanged');
    const after = agent.jar.getCookie('sid', { domain: '127.0.0.1', path: '/', script: false, secure: false })?.value;
    assert.notEqual(after, before);
    await agent.get('/account').expect(200);
    await other.get('/').expect(302);
    const mails = await t.deliverMail();
    assert.ok(mails.some((m) => m.to === org.buyer.email && m.subject === 'Your password has been changed'));
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'user.password_changed' });
    assert.equal(entries[0]?.actor.id, org.buyer.id);
    org.buyer.password = 'yet another password';
  });

  it('When reset links are guessed, then they are refused like expired ones and the address is limited', async () => {
    const statuses = [];
    for (let attempt = 0; attempt <= 30; attempt += 1) statuses.push((await request(t.app).get(`/password/reset/${'q'.repeat(40)}${attempt}`)).status);
    assert.ok(statuses.every((status) => status === 410 || status === 429));
    assert.equal(statuses.at(-1), 429);
  });
});
