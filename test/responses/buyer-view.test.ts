/**
 * The buyer's response pages over HTTP: the response with its flags and evidence, drafts, submissions, the printable
 * version, a campaign's responses, roles, other organisations (404 on every id-bearing route) and escaping.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import request from 'supertest';
import { createUser, TEST_PASSWORD_HASHING } from '../../src/accounts';
import { listActivity } from '../../src/platform/activity';
import { removeEvidence } from '../../src/responses/evidence-service';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp, type TestOrganisation } from '../helpers/app';
import { answerQuestionnaire, binary, supplierContext } from './buyer-fixtures';
import { PDF } from './files';
import { createSupplierLink, type SupplierLink } from './fixtures';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

/** The marked row of one answer on a response page. */
function answerRow(html: string, questionId: string): string {
  const match = new RegExp(`<div class="answers__row[^"]*" id="answer-${questionId}">([\\s\\S]*?)</dd>`).exec(html);
  assert.ok(match, `answer row of ${questionId}`);
  return match[0];
}

describe('Buyer response pages', () => {
  let t: TestApp;
  let link: SupplierLink;
  let org: TestOrganisation;
  let other: TestOrganisation;
  let responseId: string;
  let fileId: string;
  let draftId: string;

  before(async () => {
    t = await buildTestApp({ label: 'buyer_view' });
    link = await createSupplierLink(t, { supplierName: `Nordic ${XSS} AB` });
    org = link.organisation;
    other = await createTestOrganisation(t.deps, 'Region Elsewhere');
    const ctx = await answerQuestionnaire(t, link, {
      answers: { id_documents_retained: 'yes', company_name: XSS, policy_commitment: 'yes', max_weekly_hours: '48', head_office_country: 'CN', minimum_hiring_age: '15' },
      files: [{ questionId: 'payroll_sample', buffer: PDF, name: 'payroll "march".pdf' }],
    });
    responseId = ctx.response._id.toHexString();
    fileId = ctx.response.evidence[0]?.fileId.toHexString() ?? '';
    const draftLink = await createSupplierLink(t, { organisation: org, campaignName: 'Draft campaign' });
    draftId = (await answerQuestionnaire(t, draftLink, { submit: false, answers: { id_documents_retained: 'yes' } })).response._id.toHexString();
  });
  after(async () => {
    await t.close();
  });

  /** Every buyer page that names the response or its campaign. */
  function buyerPages(): string[] {
    return [
      `/responses/${responseId}`,
      `/responses/${responseId}/submissions/1`,
      `/responses/${responseId}/compare`,
      `/responses/${responseId}/print`,
      `/responses/${responseId}/files/${fileId}`,
      `/campaigns/${link.campaignId}/responses`,
      `/campaigns/${link.campaignId}/export.csv`,
      `/campaigns/${link.campaignId}/export.xlsx`,
    ];
  }

  it('When a buyer opens a submitted response, then every visible answer is shown by section with red flags marked (severity, what was found and why, the follow-up, indicators and conventions) and evidence listed with type and size', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    const page = await agent.get(`/responses/${responseId}`).expect(200);
    assert.match(page.text, /<h2 id="section-company_profile">Company profile<\/h2>/);
    assert.match(page.text, /<span class="status status--submitted">Submitted<\/span>/);
    assert.match(page.text, /Karin Lund, CSR manager/);
    assert.match(page.text, /code-of-conduct-saq@1/);

    const retained = answerRow(page.text, 'id_documents_retained');
    assert.match(retained, /answers__row--flagged answers__row--critical/);
    assert.match(retained, /<p class="answers__value">Yes<\/p>/);
    assert.match(retained, /Red flag – Critical:<\/span> Workers&#39; identity documents are held by the employer or an agent\./);
    assert.match(retained, /<p class="flag__rationale">Workers without their passport or work permit cannot leave the job or the country\./);
    assert.match(retained, /Calls for: Unannounced on-site audit/);
    assert.match(retained, /ILO forced-labour indicator 7: Retention of identity documents; ILO C29: Forced Labour Convention, 1930/);
    assert.match(page.text, /<a href="\/rules\/code-of-conduct-saq\/1\/rules\/1">Checked against the published rules: Supplier code of conduct self-assessment, version 1, rules version 1\.<\/a>/);
    assert.doesNotMatch(answerRow(page.text, 'policy_commitment'), /flag/);
    assert.match(page.text, /<a href="#answer-id_documents_retained">Workers&#39; identity documents/);

    assert.match(answerRow(page.text, 'head_office_country'), /<p class="answers__value">China<\/p>/);
    const hiring = answerRow(page.text, 'minimum_hiring_age');
    assert.match(hiring, /Red flag – High:/);
    assert.match(hiring, /Compared with the legal minimum working age in China: 16 years \(/, 'the country figure the rule compared with');
    assert.match(answerRow(page.text, 'head_office_country'), /Compared with the legal minimum working age in China/, 'marked on every answer that raised it');
    assert.match(answerRow(page.text, 'max_weekly_hours'), /<p class="answers__value">48 hours per week<\/p>/);
    const payroll = answerRow(page.text, 'payroll_sample');
    assert.match(payroll, new RegExp(`<a href="/responses/${responseId}/files/${fileId}" download>payroll &#34;march&#34;.pdf</a> <span class="muted">\\(PDF, 1 kB\\)</span>`));
  });

  it('When answers or the supplier name hold markup, then the pages show it as text', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    for (const path of [`/responses/${responseId}`, `/responses/${responseId}/print`, `/responses/${responseId}/submissions/1`, `/campaigns/${link.campaignId}/responses`]) {
      const page = await agent.get(path).expect(200);
      assert.doesNotMatch(page.text, /<script>alert|<img src=x/, path);
      assert.match(page.text, /&lt;script&gt;alert\(&#34;x&#34;\)&lt;\/script&gt;/, path);
    }
  });

  it('When a Swedish-speaking buyer opens the response, then labels, answers, countries and dates are in Swedish', async () => {
    const user = await createUser(
      t.deps.connection,
      { email: 'svensk@region.example', name: 'Sara Svensk', password: 'svensk-password-1', roles: ['buyer'], organisationId: org.id, locale: 'sv' },
      { hashing: TEST_PASSWORD_HASHING },
    );
    assert.ok(user);
    const agent = await loginAgent(t.app, { email: 'svensk@region.example', password: 'svensk-password-1' });
    const page = await agent.get(`/responses/${responseId}`).expect(200);
    assert.match(page.text, /<html lang="sv">/);
    assert.match(page.text, /<h2 id="section-company_profile">Företagsuppgifter<\/h2>/);
    assert.match(answerRow(page.text, 'head_office_country'), /<p class="answers__value">Kina<\/p>/);
    assert.match(answerRow(page.text, 'id_documents_retained'), /Röd flagga – Kritisk:/);
    assert.match(answerRow(page.text, 'id_documents_retained'), /ILO:s indikator för tvångsarbete 7: /);
    assert.match(page.text, /15 jan\. 2026/);
  });

  it('When a draft is opened, then it is marked as not submitted and unanswered questions say so', async () => {
    const agent = await loginAgent(t.app, org.auditor);
    const page = await agent.get(`/responses/${draftId}`).expect(200);
    assert.match(page.text, /status--draft">Not submitted</);
    assert.match(page.text, /Not submitted yet: the supplier is still answering/);
    assert.match(answerRow(page.text, 'id_documents_retained'), /Red flag – Critical/);
    assert.doesNotMatch(page.text, /Request changes/, 'a draft cannot be reopened');
  });

  it('When an auditor or an admin opens a response, then they read it too; only buyers and admins are offered "request changes"', async () => {
    const auditor = await (await loginAgent(t.app, org.auditor)).get(`/responses/${responseId}`).expect(200);
    assert.doesNotMatch(auditor.text, /id="request-changes-title"/);
    const admin = await (await loginAgent(t.app, org.admin)).get(`/responses/${responseId}`).expect(200);
    assert.match(admin.text, /id="request-changes-title"/);
    const buyer = await (await loginAgent(t.app, org.buyer)).get(`/responses/${responseId}`).expect(200);
    assert.match(buyer.text, /<form method="post" action="\/responses\/[0-9a-f]{24}\/request-changes"/);
  });

  it('When nobody is logged in, then every buyer page sends to the login page and "request changes" is refused', async () => {
    for (const path of buyerPages()) {
      const res = await request(t.app).get(path).expect(302);
      assert.equal(res.headers.location, `/login?next=${encodeURIComponent(path)}`);
    }
    await request(t.app).post(`/responses/${responseId}/request-changes`).type('form').send({ message: 'Change it' }).expect(403);
    assert.equal((await supplierContext(t, link)).response.status, 'submitted');
  });

  it('When a user of another organisation, or a malformed or unknown id, is used on any buyer route, then 404 and nothing is shown or logged', async () => {
    const foreign = await loginAgent(t.app, other.buyer);
    const own = await loginAgent(t.app, org.buyer);
    const unknown = new mongoose.Types.ObjectId().toHexString();
    const before = (await listActivity(t.deps.connection, org.id)).total;
    for (const path of buyerPages()) {
      const res = await foreign.get(path).expect(404);
      assert.doesNotMatch(res.text, /Karin Lund|Nordic/, path);
    }
    for (const path of [
      `/responses/${unknown}`,
      '/responses/not-an-id',
      '/responses/%7B%22%24ne%22%3A1%7D',
      `/responses/${responseId}/submissions/2`,
      `/responses/${responseId}/files/${unknown}`,
      `/responses/${responseId}/files/../../etc`,
      `/responses/${draftId}/files/${fileId}`,
      `/campaigns/${unknown}/responses`,
      `/campaigns/${unknown}/export.csv`,
    ]) {
      await own.get(path).expect(404);
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await foreign.get('/').expect(200)).text)?.[1];
    await foreign.post(`/responses/${responseId}/request-changes`).type('form').send({ _csrf: csrf, message: 'Change it' }).expect(404);
    assert.equal((await listActivity(t.deps.connection, org.id)).total, before, 'nothing was logged for the refused requests');
  });

  it('When evidence is downloaded, then it streams from GridFS as an attachment with a safe name, its type and nosniff', async () => {
    const agent = await loginAgent(t.app, org.auditor);
    const res = await agent.get(`/responses/${responseId}/files/${fileId}`).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'private, no-store');
    assert.match(res.headers['content-disposition'] ?? '', /^attachment; filename="payroll \\"march\\".pdf"$/);
    assert.equal(res.headers['content-length'], String(PDF.length));
    assert.deepEqual(res.body, PDF);
  });

  it('When the supplier removes a file after a request for changes, then the file of the earlier submission stays downloadable', async () => {
    const own = await createSupplierLink(t, { organisation: org, campaignName: 'File history' });
    const ctx = await answerQuestionnaire(t, own, { files: [{ questionId: 'payroll_sample', buffer: PDF, name: 'first.pdf' }] });
    const id = ctx.response._id.toHexString();
    const file = ctx.response.evidence[0]?.fileId.toHexString() ?? '';
    const agent = await loginAgent(t.app, org.buyer);
    const page = await agent.get(`/responses/${id}`).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    await agent.post(`/responses/${id}/request-changes`).type('form').send({ _csrf: csrf, message: 'Send a newer payroll' }).expect(303);
    await removeEvidence(t.deps, await supplierContext(t, own), file);
    const now = await agent.get(`/responses/${id}`).expect(200);
    assert.doesNotMatch(now.text, /first\.pdf/, 'the current answer no longer holds the file');
    const first = await agent.get(`/responses/${id}/submissions/1`).expect(200);
    assert.match(first.text, /You are looking at submission 1 of 1/);
    assert.match(first.text, new RegExp(`/responses/${id}/files/${file}" download>first\\.pdf`));
    const download = await agent.get(`/responses/${id}/files/${file}`).buffer(true).parse(binary).expect(200);
    assert.deepEqual(download.body, PDF);
  });

  it('When the printable version is opened, then it holds the whole response without forms and the export is logged with who and what', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    const page = await agent.get(`/responses/${responseId}/print`).expect(200);
    assert.match(page.text, /<div class="print-document">/);
    assert.match(page.text, /Red flag – Critical:/);
    assert.match(page.text, /payroll &#34;march&#34;.pdf <span class="muted">\(PDF, 1 kB\)/);
    assert.doesNotMatch(page.text, /<textarea/);
    assert.match(page.text, /<script src="\/static\/js\/print-button\.js" defer><\/script>/);
    assert.match(page.text, /Printed 15 Jan 2026, 10:00 by buyer of /);
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'export.response_printed' });
    const entry = entries.find((e) => e.subject === `response:${responseId}`);
    assert.ok(entry, 'the print is in the activity log');
    assert.equal(entry.actor.id, org.buyer.id);
    assert.ok(entry.refs.includes(`supplier:${link.supplierId}`));
  });

  it('When a campaign\'s responses are listed, then each supplier shows its state and red flags by severity, linked to its response', async () => {
    const agent = await loginAgent(t.app, org.auditor);
    const home = await agent.get('/').expect(200);
    assert.match(home.text, new RegExp(`<a href="/campaigns/${link.campaignId}/responses">Responses and exports for Code of conduct 2026</a>`));
    const page = await agent.get(`/campaigns/${link.campaignId}/responses`).expect(200);
    assert.match(page.text, new RegExp(`<a href="/responses/${responseId}">Nordic &lt;script&gt;`));
    assert.match(page.text, /Critical: 2/);
    assert.match(page.text, /action="\/campaigns\/[0-9a-f]{24}\/export\.csv"/);
    const filtered = await agent.get(`/campaigns/${link.campaignId}/responses?state=draft`).expect(200);
    assert.doesNotMatch(filtered.text, new RegExp(`/responses/${responseId}"`));
    await agent.get(`/campaigns/${link.campaignId}/responses?state=%7B%7D`).expect(400);
    await agent.get(`/campaigns/${link.campaignId}/responses?page=0`).expect(400);
  });
});
