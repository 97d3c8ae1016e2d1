/**
 * The responses part of the JSON API: a response as typed JSON with labels in both languages, flags and evidence
 * metadata; submissions, comparison, evidence download and a campaign's responses; every route scoped to the token's
 * organisation (404 for another's ids) and documented in the OpenAPI document.
 */
import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApiToken } from '../../src/accounts';
import { buildTestApp, type TestApp } from '../helpers/app';
import { answerQuestionnaire, binary } from './buyer-fixtures';
import { PDF } from './files';
import { createSupplierLink, type SupplierLink } from './fixtures';

interface AnswerJson {
  questionId: string;
  sectionId: string;
  type: string;
  label: { sv: string; en: string };
  value: unknown;
  choices?: Array<{ id: string; label: { sv: string; en: string } }>;
  files: Array<{ fileId: string; filename: string; contentType: string; size: number }>;
  flags: string[];
}

describe('Responses API', () => {
  let t: TestApp;
  let link: SupplierLink;
  let id: string;
  let token: string;
  let foreign: string;
  let later: string;

  before(async () => {
    t = await buildTestApp({ label: 'responses_api' });
    link = await createSupplierLink(t);
    const ctx = await answerQuestionnaire(t, link, {
      answers: { id_documents_retained: 'yes', workers_total: '120', subcontractor_follow_up: ['self_assessments', 'on_site_audits'], requirements_to_subcontractors: 'yes' },
      files: [{ questionId: 'payroll_sample', buffer: PDF, name: 'payroll.pdf' }],
    });
    id = ctx.response._id.toHexString();
    t.clock.advance(86_400_000);
    const next = await createSupplierLink(t, { organisation: link.organisation, supplierId: link.supplierId, campaignName: 'Next year' });
    later = (await answerQuestionnaire(t, next, { answers: { id_documents_retained: 'no' } })).response._id.toHexString();
    ({ token } = await createApiToken(t.deps.connection, { organisationId: link.organisationId, name: 'ERP' }, t.clock.now()));
    const other = await createSupplierLink(t);
    ({ token: foreign } = await createApiToken(t.deps.connection, { organisationId: other.organisationId, name: 'Other' }, t.clock.now()));
  });
  after(async () => {
    await t.close();
  });

  const get = (path: string, bearer = token) => request(t.app).get(`/api/v1${path}`).set('Authorization', `Bearer ${bearer}`);

  it('When a response is read, then its answers are typed JSON by question id with labels in both languages, flags and evidence metadata', async () => {
    const res = await get(`/responses/${id}`).expect(200);
    const body = res.body as { state: string; supplier: { id: string }; questionnaire: { id: string; version: number }; answers: AnswerJson[]; flags: Array<Record<string, unknown>>; declaration: unknown; submissions: unknown[] };
    assert.equal(body.state, 'submitted');
    assert.equal(body.supplier.id, link.supplierId);
    assert.deepEqual(body.questionnaire.id, 'code-of-conduct-saq');
    assert.deepEqual(body.declaration, { name: 'Karin Lund', role: 'CSR manager' });
    assert.equal(body.submissions.length, 1);
    const answer = (qid: string) => body.answers.find((a) => a.questionId === qid);
    assert.equal(answer('workers_total')?.value, 120);
    assert.equal(answer('head_office_country')?.value, 'SE');
    assert.equal(answer('id_documents_retained')?.value, 'yes');
    assert.ok(answer('id_documents_retained')?.flags.includes('identity_documents_retained'));
    assert.equal(answer('id_documents_retained')?.sectionId, 'forced_labour');
    assert.equal(answer('company_name')?.label.sv, 'Företagets namn');
    assert.equal(answer('company_name')?.label.en, 'Company name');
    const followUp = answer('subcontractor_follow_up');
    assert.deepEqual(followUp?.value, ['self_assessments', 'on_site_audits']);
    assert.deepEqual(followUp?.choices?.map((c) => c.id), ['self_assessments', 'on_site_audits']);
    assert.equal(typeof followUp?.choices?.[0]?.label.sv, 'string');
    const payroll = answer('payroll_sample');
    assert.equal(payroll?.value, null);
    assert.deepEqual(payroll?.files.map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.size })), [{ filename: 'payroll.pdf', contentType: 'pdf', size: PDF.length }]);
    assert.equal(answer('responsible_person_name'), undefined, 'hidden questions are left out');
    const flag = body.flags.find((f) => f.id === 'identity_documents_retained');
    assert.deepEqual(
      { ...flag, rationale: undefined },
      {
        id: 'identity_documents_retained',
        title: { sv: 'Arbetstagares id-handlingar behålls av arbetsgivaren eller en rekryterare.', en: "Workers' identity documents are held by the employer or an agent." },
        rationale: undefined,
        severity: 'critical',
        followUp: 'unannounced_on_site_audit',
        rulesKey: 'code-of-conduct-saq@1/rules@1',
        questionIds: ['id_documents_retained'],
        indicators: [7],
        conventions: ['C29'],
        context: [],
      },
    );
    assert.match((flag?.rationale as { en: string }).en, /^Workers without their passport/);

    const file = await get(`/responses/${id}/evidence/${payroll?.files[0]?.fileId ?? ''}`).buffer(true).parse(binary).expect(200);
    assert.equal(file.headers['content-type'], 'application/pdf');
    assert.deepEqual(file.body, PDF);
  });

  it('When a submission, a comparison or a campaign\'s responses are read, then they come from the same services as the pages', async () => {
    const submission = await get(`/responses/${id}/submissions/1`).expect(200);
    assert.equal(submission.body.submittedAt, '2026-01-15T09:00:00.000Z');
    await get(`/responses/${id}/submissions/2`).expect(404);

    const comparison = await get(`/responses/${later}/compare`).expect(200);
    assert.equal(comparison.body.baseline.responseId, id);
    assert.equal(comparison.body.sameVersion, true);
    assert.deepEqual(comparison.body.flagsLost, ['identity_documents_retained']);
    assert.ok((comparison.body.changes as Array<{ questionId: string; kind: string }>).some((c) => c.questionId === 'id_documents_retained' && c.kind === 'changed'));
    await get(`/responses/${later}/compare?with=nonsense`).expect(400);
    await get(`/responses/${later}/compare?with=${later}-1`).expect(404);

    const list = await get(`/campaigns/${link.campaignId}/responses`).expect(200);
    assert.equal(list.body.total, 1);
    assert.equal(list.body.responses[0].id, id);
    assert.equal(list.body.responses[0].state, 'submitted');
    assert.ok(list.body.responses[0].flags.critical >= 1);
  });

  it('When another organisation\'s token, an unknown id or a malformed id is used on any responses route, then 404 as JSON', async () => {
    const unknown = new mongoose.Types.ObjectId().toHexString();
    const fileId = ((await get(`/responses/${id}`).expect(200)).body.answers as AnswerJson[]).find((a) => a.questionId === 'payroll_sample')?.files[0]?.fileId ?? '';
    for (const path of [
      `/responses/${id}`,
      `/responses/${id}/submissions/1`,
      `/responses/${id}/compare`,
      `/responses/${id}/evidence/${fileId}`,
      `/campaigns/${link.campaignId}/responses`,
      `/campaigns/${link.campaignId}/export.csv`,
      `/campaigns/${link.campaignId}/export.xlsx`,
    ]) {
      const res = await get(path, foreign).expect(404);
      assert.equal(typeof res.body.error.message, 'string', path);
    }
    await request(t.app).post(`/api/v1/responses/${id}/request-changes`).set('Authorization', `Bearer ${foreign}`).send({ message: 'x' }).expect(404);
    for (const path of [`/responses/${unknown}`, '/responses/123', `/responses/${id}/evidence/${unknown}`, `/responses/${later}/evidence/${fileId}`, `/campaigns/${unknown}/responses`]) {
      await get(path).expect(404);
    }
    await request(t.app).get(`/api/v1/responses/${id}`).expect(401);
  });

  it('When the OpenAPI document is read, then every responses route is in it with its parameters', async () => {
    const doc = (await request(t.app).get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
    assert.equal(doc.paths['/responses/{id}']?.get?.operationId, 'getResponse');
    assert.equal(doc.paths['/responses/{id}/request-changes']?.post?.operationId, 'requestResponseChanges');
    assert.equal(doc.paths['/campaigns/{id}/export.csv']?.get?.operationId, 'exportCampaignCsv');
    assert.ok(doc.paths['/campaigns/{id}/export.csv']?.get?.responses['200']?.content?.['text/csv']);
    assert.equal(doc.paths['/campaigns/{id}/export.xlsx']?.get?.operationId, 'exportCampaignXlsx');
    assert.equal(doc.paths['/responses/{id}/compare']?.get?.operationId, 'compareResponse');
    assert.equal(doc.paths['/responses/{id}/evidence/{fileId}']?.get?.operationId, 'downloadResponseEvidence');
    assert.equal(doc.paths['/campaigns/{id}/responses']?.get?.operationId, 'listCampaignResponses');
  });
});
