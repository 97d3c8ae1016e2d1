import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { organisationModel, userModel } from '../../src/accounts';
import { campaignModel } from '../../src/campaigns';
import { outboxModel } from '../../src/platform/mail/outbox';
import { invitationModel } from '../../src/campaigns/invitation-model';
import { DEMO_LOGINS, DEMO_ORGANISATION_NAME, DEMO_QUESTIONNAIRE, seedDemoData } from '../../src/demo/seed';
import { supplierModel } from '../../src/suppliers';
import { buildTestApp, loginAgent, type TestApp } from '../helpers/app';

async function counts(t: TestApp): Promise<Record<string, number>> {
  const conn = t.deps.connection;
  const ids = { projection: { _id: 1 } };
  return {
    organisations: (await organisationModel(conn).find({}, null, ids).lean()).length,
    users: (await userModel(conn).find({}, null, ids).lean()).length,
    suppliers: (await supplierModel(conn).find({}, null, ids).lean()).length,
    campaigns: (await campaignModel(conn).find({}, null, ids).lean()).length,
    invitations: (await invitationModel(conn).find({}, null, ids).lean()).length,
  };
}

describe('demo seed', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'seed' });
  });
  after(async () => {
    await t.close();
  });

  it('When the database is empty, then the demo organisation, users, suppliers, open campaign and invitations are created', async () => {
    const result = await seedDemoData(t.deps);
    assert.equal(result.created, true);
    assert.deepEqual(await counts(t), { organisations: 1, users: 3, suppliers: 4, campaigns: 1, invitations: 4 });
    const organisation = await organisationModel(t.deps.connection).findOne({ name: DEMO_ORGANISATION_NAME });
    assert.ok(organisation);
    const suppliers = await supplierModel(t.deps.connection).find({ organisationId: organisation._id });
    assert.ok(suppliers.some((s) => s.country === 'SE') && suppliers.some((s) => s.country !== 'SE'), 'Swedish and foreign suppliers');
    const campaign = await campaignModel(t.deps.connection).findOne({ organisationId: organisation._id });
    assert.equal(campaign?.status, 'open');
    assert.equal(campaign?.questionnaireId, DEMO_QUESTIONNAIRE.id);
    assert.equal(campaign?.questionnaireVersion, DEMO_QUESTIONNAIRE.version);
    assert.equal(campaign?.supplierIds.length, 4);
    assert.match(result.supplierUrl ?? '', /^http:\/\/127\.0\.0\.1:3000\/s\/[A-Za-z0-9_-]{22,}$/);
    assert.equal(readFileSync(path.join(t.deps.config.dataDir, 'demo-supplier-link.txt'), 'utf8').trim(), result.supplierUrl);
  });

  it('When the seed runs again, then nothing is added and the first supplier link is printed again', async () => {
    const before = await counts(t);
    const first = readFileSync(path.join(t.deps.config.dataDir, 'demo-supplier-link.txt'), 'utf8').trim();
    const again = await seedDemoData(t.deps);
    assert.equal(again.created, false);
    assert.equal(again.supplierUrl, first);
    assert.deepEqual(await counts(t), before);
  });

  it('When two starts seed at once, then the demo data exists once', async () => {
    const fresh = await buildTestApp({ label: 'seed_race' });
    try {
      const results = await Promise.all([seedDemoData(fresh.deps), seedDemoData(fresh.deps)]);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.deepEqual(await counts(fresh), { organisations: 1, users: 3, suppliers: 4, campaigns: 1, invitations: 4 });
    } finally {
      await fresh.close();
    }
  });

  it('When the printed demo logins are used, then the buyer sees the demo campaign and where each supplier stands', async () => {
    const buyer = DEMO_LOGINS.find((login) => login.role === 'buyer');
    assert.ok(buyer);
    const agent = await loginAgent(t.app, buyer);
    const home = await agent.get('/?lang=en').expect(200);
    assert.match(home.text, /Organisation: Region Demo/);
    assert.match(home.text, /Uppförandekod för leverantörer 2026/);
    const campaign = await campaignModel(t.deps.connection).findOne({});
    const page = await agent.get(`/campaigns/${String(campaign?._id)}?lang=en`).expect(200);
    assert.equal((page.text.match(/Invited, not opened/g) ?? []).length >= 4, true, 'all four suppliers are invited');
  });

  it('When the demo is seeded, then every demo supplier has its invitation in the dev mailbox with a working link', async () => {
    const invitations = await outboxModel(t.deps.connection).find({ category: 'invitation' }).lean();
    assert.equal(invitations.length, 4);
    const admin = DEMO_LOGINS.find((login) => login.role === 'admin');
    assert.ok(admin);
    const agent = await loginAgent(t.app, admin);
    const { default: request } = await import('supertest');
    for (const message of invitations) {
      const mail = await agent.get(`/admin/mailbox/${message._id.toHexString()}`).expect(200);
      const link = /http:\/\/127\.0\.0\.1:3000(\/s\/[A-Za-z0-9_-]{22,})/.exec(mail.text)?.[1];
      assert.ok(link, `the invitation to ${message.to} holds a supplier link`);
      const opened = await request(t.app).get(link).expect(200);
      assert.match(opened.text, /Region Demo/, 'the welcome page says who is asking');
    }
  });

  it('When the printed supplier link is opened, then it leads to the questionnaire', async () => {
    const url = new URL(readFileSync(path.join(t.deps.config.dataDir, 'demo-supplier-link.txt'), 'utf8').trim());
    const { default: request } = await import('supertest');
    const res = await request(t.app).get(url.pathname);
    if (res.status === 302 || res.status === 303) assert.ok(res.headers.location?.startsWith(url.pathname), 'redirects within the supplier link');
    else assert.equal(res.status, 200, 'the supplier link works');
  });
});
