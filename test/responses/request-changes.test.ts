/**
 * "Request changes": the buyer reopens a submitted response with a message, the supplier is mailed a working link in
 * their language, sees the message on the form, edits and submits again; both submissions stay on record, each step
 * is in the activity log, and other domains' listeners run inside the same transactions.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApiToken } from '../../src/accounts';
import { revokeInvitation } from '../../src/campaigns/invitation-service';
import { timelineOf } from '../../src/platform/activity';
import { submissionModel } from '../../src/responses';
import { responseModel } from '../../src/responses/model';
import { buildTestApp, extractCsrfToken, loginAgent, refreshCsrf, type TestApp } from '../helpers/app';
import { answerQuestionnaire } from './buyer-fixtures';
import { createSupplierLink, type SupplierLink } from './fixtures';

const XSS_MESSAGE = 'Please attach the payroll <script>alert(1)</script> & "check" the hours';

async function submitted(t: TestApp, options: Parameters<typeof createSupplierLink>[1] = {}): Promise<{ link: SupplierLink; id: string }> {
  const link = await createSupplierLink(t, options);
  const ctx = await answerQuestionnaire(t, link, { answers: { id_documents_retained: 'yes', workers_total: '120' } });
  return { link, id: ctx.response._id.toHexString() };
}

async function requestAs(t: TestApp, link: SupplierLink, id: string, message: string, role: 'buyer' | 'admin' | 'auditor' = 'buyer') {
  const agent = await loginAgent(t.app, link.organisation[role]);
  const csrf = await refreshCsrf(agent, '/');
  return { agent, res: await agent.post(`/responses/${id}/request-changes`).type('form').send({ _csrf: csrf, message }) };
}

describe('Request changes and resubmission', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'request_changes' });
  });
  after(async () => {
    await t.close();
  });

  it('When a buyer requests changes, the supplier edits and submits again, then both submissions are on record with the first as it was, and each step is logged', async () => {
    const { link, id } = await submitted(t, { language: 'sv', supplierName: 'Nordic <img src=x onerror=alert(1)> AB' });
    await t.deliverMail();
    const { agent, res } = await requestAs(t, link, id, XSS_MESSAGE);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/responses/${id}?notice=changesRequested`);

    const page = await agent.get(res.headers.location ?? '').expect(200);
    assert.match(page.text, /status--changesRequested">Changes requested</);
    assert.match(page.text, /The response is open for changes again/);
    assert.match(page.text, /Please attach the payroll &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &#34;check&#34; the hours/);
    assert.doesNotMatch(page.text, /<script>alert/);
    assert.doesNotMatch(page.text, /id="request-changes-title"/, 'a reopened response cannot be reopened again');

    // The mail: to the invitation's contact, in its language (Swedish), with a working link and the message escaped.
    const mails = await t.deliverMail();
    assert.equal(mails.length, 1);
    const mail = mails[0];
    assert.ok(mail);
    assert.equal(mail.to, link.supplierEmail);
    assert.equal(mail.subject, 'Komplettering begärd: Självskattning enligt uppförandekoden för leverantörer');
    assert.match(mail.html ?? '', /<html lang="sv">/);
    assert.match(mail.html ?? '', /Please attach the payroll &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &#34;check&#34; the hours/);
    assert.doesNotMatch(mail.html ?? '', /<script>|<img/);
    assert.match(mail.html ?? '', /Nordic &lt;img src=x onerror=alert\(1\)&gt; AB/);
    assert.match(mail.text, /Please attach the payroll <script>alert\(1\)<\/script> & "check" the hours/);
    const sentLink = /http:\/\/127\.0\.0\.1:3000(\/s\/[A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    assert.ok(sentLink, 'the mail holds a supplier link');
    assert.notEqual(sentLink, link.path, 'a new link: the first one is stored only as a hash');

    // The supplier follows the new link, sees the message, changes an answer and submits again.
    const supplier = request.agent(t.app);
    const section = await supplier.get(sentLink).redirects(2).expect(200);
    assert.match(section.text, /<h2 id="change-request-title">Komplettering begärd<\/h2>/);
    assert.match(section.text, /Please attach the payroll &lt;script&gt;/);
    const csrf = extractCsrfToken(section.text);
    await supplier.post(`${sentLink}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'forced_labour', answers: { id_documents_retained: 'no' } }).expect(200);
    const review = await supplier.get(`${sentLink}/review`).expect(200);
    assert.match(review.text, /Komplettering begärd/);
    await supplier
      .post(`${sentLink}/submit`)
      .type('form')
      .send({ _csrf: extractCsrfToken(review.text), declarationName: 'Karin Lund', declarationRole: 'Hållbarhetschef', declarationConfirm: 'yes' })
      .expect(303);
    // The first link works too and shows the receipt.
    assert.equal((await supplier.get(link.path).expect(303)).headers.location, `${link.path}/receipt`);

    const stored = await responseModel(t.deps.connection).findById(id).lean();
    assert.equal(stored?.status, 'submitted');
    assert.equal(stored?.submissionCount, 2);
    assert.equal(stored?.changeRequest, null);
    const submissions = await submissionModel(t.deps.connection).find({ responseId: id }).sort({ number: 1 }).lean();
    assert.deepEqual(submissions.map((s) => s.number), [1, 2]);
    const valueIn = (s: (typeof submissions)[number], q: string) => (s.answers as Record<string, { value: unknown }>)[q]?.value;
    assert.equal(valueIn(submissions[0]!, 'id_documents_retained'), 'yes', 'the first submission is kept as it was');
    assert.equal(valueIn(submissions[1]!, 'id_documents_retained'), 'no');
    assert.deepEqual(submissions[1]?.declaration, { name: 'Karin Lund', role: 'Hållbarhetschef' });

    const timeline = await timelineOf(t.deps.connection, link.organisationId, `response:${id}`);
    assert.deepEqual(
      timeline.map((e) => e.action),
      ['response.submitted', 'response.reopened', 'response.resubmitted'],
    );
    const reopened = timeline[1];
    assert.equal(reopened?.actor.kind, 'user');
    assert.equal(reopened?.actor.id, link.organisation.buyer.id);
    assert.equal(reopened?.details.message, XSS_MESSAGE);
    assert.ok(reopened?.refs.includes(`supplier:${link.supplierId}`) && reopened.refs.includes(`campaign:${link.campaignId}`));
    assert.equal(timeline[2]?.actor.kind, 'supplier');

    const log = await (await loginAgent(t.app, link.organisation.admin)).get('/admin/activity?lang=en').expect(200);
    assert.match(log.text, /Karin Lund submitted the response \(code-of-conduct-saq@1\)/);
    assert.match(log.text, /buyer of [^<]* asked contact\d+@supplier\.example for changes to submission 1: “Please attach the payroll &lt;script&gt;/);
    assert.match(log.text, /Karin Lund submitted the response again \(submission 2\)/);
    const history = await agent.get(`/responses/${id}`).expect(200);
    assert.match(history.text, /Submitted again \(submission 2\)/);
    assert.match(history.text, /<a href="\/responses\/[0-9a-f]{24}\/submissions\/1">Submission 1<\/a>/);
    const first = await agent.get(`/responses/${id}/submissions/1`).expect(200);
    assert.match(first.text, /You are looking at submission 1 of 2/);
    assert.match(first.text, /answers__row--critical" id="answer-id_documents_retained"/, 'the first submission still shows its red flag');
    const now = await agent.get(`/responses/${id}`).expect(200);
    assert.doesNotMatch(now.text, /answers__row--critical" id="answer-id_documents_retained"/);
  });

  it('When the message is empty, too long or missing, then 422 with the error tied to the field and nothing changes', async () => {
    const { link, id } = await submitted(t);
    for (const message of ['', '   ', 'x'.repeat(4001)]) {
      const { res } = await requestAs(t, link, id, message);
      assert.equal(res.status, 422);
      assert.match(res.text, /class="error-summary"/);
      assert.match(res.text, /<a href="#change-message">/);
      assert.match(res.text, /id="change-message"[^>]*aria-describedby="change-message-hint change-message-error"[^>]*aria-invalid="true"/);
      assert.match(res.text, /<title>Error: /);
    }
    const agent = await loginAgent(t.app, link.organisation.buyer);
    const csrf = await refreshCsrf(agent, '/');
    await agent.post(`/responses/${id}/request-changes`).type('form').send({ _csrf: csrf, 'message[$ne]': 'x' }).expect(422);
    assert.equal((await responseModel(t.deps.connection).findById(id).lean())?.status, 'submitted');
    assert.equal((await t.deliverMail()).filter((m) => m.subject.startsWith('Changes requested')).length, 0);
  });

  it('When the CSRF token is missing or the user is an auditor, then 403 and nothing changes', async () => {
    const { link, id } = await submitted(t);
    const agent = await loginAgent(t.app, link.organisation.buyer);
    await agent.post(`/responses/${id}/request-changes`).type('form').send({ message: 'Change it' }).expect(403);
    await agent.post(`/responses/${id}/request-changes`).type('form').send({ _csrf: 'forged', message: 'Change it' }).expect(403);
    const { res } = await requestAs(t, link, id, 'Change it', 'auditor');
    assert.equal(res.status, 403);
    assert.equal((await responseModel(t.deps.connection).findById(id).lean())?.status, 'submitted');
  });

  it('When the response is a draft, already reopened, or its link was revoked, then 409 with a clear message and nothing changes', async () => {
    const draftLink = await createSupplierLink(t);
    const draft = await answerQuestionnaire(t, draftLink, { submit: false });
    const { res: onDraft } = await requestAs(t, draftLink, draft.response._id.toHexString(), 'Change it');
    assert.equal(onDraft.status, 409);
    assert.match(onDraft.text, /Only a submitted response can be reopened/);

    const { link, id } = await submitted(t);
    assert.equal((await requestAs(t, link, id, 'First request')).res.status, 303);
    assert.equal((await requestAs(t, link, id, 'Second request')).res.status, 409);

    const revoked = await submitted(t);
    await revokeInvitation(t.deps, revoked.link.invitationId, revoked.link.organisationId);
    const { res } = await requestAs(t, revoked.link, revoked.id, 'Change it');
    assert.equal(res.status, 409);
    assert.match(res.text, /link has been revoked/);
    assert.equal((await responseModel(t.deps.connection).findById(revoked.id).lean())?.status, 'submitted');
  });

  it('When the supplier\'s link had expired, then the link sent with the request works for another 30 days', async () => {
    const { link, id } = await submitted(t, { expiresInDays: 1 });
    t.clock.advance(3 * 86_400_000);
    assert.equal((await request(t.app).get(link.path)).status, 410);
    assert.equal((await requestAs(t, link, id, 'Please update the hours')).res.status, 303);
    const mail = (await t.deliverMail()).find((m) => m.subject.startsWith('Changes requested'));
    const sentLink = /(\/s\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
    assert.ok(sentLink);
    t.clock.advance(29 * 86_400_000);
    await request(t.app).get(sentLink).redirects(2).expect(200);
  });

  it('When a listener is registered on the hooks, then it runs in the transaction of the submission and of the reopening; one that throws aborts the change', async () => {
    const seen: string[] = [];
    const records = t.deps.connection.collection('hook_test_records');
    t.deps.responseHooks.onResponseSubmitted(async (event, { session }) => {
      seen.push(`submitted:${event.submissionNumber}:${event.resubmission}`);
      await records.insertOne({ kind: 'submitted', responseId: event.responseId, number: event.submissionNumber }, { session });
      if (event.supplierId.toHexString() === failingSupplier) throw new Error('listener failed');
    });
    t.deps.responseHooks.onResponseReopened(async (event, { session }) => {
      seen.push(`reopened:${event.submissionNumber}`);
      await records.insertOne({ kind: 'reopened', responseId: event.responseId }, { session });
    });
    let failingSupplier = '';

    const { link, id } = await submitted(t);
    assert.equal((await requestAs(t, link, id, 'Change it')).res.status, 303);
    assert.deepEqual(seen, ['submitted:1:false', 'reopened:1']);
    assert.equal(await records.countDocuments({ responseId: new mongoose.Types.ObjectId(id) }), 2);

    const failing = await createSupplierLink(t);
    failingSupplier = failing.supplierId;
    await assert.rejects(answerQuestionnaire(t, failing), /listener failed/);
    const stored = await responseModel(t.deps.connection).findOne({ invitationId: failing.invitationId }).lean();
    assert.equal(stored?.status, 'draft', 'the submission was rolled back with the listener');
    assert.equal(await submissionModel(t.deps.connection).countDocuments({ responseId: stored?._id }), 0);
    assert.equal(await records.countDocuments({ responseId: stored?._id }), 0);
    failingSupplier = '';
  });

  it('When changes are requested through the API, then the same happens, scoped to the token\'s organisation', async () => {
    const { link, id } = await submitted(t);
    const { token } = await createApiToken(t.deps.connection, { organisationId: link.organisationId, name: 'ERP' }, t.clock.now());
    const otherLink = await createSupplierLink(t);
    const { token: foreign } = await createApiToken(t.deps.connection, { organisationId: otherLink.organisationId, name: 'Other' }, t.clock.now());
    await request(t.app).post(`/api/v1/responses/${id}/request-changes`).set('Authorization', `Bearer ${foreign}`).send({ message: 'x' }).expect(404);
    const bad = await request(t.app).post(`/api/v1/responses/${id}/request-changes`).set('Authorization', `Bearer ${token}`).send({ message: '' }).expect(422);
    assert.equal(bad.body.error.field, 'message');
    const missing = await request(t.app).post(`/api/v1/responses/${id}/request-changes`).set('Authorization', `Bearer ${token}`).send({}).expect(400);
    assert.equal(missing.body.error.field, 'body.message');
    const res = await request(t.app).post(`/api/v1/responses/${id}/request-changes`).set('Authorization', `Bearer ${token}`).send({ message: 'Update the hours' }).expect(200);
    assert.equal(res.body.state, 'changesRequested');
    assert.equal(res.body.changeRequest.message, 'Update the hours');
    assert.equal(res.body.changeRequest.requestedBy, 'ERP');
    const timeline = await timelineOf(t.deps.connection, link.organisationId, `response:${id}`);
    assert.equal(timeline.at(-1)?.actor.kind, 'api');
    assert.equal((await t.deliverMail()).filter((m) => m.to === link.supplierEmail && m.subject.startsWith('Changes requested')).length, 1);
  });
});
