import assert from 'node:assert/strict';
import request from 'supertest';
import { mailboxRouter } from '../../src/platform/mail/mailbox-routes';
import { outboxModel } from '../../src/platform/mail/outbox';
import { buildTestApp, createTestOrganisation, extractCsrfToken, loginAgent, type TestApp, type TestOrganisation } from '../helpers/app';

describe('outgoing mail and the in-app mailbox', () => {
  let t: TestApp;
  let north: TestOrganisation;
  let south: TestOrganisation;
  let northMessageId: string;
  let southMessageId: string;

  before(async () => {
    t = await buildTestApp({ label: 'mailbox' });
    north = await createTestOrganisation(t.deps, 'Region Nord');
    south = await createTestOrganisation(t.deps, 'Region Syd');
    northMessageId = (
      await t.deps.outbox.enqueue({
        organisationId: north.id,
        to: 'karin@supplier.example',
        subject: 'Invitation <script>alert(1)</script>',
        text: 'Open http://127.0.0.1:3000/s/the-link-token-of-karin to answer.',
        html: '<p>Open <a href="http://127.0.0.1:3000/s/the-link-token-of-karin">the form</a></p>',
        category: 'invitation',
      })
    ).toHexString();
    southMessageId = (
      await t.deps.outbox.enqueue({ organisationId: south.id, to: 'li@supplier.example', subject: 'South only', text: 'secret', category: 'invitation' })
    ).toHexString();
  });
  after(async () => {
    await t.close();
  });

  it('When an admin opens the mailbox, then only their organisation’s messages are listed, escaped', async () => {
    const agent = await loginAgent(t.app, north.admin);
    const page = await agent.get('/admin/mailbox?lang=en').expect(200);
    assert.match(page.text, /karin@supplier\.example/);
    assert.doesNotMatch(page.text, /South only/);
    assert.match(page.text, /Invitation &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(page.text, /<script>alert/);
  });

  it('When an admin reads a message outside production, then its text shows with a working link and the HTML part is sandboxed', async () => {
    const agent = await loginAgent(t.app, north.admin);
    const page = await agent.get(`/admin/mailbox/${northMessageId}?lang=en`).expect(200);
    assert.match(page.text, /<a href="http:\/\/127\.0\.0\.1:3000\/s\/the-link-token-of-karin">/);
    const html = await agent.get(`/admin/mailbox/${northMessageId}/html`).expect(200);
    assert.match(html.headers['content-security-policy'] ?? '', /sandbox/);
    assert.match(html.headers['content-security-policy'] ?? '', /default-src 'none'/);
  });

  it('When someone reads another organisation’s message or a malformed id, then 404', async () => {
    const agent = await loginAgent(t.app, north.admin);
    await agent.get(`/admin/mailbox/${southMessageId}`).expect(404);
    await agent.get(`/admin/mailbox/${southMessageId}/html`).expect(404);
    await agent.get('/admin/mailbox/not-an-id').expect(404);
  });

  it('When a buyer or an auditor opens the mailbox, then 403; when nobody is logged in, then the login page', async () => {
    await (await loginAgent(t.app, north.buyer)).get('/admin/mailbox').expect(403);
    await (await loginAgent(t.app, north.auditor)).get(`/admin/mailbox/${northMessageId}`).expect(403);
    const anonymous = await request(t.app).get('/admin/mailbox').expect(302);
    assert.match(anonymous.headers.location ?? '', /^\/login/);
  });

  it('When failed messages are tried again, then only the organisation’s are queued again, and the form needs its CSRF token', async () => {
    await outboxModel(t.deps.connection).collection.updateMany({}, { $set: { status: 'failed', lastError: 'refused' } });
    const agent = await loginAgent(t.app, north.admin);
    const page = await agent.get('/admin/mailbox?lang=en').expect(200);
    assert.match(page.text, /1 message could not be delivered/);
    await agent.post('/admin/mailbox/retry').type('form').send({}).expect(403);
    await agent.post('/admin/mailbox/retry').type('form').send({ _csrf: extractCsrfToken(page.text) }).expect(303);
    const statuses = await outboxModel(t.deps.connection).collection.find({}).toArray();
    assert.equal(statuses.find((m) => String(m._id) === northMessageId)?.status, 'queued');
    assert.equal(statuses.find((m) => String(m._id) === southMessageId)?.status, 'failed');
  });

  it('When a filter value is hostile, then it is matched as text or refused', async () => {
    const agent = await loginAgent(t.app, north.admin);
    await agent.get('/admin/mailbox?to=.*').expect(200);
    await agent.get('/admin/mailbox?status=bogus').expect(400);
    await agent.get('/admin/mailbox?status=sent&status=failed').expect(400);
    await agent.get('/admin/mailbox?page=0').expect(400);
  });
});

describe('outgoing mail in production', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let messageId: string;

  before(async () => {
    t = await buildTestApp({ label: 'mailbox_production', config: { nodeEnv: 'production', isProduction: true, smtpUrl: 'smtp://127.0.0.1:1' } });
    org = await createTestOrganisation(t.deps, 'Region Prod');
    messageId = (await t.deps.outbox.enqueue({ organisationId: org.id, to: 'a@b.example', subject: 'Hello', text: 'http://x/s/token', category: 'invitation' })).toHexString();
  });
  after(async () => {
    await t.close();
  });

  it('When an admin looks at outgoing mail in production, then statuses are listed but no message can be read', async () => {
    // Production cookies are __Host- and secure, which supertest over plain http does not send back: the router's
    // routes are checked directly.
    const router = mailboxRouter(t.deps, (_req, _res, next) => next());
    const paths = router.stack.map((layer) => (layer as { route?: { path: string } }).route?.path).filter(Boolean);
    assert.deepEqual(paths, ['/admin/mailbox', '/admin/mailbox/retry']);
    assert.ok(messageId);
  });
});
