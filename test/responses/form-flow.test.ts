/**
 * The supplier's form over HTTP without JavaScript: plain form posts, redirects and pages, as a browser without
 * scripts (or a screen reader user with scripts off) would use it.
 */
import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import type request from 'supertest';
import { invitationModel } from '../../src/campaigns/invitation-model';
import { findQuestion } from '../../src/responses/service';
import { responseModel } from '../../src/responses/model';
import { buildTestApp, extractCsrfToken, type TestApp } from '../helpers/app';
import { BUYER_CONTACT, createSupplierLink, openSection, SAQ, sectionForm, startHref, validInput, type SupplierLink } from './fixtures';
import { DOCX, EXE, PDF, PNG } from './files';

const DAY_MS = 86_400_000;

function inputNames(html: string): string[] {
  return [...new Set([...html.matchAll(/name="answers\[([a-z0-9_]+)\]"/g)].map((m) => m[1] ?? ''))];
}

describe('Supplier form over HTTP, without JavaScript', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'supplier_form' });
  });
  after(async () => {
    await t.close();
  });

  function definition() {
    const found = t.deps.questionnaires.get(SAQ.id, SAQ.version);
    if (!found) throw new Error('SAQ not loaded');
    return found;
  }

  async function storedResponse(link: SupplierLink) {
    return responseModel(t.deps.connection).findOne({ invitationId: new ObjectId(link.invitationId) }).lean();
  }

  async function storedAnswers(link: SupplierLink): Promise<Record<string, { value: unknown }>> {
    const response = await storedResponse(link);
    return (response?.answers ?? {}) as Record<string, { value: unknown }>;
  }

  /** Answers every section page by page with "Save and continue", as the form shows it; returns the review path. */
  async function fillWholeQuestionnaire(agent: request.Agent, link: SupplierLink): Promise<void> {
    const welcome = await agent.get(link.path).expect(200);
    let location = startHref(welcome.text) ?? '';
    for (let step = 0; step < 60 && !location.endsWith('/review'); step += 1) {
      const page = await agent.get(location).expect(200);
      const csrf = extractCsrfToken(page.text);
      const answers = Object.fromEntries(inputNames(page.text).map((id) => [id, validInput(findQuestion(definition(), id).question)]));
      const saved = await agent.post(location.split('?')[0] ?? location).type('form').send(sectionForm(csrf, answers, { action: 'next' }));
      assert.equal(saved.status, 303, `saving ${location} gave ${saved.status}`);
      location = saved.headers.location ?? '';
    }
    assert.ok(location.endsWith('/review'), 'the last section leads to the review page');
  }

  it('When a supplier answers every section, uploads evidence, reviews and submits, then the answers are stored, a receipt is shown and emailed, and the form becomes read-only', async () => {
    const link = await createSupplierLink(t, { language: 'en' });
    const { agent, csrf } = await openSection(t.app, link.path);
    await fillWholeQuestionnaire(agent, link);

    const upload = await agent
      .post(`${link.path}/evidence/payroll_sample?_csrf=${encodeURIComponent(csrf)}`)
      .attach('file-payroll_sample', PDF, 'payroll-march.pdf')
      .expect(303);
    assert.match(upload.headers.location ?? '', /\/section\/hours_and_wages\?notice=uploaded#question-payroll_sample$/);
    const wagesPage = await agent.get(`${link.path}/section/hours_and_wages`).expect(200);
    assert.match(wagesPage.text, /payroll-march\.pdf<\/a> <span class="evidence__size">\(1 kB\)/);
    const fileId = /\/files\/([0-9a-f]{24})/.exec(wagesPage.text)?.[1];
    assert.ok(fileId);
    const download = await agent.get(`${link.path}/files/${fileId}`).buffer(true).expect(200);
    assert.equal(download.headers['content-type'], 'application/pdf');
    assert.match(download.headers['content-disposition'] ?? '', /attachment; filename="?payroll-march.pdf"?/);
    assert.deepEqual(Buffer.from(download.body as Buffer), PDF);

    const review = await agent.get(`${link.path}/review`).expect(200);
    assert.match(review.text, /Review your answers/);
    assert.match(review.text, /payroll-march\.pdf/);
    assert.match(review.text, new RegExp(`href="${link.path}/section/company_profile#question-company_name"`));
    const reviewCsrf = extractCsrfToken(review.text);

    const incomplete = await agent.post(`${link.path}/submit`).type('form').send({ _csrf: reviewCsrf, declarationName: '', declarationRole: 'CSR manager' }).expect(422);
    assert.match(incomplete.text, /class="error-summary"/);
    assert.match(incomplete.text, /href="#declaration-name">Enter your full name\./);
    assert.match(incomplete.text, /id="declaration-name"[^>]*aria-invalid="true" aria-describedby="declaration-name-error"/);
    assert.equal((await storedResponse(link))?.status, 'draft');

    const submitted = await agent
      .post(`${link.path}/submit`)
      .type('form')
      .send({ _csrf: reviewCsrf, declarationName: 'Karin Lund', declarationRole: 'CSR manager', declarationConfirm: 'yes' })
      .expect(303);
    assert.equal(submitted.headers.location, `${link.path}/receipt`);
    const receipt = await agent.get(`${link.path}/receipt`).expect(200);
    assert.match(receipt.text, /Receipt: answers submitted/);
    assert.match(receipt.text, /Karin Lund, CSR manager/);
    assert.match(receipt.text, /code-of-conduct-saq@1/);

    const stored = await storedResponse(link);
    assert.equal(stored?.status, 'submitted');
    assert.deepEqual(stored?.declaration, { name: 'Karin Lund', role: 'CSR manager' });
    assert.equal(stored?.evidence.length, 1);

    const mail = (await t.deliverMail()).find((m) => m.to === link.supplierEmail);
    assert.ok(mail, 'a receipt email was sent to the supplier contact');
    assert.match(mail.subject, /^Receipt: .* submitted$/);
    assert.match(mail.text, /Karin Lund, CSR manager/);
    assert.match(mail.text, new RegExp(`${link.url}/receipt`));
    assert.match(mail.html ?? '', /<html lang="en">/);

    const answersBefore = await storedAnswers(link);
    const locked = await agent.post(`${link.path}/section/forced_labour`).type('form').send(sectionForm(reviewCsrf, { free_to_resign: 'no' }, { action: 'save' })).expect(409);
    assert.match(locked.text, /can no longer be changed/);
    await agent.post(`${link.path}/autosave`).set('x-csrf-token', reviewCsrf).send({ sectionId: 'forced_labour', answers: { free_to_resign: 'no' } }).expect(409);
    await agent.post(`${link.path}/evidence/payroll_sample/${fileId}/delete`).type('form').send({ _csrf: reviewCsrf }).expect(409);
    await agent.post(`${link.path}/submit`).type('form').send({ _csrf: reviewCsrf, declarationName: 'X', declarationRole: 'Y', declarationConfirm: 'yes' }).expect(409);
    assert.deepEqual(await storedAnswers(link), answersBefore);
    assert.equal((await agent.get(`${link.path}/section/forced_labour`).expect(303)).headers.location, `${link.path}/receipt`);
    assert.equal((await agent.get(link.path).expect(303)).headers.location, `${link.path}/receipt`);
  });

  it('When a Swedish supplier submits, then the receipt page and email are in Swedish and supplier pages are neither cached nor referred', async () => {
    const link = await createSupplierLink(t, { language: 'sv' });
    const { agent, csrf } = await openSection(t.app, link.path);
    let page = await agent.get(link.path).redirects(1).expect(200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    for (const section of definition().sections) {
      for (let round = 0; round < 3; round += 1) {
        page = await agent.get(`${link.path}/section/${section.id}`);
        if (page.status === 404) break;
        const answers = Object.fromEntries(inputNames(page.text).map((id) => [id, validInput(findQuestion(definition(), id).question)]));
        await agent.post(`${link.path}/section/${section.id}`).type('form').send(sectionForm(csrf, answers, { action: 'save' })).expect(303);
      }
    }
    await agent
      .post(`${link.path}/submit`)
      .type('form')
      .send({ _csrf: csrf, declarationName: 'Karin Lund', declarationRole: 'Hållbarhetschef', declarationConfirm: 'yes' })
      .expect(303);
    const receipt = await agent.get(`${link.path}/receipt`).expect(200);
    assert.match(receipt.text, /<html lang="sv">/);
    assert.match(receipt.text, /Kvitto: svaren är inskickade/);
    const mail = (await t.deliverMail()).find((m) => m.to === link.supplierEmail);
    assert.ok(mail);
    assert.match(mail.subject, /^Kvitto: /);
    assert.match(mail.text, /Inskickat av: Karin Lund, Hållbarhetschef/);
    assert.doesNotMatch(mail.text, /&amp;|&#39;/, 'the text part is not HTML-escaped');
  });

  it('When the supplier comes back with the same link on another device, then the form resumes at the last section saved', async () => {
    const link = await createSupplierLink(t);
    const first = await openSection(t.app, link.path);
    await first.agent.post(`${link.path}/section/child_labour`).type('form').send(sectionForm(first.csrf, { minimum_hiring_age: '16' }, { action: 'save' })).expect(303);
    const { agent: otherDevice } = await openSection(t.app, `${link.path}/section/company_profile`);
    const resumed = await otherDevice.get(link.path).expect(303);
    assert.equal(resumed.headers.location, `${link.path}/section/child_labour`);
    const page = await otherDevice.get(resumed.headers.location ?? '').expect(200);
    assert.match(page.text, /id="q-minimum_hiring_age" name="answers\[minimum_hiring_age\]" value="16"/);
  });

  it('When an answer is invalid, then 422 with an error summary linking to the field, the message tied to it, the input kept and nothing saved', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/company_profile`);
    const res = await agent
      .post(`${link.path}/section/company_profile`)
      .type('form')
      .send(sectionForm(csrf, { company_name: 'Nordisk Vårdtextil AB', workers_total: 'about 120', company_role: 'smuggler' }, { action: 'next' }))
      .expect(422);
    assert.match(res.text, /<title>Error: Company profile/);
    assert.match(res.text, /<div class="error-summary" role="alert"/);
    assert.match(res.text, /<a href="#q-workers_total">/);
    assert.match(res.text, /<a href="#q-company_role-manufacturer">/);
    assert.doesNotMatch(res.text, /\?: /, 'a question label is not followed by a colon');
    assert.match(res.text, /id="q-workers_total-error"/);
    assert.match(res.text, /id="q-workers_total" name="answers\[workers_total\]" value="about 120"[^>]*aria-describedby="[^"]*q-workers_total-error"[^>]*aria-invalid="true"/);
    assert.match(res.text, /value="Nordisk Vårdtextil AB"/);
    assert.deepEqual(await storedAnswers(link), {});
  });

  it('When a section or question id does not exist, then 404 / 400 with a clear page and nothing changes', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/company_profile`);
    const missing = await agent.get(`${link.path}/section/no_such_section`).expect(404);
    assert.match(missing.text, /This questionnaire has no such section\./);
    await agent.post(`${link.path}/section/no_such_section`).type('form').send(sectionForm(csrf, { company_name: 'X' })).expect(404);
    const unknown = await agent.post(`${link.path}/section/company_profile`).type('form').send(sectionForm(csrf, { company_name: 'X', bogus_question: 'y' })).expect(400);
    assert.match(unknown.text, /not in this section/);
    await agent.post(`${link.path}/section/company_profile`).type('form').send(`_csrf=${encodeURIComponent(csrf)}&answers=flat`).expect(400);
    const hiddenSection = await agent.get(`${link.path}/section/housing`).expect(404);
    assert.match(hiddenSection.text, /does not apply/);
    assert.deepEqual(await storedAnswers(link), {});
  });

  it('When answers are posted for questions hidden by a condition, then they are discarded', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/migrant_and_agency_workers`);
    await agent
      .post(`${link.path}/section/migrant_and_agency_workers`)
      .type('form')
      .send(sectionForm(csrf, { employs_migrants: 'no', migrant_share: '40', migrant_origins: 'Nepal', uses_agencies: 'no', provides_housing: 'no' }, { action: 'save' }))
      .expect(303);
    const answers = await storedAnswers(link);
    assert.deepEqual(Object.keys(answers).sort(), ['employs_migrants', 'provides_housing', 'uses_agencies']);
  });

  it('When saving makes follow-up questions appear in the same section, then "Save and continue" stays to show them', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/migrant_and_agency_workers`);
    const res = await agent
      .post(`${link.path}/section/migrant_and_agency_workers`)
      .type('form')
      .send(sectionForm(csrf, { employs_migrants: 'yes', uses_agencies: 'no', provides_housing: 'no' }, { action: 'next' }))
      .expect(303);
    assert.equal(res.headers.location, `${link.path}/section/migrant_and_agency_workers?notice=more#question-migrant_share`);
    const page = await agent.get(res.headers.location ?? '').expect(200);
    assert.match(page.text, /name="answers\[migrant_share\]"/);
    assert.match(page.text, /led to more questions/);
  });

  it('When the CSRF token is missing or wrong, then 403 and nothing changes (forms, autosave and uploads)', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/company_profile`);
    await agent.post(`${link.path}/section/company_profile`).type('form').send({ 'answers[company_name]': 'X' }).expect(403);
    await agent.post(`${link.path}/section/company_profile`).type('form').send(sectionForm(`${csrf}x`, { company_name: 'X' })).expect(403);
    await agent.post(`${link.path}/autosave`).send({ sectionId: 'company_profile', answers: { company_name: 'X' } }).expect(403);
    await agent.post(`${link.path}/autosave`).set('x-csrf-token', 'forged').send({ sectionId: 'company_profile', answers: { company_name: 'X' } }).expect(403);
    await agent.post(`${link.path}/evidence/payroll_sample`).attach('file-payroll_sample', PDF, 'a.pdf').expect(403);
    await agent.post(`${link.path}/evidence/payroll_sample?_csrf=wrong`).attach('file-payroll_sample', PDF, 'a.pdf').expect(403);
    assert.deepEqual(await storedAnswers(link), {});
    assert.equal((await storedResponse(link))?.evidence.length, 0);
  });

  it('When an upload is too large or not of an accepted type by content, then 413 / 415 next to the field and nothing is stored', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/hours_and_wages`);
    const uploadUrl = `${link.path}/evidence/payroll_sample?_csrf=${encodeURIComponent(csrf)}`;
    const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024, 0x20)]);
    const tooLarge = await agent.post(uploadUrl).attach('file-payroll_sample', big, 'big.pdf').expect(413);
    assert.match(tooLarge.text, /The file is too large\. The maximum is 10 MB\./);
    assert.match(tooLarge.text, /<a href="#file-payroll_sample">/);
    const renamed = await agent.post(uploadUrl).attach('file-payroll_sample', EXE, 'payroll.pdf').expect(415);
    assert.match(renamed.text, /not of an accepted type \(PDF, XLSX, JPEG, PNG\)/);
    assert.match(renamed.text, /id="file-payroll_sample"[^>]*aria-describedby="file-payroll_sample-hint file-payroll_sample-error" aria-invalid="true"/);
    await agent.post(uploadUrl).attach('file-payroll_sample', DOCX, 'payroll.xlsx').expect(415);
    await agent.post(uploadUrl).field('answers[payslips]', 'yes').expect(400);
    const notEvidence = await agent.post(`${link.path}/evidence/payslips?_csrf=${encodeURIComponent(csrf)}`).attach('file-payslips', PDF, 'a.pdf').expect(400);
    assert.match(notEvidence.text, /does not take files/);
    await agent.post(`${link.path}/evidence/no_such_question?_csrf=${encodeURIComponent(csrf)}`).attach('file-x', PDF, 'a.pdf').expect(404);
    assert.equal((await storedResponse(link))?.evidence.length, 0);
    const files = await t.deps.connection.db?.collection('evidence.files').countDocuments({ 'metadata.questionId': 'payroll_sample', filename: { $in: ['big.pdf', 'payroll.pdf', 'payroll.xlsx'] } });
    assert.equal(files, 0);
  });

  it('When a file is uploaded with other answers on the page and then removed, then the answers are saved too and the file is gone', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/hours_and_wages`);
    await agent
      .post(`${link.path}/evidence/payroll_sample?_csrf=${encodeURIComponent(csrf)}`)
      .field('_csrf', csrf)
      .field('answers[payslips]', 'yes')
      .attach('file-working_hours_records', PDF, 'chosen-elsewhere.pdf')
      .attach('file-payroll_sample', PNG, 'payslip.png')
      .expect(303);
    assert.deepEqual((await storedResponse(link))?.evidence.map((e) => e.filename), ['payslip.png'], 'only the clicked question\'s file is stored');
    assert.equal((await storedAnswers(link)).payslips?.value, 'yes');
    const response = await storedResponse(link);
    const ref = response?.evidence[0];
    assert.ok(ref);
    assert.equal(ref.detectedType, 'png');
    const removed = await agent.post(`${link.path}/evidence/payroll_sample/${ref.fileId.toHexString()}/delete`).type('form').send(sectionForm(csrf, { payslips: 'no' })).expect(303);
    assert.match(removed.headers.location ?? '', /notice=removed/);
    assert.equal((await storedResponse(link))?.evidence.length, 0);
    assert.equal((await storedAnswers(link)).payslips?.value, 'no');
    assert.equal(await t.deps.connection.db?.collection('evidence.files').countDocuments({ _id: ref.fileId }), 0);
    await agent.get(`${link.path}/files/${ref.fileId.toHexString()}`).expect(404);
  });

  it('When another link\'s file id is requested, then 404: files are reachable only through their own link', async () => {
    const owner = await createSupplierLink(t);
    const other = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${owner.path}/section/hours_and_wages`);
    await agent.post(`${owner.path}/evidence/payroll_sample?_csrf=${encodeURIComponent(csrf)}`).attach('file-payroll_sample', PDF, 'mine.pdf').expect(303);
    const fileId = (await storedResponse(owner))?.evidence[0]?.fileId.toHexString();
    const { agent: stranger } = await openSection(t.app, `${other.path}/section/hours_and_wages`);
    await stranger.get(`${other.path}/files/${fileId}`).expect(404);
    await stranger.get(`${other.path}/files/not-an-id`).expect(404);
  });

  it('When two tabs autosave different questions at once, then both answers are kept; the same question keeps the later save', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/forced_labour`);
    const save = (answers: Record<string, string>) =>
      agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'forced_labour', answers });
    const [a, b] = await Promise.all([save({ id_documents_retained: 'no' }), save({ free_to_resign: 'yes' })]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.match(String(a.body.savedAt), /^\d{4}-/);
    assert.ok(Array.isArray(a.body.progress));
    assert.ok(Array.isArray(a.body.visible) && a.body.visible.includes('free_to_resign'));
    const reveal = await agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'forced_labour', answers: { loans_to_workers: 'yes' } }).expect(200);
    assert.ok(reveal.body.visible.includes('loan_repayment_capped'), 'the follow-up is reported visible');
    await save({ overtime_voluntary: 'no' }).expect(200);
    t.clock.advance(500);
    await save({ overtime_voluntary: 'yes' }).expect(200);
    const answers = await storedAnswers(link);
    assert.equal(answers.id_documents_retained?.value, 'no');
    assert.equal(answers.free_to_resign?.value, 'yes');
    assert.equal(answers.overtime_voluntary?.value, 'yes');
  });

  it('When an autosave carries an invalid answer or a malformed body, then 422 / 400 JSON and nothing changes', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/company_profile`);
    const invalid = await agent
      .post(`${link.path}/autosave`)
      .set('x-csrf-token', csrf)
      .send({ sectionId: 'company_profile', answers: { workers_total: '-5x', company_name: 'ACME' } })
      .expect(422);
    assert.equal(typeof invalid.body.error.fields.workers_total, 'string');
    await agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 7, answers: [] }).expect(400);
    const unknown = await agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'company_profile', answers: { nope: 'x' } }).expect(400);
    assert.match(unknown.body.error.message, /not in this section/);
    assert.deepEqual(await storedAnswers(link), {});
  });

  it('When the supplier switches language on a form page, then the answers are saved and the page comes back in the other language', async () => {
    const link = await createSupplierLink(t, { language: 'en' });
    const { agent, csrf, html } = await openSection(t.app, `${link.path}/section/company_profile`);
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<button type="submit" form="section-form" name="action" value="lang:sv"[^>]*lang="sv">Svenska<\/button>/);
    const switched = await agent
      .post(`${link.path}/section/company_profile`)
      .type('form')
      .send(sectionForm(csrf, { company_name: 'Nordisk Vårdtextil AB' }, { action: 'lang:sv' }))
      .expect(303);
    assert.equal((await storedAnswers(link)).company_name?.value, 'Nordisk Vårdtextil AB');
    const page = await agent.get(switched.headers.location ?? '').expect(200);
    assert.match(page.text, /<html lang="sv">/);
    assert.match(page.text, /Spara och fortsätt/);
    assert.match(page.text, /value="Nordisk Vårdtextil AB"/);

    // On another device the choice follows the link; invalid input survives a switch too, shown in the new language.
    const { agent: phone, csrf: phoneCsrf, html: phoneHtml } = await openSection(t.app, `${link.path}/section/company_profile`);
    assert.match(phoneHtml, /<html lang="sv">/);
    const invalid = await phone
      .post(`${link.path}/section/company_profile`)
      .type('form')
      .send(sectionForm(phoneCsrf, { workers_total: '12,5' }, { action: 'lang:en' }))
      .expect(422);
    assert.match(invalid.text, /<html lang="en">/);
    assert.match(invalid.text, /value="12,5"/);
  });

  it('When numbers and dates are shown, then they follow the chosen language', async () => {
    const link = await createSupplierLink(t, { language: 'sv' });
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/hours_and_wages`);
    await agent.post(`${link.path}/section/hours_and_wages`).type('form').send(sectionForm(csrf, { normal_weekly_hours: '37,5' }, { action: 'save' })).expect(303);
    assert.equal((await storedAnswers(link)).normal_weekly_hours?.value, 37.5);
    const page = await agent.get(`${link.path}/section/hours_and_wages`).expect(200);
    assert.match(page.text, /value="37,5"/);
    const review = await agent.get(`${link.path}/review`).expect(200);
    assert.match(review.text, /37,5 timmar|37,5/);
    assert.match(review.text, /<html lang="sv">/);

    // The review page's language button keeps what was typed into the declaration.
    const switched = await agent
      .post(`${link.path}/submit`)
      .type('form')
      .send({ _csrf: extractCsrfToken(review.text), declarationName: 'Karin Lund', declarationRole: '', action: 'lang:en' })
      .expect(200);
    assert.match(switched.text, /<html lang="en">/);
    assert.match(switched.text, /id="declaration-name" name="declarationName" value="Karin Lund"/);
    assert.equal((await storedResponse(link))?.status, 'draft');
  });
});

describe('Supplier links that do not work', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ label: 'supplier_links' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('When a link is unknown or malformed, then 404 with a friendly page that reveals nothing', async () => {
    const { default: request } = await import('supertest');
    for (const path of ['/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/s/short', '/s/%3Cscript%3E', '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/section/company_profile']) {
      const res = await request(t.app).get(path).expect(404);
      assert.match(res.text, /This link does not work|Länken fungerar inte/);
    }
  });

  it('When a link has expired or was revoked, then 410 naming only the buyer contact', async () => {
    const { default: request } = await import('supertest');
    const expiring = await createSupplierLink(t, { expiresInDays: 1 });
    const revoked = await createSupplierLink(t);
    await invitationModel(t.deps.connection).updateOne({ _id: revoked.invitationId }, { $set: { revokedAt: t.clock.now() } });
    t.clock.advance(2 * DAY_MS);
    const expired = await request(t.app).get(expiring.path).set('Accept-Language', 'en').expect(410);
    assert.match(expired.text, /This link has expired/);
    assert.match(expired.text, new RegExp(`${BUYER_CONTACT.name}, <a href="mailto:${BUYER_CONTACT.email}">`));
    assert.doesNotMatch(expired.text, /Supplier \d+ AB|code of conduct|Region \d/i);
    const gone = await request(t.app).get(`${revoked.path}/review`).set('Accept-Language', 'en').expect(410);
    assert.match(gone.text, /The buyer has withdrawn this link/);
    const json = await request(t.app).post(`${revoked.path}/autosave`).send({}).expect(403);
    assert.ok(json.body.error);
  });

  it('When one IP tries many unknown links, then it is refused with 429 after 20 failures', async () => {
    const { default: request } = await import('supertest');
    for (let i = 0; i < 20; i += 1) await request(t.app).get(`/s/${'B'.repeat(42)}${i % 10}`).expect(404);
    const refused = await request(t.app).get(`/s/${'C'.repeat(43)}`).expect(429);
    assert.match(refused.text, /Too many|För många/);
    assert.ok(refused.headers['retry-after']);
  });

  it('When a supplier keeps working with a valid link, then those requests never count as guesses', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/company_profile`);
    for (let i = 0; i < 25; i += 1) {
      await agent.post(`${link.path}/section/company_profile`).type('form').send(sectionForm(csrf, { workers_total: 'x' })).expect(422);
    }
    await agent.get(`${link.path}/section/company_profile`).expect(200);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'company_profile', answers: { company_name: `Name ${i}` } }),
      ),
    );
    assert.deepEqual([...new Set(burst.map((res) => res.status))], [200], 'simultaneous saves are not mistaken for guessing');
  });
});
