import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import request from 'supertest';
import { createCampaign } from '../../src/campaigns';
import { createInvitation, revokeInvitation } from '../../src/campaigns/invitation-service';
import { SYSTEM_ACTOR } from '../../src/platform/activity';
import { createSupplier } from '../../src/suppliers';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp, type TestOrganisation } from '../helpers/app';
import { organisationNumberFor } from '../helpers/suppliers';

const DAY_MS = 24 * 60 * 60 * 1000;

function supplierRow(html: string, supplierId: string): string {
  const match = new RegExp(`<tr data-supplier-id="${supplierId}">([\\s\\S]*?)</tr>`).exec(html);
  assert.ok(match?.[1], `row of supplier ${supplierId}`);
  return match[1];
}

describe('buyer and auditor home page', () => {
  let t: TestApp;
  let north: TestOrganisation;
  let south: TestOrganisation;
  const ids: Record<string, string> = {};

  before(async () => {
    t = await buildTestApp({ label: 'home' });
    north = await createTestOrganisation(t.deps, 'Region Nord');
    south = await createTestOrganisation(t.deps, 'Region Syd');
    const saq = t.deps.questionnaires.latest('code-of-conduct-saq');
    assert.ok(saq, 'the shipped SAQ is loaded');
    const deadline = new Date(t.clock.now().getTime() + 30 * DAY_MS);

    const supplier = (organisationId: string, name: string, number: string, country = 'SE') =>
      createSupplier(
        t.deps,
        { organisationId, name, country, organisationNumber: number, contacts: [{ name: 'Kontakt Person', email: `kontakt@${number}.example`, language: 'sv' }] },
        SYSTEM_ACTOR,
      );
    const submitted = await supplier(north.id, 'Nord Submitted AB', organisationNumberFor(1));
    const started = await supplier(north.id, 'Nord Started AB', organisationNumberFor(2));
    const invited = await supplier(north.id, 'Nord Invited AB', organisationNumberFor(3));
    const revoked = await supplier(north.id, 'Nord Revoked Ltd', '444444-4444', 'GB');
    const expired = await supplier(north.id, 'Nord Expired GmbH', '555555-5555', 'DE');
    const notInvited = await supplier(north.id, 'Nord Not Invited AB', organisationNumberFor(6));
    const southern = await supplier(south.id, 'Syd Hemlig AB', organisationNumberFor(7));
    Object.assign(ids, {
      submitted: submitted.id,
      started: started.id,
      invited: invited.id,
      revoked: revoked.id,
      expired: expired.id,
      notInvited: notInvited.id,
    });

    const northCampaign = await createCampaign(t.deps, {
      organisationId: north.id,
      name: 'Nord uppförandekod 2026',
      questionnaireId: saq.id,
      questionnaireVersion: saq.version,
      deadline,
      status: 'open',
      supplierIds: [submitted._id, started._id, invited._id, revoked._id, expired._id, notInvited._id],
    });
    await createCampaign(t.deps, {
      organisationId: south.id,
      name: 'Syd hemlig kampanj',
      questionnaireId: saq.id,
      questionnaireVersion: saq.version,
      deadline,
      status: 'open',
      supplierIds: [southern._id],
    });

    const invite = (supplierId: mongoose.Types.ObjectId, expiresInDays = 60) =>
      createInvitation(t.deps, {
        organisationId: north.id,
        campaignId: northCampaign._id,
        supplierId,
        questionnaireId: saq.id,
        questionnaireVersion: saq.version,
        language: 'sv',
        expiresInDays,
      });
    for (const s of [submitted, started, invited]) await invite(s._id);
    const toRevoke = await invite(revoked._id);
    await revokeInvitation(t.deps, toRevoke.invitation._id, north.id);
    await invite(expired._id, 1);

    // Responses are written by the supplier form; the dashboard only reads their status.
    const responses = t.deps.connection.collection('responses');
    const base = { organisationId: new mongoose.Types.ObjectId(north.id), campaignId: northCampaign._id, invitationId: new mongoose.Types.ObjectId() };
    await responses.insertOne({ ...base, supplierId: submitted._id, status: 'submitted', submittedAt: t.clock.now(), updatedAt: t.clock.now() });
    await responses.insertOne({ ...base, invitationId: new mongoose.Types.ObjectId(), supplierId: started._id, status: 'draft', updatedAt: t.clock.now() });

    t.clock.advance(2 * DAY_MS); // the one-day invitation has expired
  });

  after(async () => {
    await t.close();
  });

  it('When nobody is logged in, then the home page sends them to the login page', async () => {
    await request(t.app).get('/').expect(302).expect('Location', '/login?next=%2F');
  });

  it("When a buyer opens the home page, then they see their organisation's campaign with each supplier's status", async () => {
    const agent = await loginAgent(t.app, north.buyer);
    const res = await agent.get('/?lang=en').expect(200);
    assert.match(res.text, /Organisation: Region Nord/);
    assert.match(res.text, /Nord uppförandekod 2026/);
    assert.ok(res.text.includes(`code-of-conduct-saq@${t.deps.questionnaires.latest('code-of-conduct-saq')!.version}`), 'the campaign names its questionnaire version');
    assert.match(res.text, /1 of 6 suppliers have submitted/);
    assert.match(supplierRow(res.text, ids.submitted ?? ''), /Submitted/);
    assert.match(supplierRow(res.text, ids.started ?? ''), /In progress/);
    assert.match(supplierRow(res.text, ids.invited ?? ''), /Invited, not started/);
    assert.match(supplierRow(res.text, ids.revoked ?? ''), /Link revoked/);
    assert.match(supplierRow(res.text, ids.expired ?? ''), /Link expired/);
    assert.match(supplierRow(res.text, ids.notInvited ?? ''), /Not invited/);
  });

  it("When a buyer opens the home page, then nothing of another organisation's campaigns or suppliers shows", async () => {
    const agent = await loginAgent(t.app, north.buyer);
    const res = await agent.get('/').expect(200);
    assert.doesNotMatch(res.text, /Syd hemlig/);
    const southAgent = await loginAgent(t.app, south.buyer);
    const southPage = await southAgent.get('/').expect(200);
    assert.match(southPage.text, /Syd hemlig kampanj/);
    assert.doesNotMatch(southPage.text, /Nord/);
  });

  it('When an auditor opens the home page, then they see the same read-only overview, in Swedish by default', async () => {
    const agent = await loginAgent(t.app, north.auditor);
    await agent.get('/?lang=sv').expect(200);
    const res = await agent.get('/').expect(200);
    assert.match(res.text, /<html lang="sv">/);
    assert.match(res.text, /Kampanjer/);
    assert.match(res.text, /Inskickad/);
    assert.doesNotMatch(res.text, /<form[^>]+action="\/(?!logout)/, 'no forms other than logout');
  });

  it('When an organisation has no campaigns, then the page says so', async () => {
    const empty = await createTestOrganisation(t.deps, 'Region Tom');
    const agent = await loginAgent(t.app, empty.buyer);
    const res = await agent.get('/?lang=en').expect(200);
    assert.match(res.text, /Your organisation has no campaigns yet/);
  });

  it('When an administrator of the organisation logs in, then they see the overview too', async () => {
    const agent = await loginAgent(t.app, north.admin);
    const res = await agent.get('/').expect(200);
    assert.match(res.text, /Nord uppförandekod 2026/);
  });
});
