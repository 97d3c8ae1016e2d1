import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import request from 'supertest';
import { userModel } from '../../src/accounts';
import { participantModel, sendCampaign, type SentLink } from '../../src/campaigns';
import { activityModel } from '../../src/platform/activity';
import { responseModel } from '../../src/responses';
import { buildTestApp, extractCsrfToken, loginAgent, type TestApp } from '../helpers/app';
import { PDF } from '../responses/files';
import { addSupplier, campaignWorld, draftCampaign, idOf, SHORT, shortQuestionnaires, submitShortCheck, type CampaignWorld } from './fixtures';

describe('The supplier side of a campaign', () => {
  let t: TestApp;
  let world: CampaignWorld;
  let links: SentLink[];
  let campaignId: string;

  before(async () => {
    t = await buildTestApp({ label: 'campaign_supplier_side', questionnaires: shortQuestionnaires() });
    world = await campaignWorld(t, 'Region Leverantör');
    const campaign = await draftCampaign(t, world, { questionnaireId: SHORT.id, questionnaireVersion: SHORT.version, name: 'Leverantörskontroll 2026' });
    campaignId = idOf(campaign);
    ({ links } = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor));
    await t.deliverMail();
  });
  after(async () => {
    await t.close();
  });

  function linkOf(email: string): string {
    const link = links.find((l) => l.email === email);
    assert.ok(link, email);
    return new URL(link.url).pathname;
  }

  it('When a contact first opens the link, then a welcome page says who asks, why, by when, what happens to the answers, and leads to section 1', async () => {
    const path = linkOf(world.suppliers[2]!.contacts[0]!.email);
    const en = await request(t.app).get(path).expect(200);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /Region Leverantör asks Bright Gloves Region Leverantör to answer this self-assessment/);
    assert.match(en.text, /<dt>Round<\/dt><dd>Leverantörskontroll 2026<\/dd>/);
    assert.match(en.text, /<dt>Please answer by<\/dt><dd>14 February 2026<\/dd>/, "the campaign's due date, not the link's expiry");
    assert.match(en.text, /Answer for the site that makes the products\./, "the questionnaire's own description");
    assert.match(en.text, /Region Leverantör is responsible for the answers and the personal data in them \(the controller\)/);
    assert.match(en.text, /Retention:/);
    assert.match(en.text, /Your rights:/);
    assert.match(en.text, /Anna Inköpare, <a href="mailto:anna@region\.example">/);
    assert.match(en.text, /<a class="button" href="\/s\/[A-Za-z0-9_-]+\/section\/profile">Start the questionnaire<\/a>/);
    const sv = await request(t.app).get(`${path}?lang=sv`).expect(200);
    assert.match(sv.text, /Vad som händer med era svar/);
    assert.match(sv.text, /personuppgiftsansvarig/);
  });

  it('When a document request does not apply to the answer given, then it is not shown, upload is refused, and it appears once the answer asks for it', async () => {
    const path = linkOf(world.suppliers[1]!.contacts[0]!.email);
    const agent = request.agent(t.app);
    let page = await agent.get(`${path}/section/profile`).expect(200);
    const csrf = extractCsrfToken(page.text);
    assert.match(page.text, /data-evidence-for="has_policy" hidden>/, 'not before the question is answered');
    assert.match(page.text, /data-evidence-for="risk_analysis" hidden>/);
    await agent.post(`${path}/section/profile`).type('form').send({ _csrf: csrf, action: 'save', 'answers[has_policy]': 'no', 'answers[risk_analysis]': 'no' }).expect(303);
    page = await agent.get(`${path}/section/profile`).expect(200);
    assert.match(page.text, /data-evidence-for="risk_analysis" hidden>/, 'a "No" asks for no risk analysis');
    const refused = await agent.post(`${path}/evidence/risk_analysis?_csrf=${encodeURIComponent(csrf)}`).attach('file-risk_analysis', PDF, 'risk.pdf');
    assert.equal(refused.status, 409);
    // Without JavaScript, "Save and continue" after a "Yes" stays to show the upload that now applies.
    const next = await agent.post(`${path}/section/profile`).type('form').send({ _csrf: csrf, action: 'next', 'answers[company_name]': 'Göta AB', 'answers[has_policy]': 'no', 'answers[risk_analysis]': 'yes' }).expect(303);
    assert.match(next.headers.location ?? '', /\/section\/profile\?notice=more#question-risk_analysis$/);
    page = await agent.get(`${path}/section/profile`).expect(200);
    assert.match(page.text, /data-evidence-for="risk_analysis">/);
    await agent.post(`${path}/evidence/risk_analysis?_csrf=${encodeURIComponent(csrf)}`).attach('file-risk_analysis', PDF, 'risk.pdf').expect(303);
    // With JavaScript, autosave says which document requests apply now.
    const saved = await agent.post(`${path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'profile', answers: { has_policy: 'yes' } }).expect(200);
    assert.deepEqual(saved.body.evidence, ['has_policy', 'risk_analysis']);
    const no = await agent.post(`${path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'profile', answers: { risk_analysis: 'no' } }).expect(200);
    assert.deepEqual(no.body.evidence, ['has_policy']);
    const review = await agent.get(`${path}/review`).expect(200);
    assert.doesNotMatch(review.text, /risk\.pdf/, 'a document the answer no longer asks for is not part of the answers shown');
  });

  it('When "Save and continue" leaves required questions unanswered, then the next page names them, links to them and says they can come back', async () => {
    const path = linkOf(world.suppliers[0]!.contacts[0]!.email);
    const agent = request.agent(t.app);
    const page = await agent.get(`${path}/section/profile?lang=en`).expect(200);
    const csrf = extractCsrfToken(page.text);
    const next = await agent.post(`${path}/section/profile`).type('form').send({ _csrf: csrf, action: 'next', 'answers[company_name]': 'Nordisk AB', 'answers[has_policy]': 'no' }).expect(303);
    assert.match(next.headers.location ?? '', /\/section\/labour\?notice=incomplete&from=profile$/);
    const labour = await agent.get(`${next.headers.location ?? ''}`).expect(200);
    assert.match(labour.text, /1 required question in “The company” is still unanswered/);
    assert.match(labour.text, /<a href="\/s\/[A-Za-z0-9_-]+\/section\/profile#question-risk_analysis">Have you made a risk analysis\?<\/a>/);
    assert.match(labour.text, /come back to them at any time before you submit/);
    const toReview = await agent.post(`${path}/section/labour`).type('form').send({ _csrf: csrf, action: 'next' }).expect(303);
    assert.match(toReview.headers.location ?? '', /\/review\?notice=incomplete&from=labour$/);
    const review = await agent.get(toReview.headers.location ?? '').expect(200);
    assert.match(review.text, /Do you employ migrant workers\?<\/a>/);
  });

  it('When two contacts of one supplier open their links, then they work on the same answers', async () => {
    const gloves = world.suppliers[2]!;
    const first = request.agent(t.app);
    const firstPath = linkOf(gloves.contacts[0]!.email);
    const csrf = extractCsrfToken((await first.get(`${firstPath}/section/profile`).expect(200)).text);
    await first.post(`${firstPath}/section/profile`).type('form').send({ _csrf: csrf, action: 'save', 'answers[company_name]': 'Bright Gloves Co.' }).expect(303);
    const second = await request(t.app).get(`${linkOf(gloves.contacts[1]!.email)}/section/profile`).expect(200);
    assert.match(second.text, /value="Bright Gloves Co\."/);
    assert.equal(await responseModel(t.deps.connection).countDocuments({ supplierId: gloves._id }), 1);
  });

  it('When a supplier submits, then the receipt goes to the contact who submitted, each buyer who wants it is told, the log and the progress show it', async () => {
    const otherBuyer = await userModel(t.deps.connection).create({
      email: 'quiet-buyer@region.example',
      name: 'Tyst Inköpare',
      passwordHash: 'x',
      roles: ['buyer'],
      organisationId: new mongoose.Types.ObjectId(world.org.id),
      notifications: { submissions: false },
    });
    const gloves = world.suppliers[2]!;
    const zhang = gloves.contacts[1]!;
    await submitShortCheck(t.app, linkOf(zhang.email), { name: 'Zhang Min', role: 'Quality manager' });
    const mail = await t.deliverMail();
    const receipt = mail.filter((m) => /Receipt|Kvitto/.test(m.subject));
    assert.deepEqual(receipt.map((m) => m.to), [zhang.email], 'the receipt goes to the contact whose link was used');
    const notices = mail.filter((m) => m.subject.includes('has submitted') || m.subject.includes('har skickat in'));
    assert.deepEqual(notices.map((m) => m.to), [world.org.buyer.email], 'one notice per buyer who wants them');
    assert.ok(!notices.some((m) => m.to === otherBuyer.email));
    const response = await responseModel(t.deps.connection).findOne({ supplierId: gloves._id }).lean();
    assert.ok(response);
    assert.match(notices[0]!.text, new RegExp(`http://127\\.0\\.0\\.1:3000/responses/${idOf(response)}`));
    assert.match(notices[0]!.text, /Bright Gloves Region Leverantör has submitted its answers in the campaign “Leverantörskontroll 2026”/);

    const entry = await activityModel(t.deps.connection).findOne({ action: 'response.submitted', subject: `response:${idOf(response)}` }).lean();
    assert.equal(entry?.actor.kind, 'supplier');
    assert.equal(entry?.actor.name, 'Zhang Min');
    assert.ok(entry?.refs.includes(`supplier:${idOf(gloves)}`) && entry.refs.includes(`campaign:${campaignId}`) && entry.refs.some((r) => r.startsWith('invitation:')));
    const row = await participantModel(t.deps.connection).findOne({ supplierId: gloves._id }).lean();
    assert.equal(row?.state, 'submitted');

    const agent = await loginAgent(t.app, world.org.buyer);
    const progress = await agent.get(`/campaigns/${campaignId}?status=submitted&lang=en`).expect(200);
    assert.match(progress.text, /1 supplier matches/);
    assert.match(progress.text, /2 of 2/, 'both visible sections answered');
    assert.match(progress.text, new RegExp(`href="/responses/${idOf(response)}"`));
  });

  it("When a supplier's name carries markup, then the buyers' notice escapes it", async () => {
    const hostile = await addSupplier(t, world.org.id, { name: '<img src=x onerror=alert(1)> AB', contacts: [{ name: 'Kim', email: 'kim@hostile.example', language: 'sv' }] });
    const campaign = await draftCampaign(t, { ...world, suppliers: [hostile] }, { questionnaireId: SHORT.id, questionnaireVersion: SHORT.version });
    const sent = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    await t.deliverMail();
    await submitShortCheck(t.app, new URL(sent.links[0]!.url).pathname);
    const notice = (await t.deliverMail()).find((m) => m.to === world.org.buyer.email);
    assert.ok(notice?.html);
    assert.doesNotMatch(notice.html, /<img src=x/);
    assert.match(notice.html, /&lt;img src=x onerror=alert\(1\)&gt; AB/);
  });
});
