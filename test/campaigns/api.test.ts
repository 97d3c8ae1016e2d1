import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/accounts';
import { campaignModel, invitationModel } from '../../src/campaigns';
import { activityModel } from '../../src/platform/activity';
import { outboxModel } from '../../src/platform/mail/outbox';
import { buildTestApp, type TestApp } from '../helpers/app';
import { campaignWorld, DAY_MS, draftCampaign, idOf, linkIn, type CampaignWorld } from './fixtures';

describe('Campaigns in the JSON API', () => {
  let t: TestApp;
  let north: CampaignWorld;
  let south: CampaignWorld;
  let token: string;
  let southToken: string;

  before(async () => {
    t = await buildTestApp({ label: 'campaign_api' });
    north = await campaignWorld(t, 'Region Api');
    south = await campaignWorld(t, 'Region Api Syd');
    token = (await createApiToken(t.deps.connection, { organisationId: north.org.id, name: 'Integration' }, t.clock.now())).token;
    southToken = (await createApiToken(t.deps.connection, { organisationId: south.org.id, name: 'Syd' }, t.clock.now())).token;
  });
  after(async () => {
    await t.close();
  });

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, bearer = token) => request(t.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${bearer}`);

  it('When a campaign is created, edited, filled with suppliers, previewed and sent through the API, then each step does what the pages do', async () => {
    const created = await api('post', '/campaigns')
      .send({ name: 'API-kampanj', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31', supplierIds: [idOf(north.suppliers[0]!)] })
      .expect(201);
    assert.equal(created.body.status, 'draft');
    assert.equal(created.body.dueDate, '2026-03-31T21:59:59.000Z');
    assert.match(created.body.messages.sv.body, /\{\{contact\}\}/, 'the default message');
    assert.equal(created.body.counts.notInvited, 1);
    const id: string = created.body.id;

    const stale = await api('patch', `/campaigns/${id}`).send({ name: 'X', revision: created.body.revision + 5 }).expect(409);
    assert.match(stale.body.error.message, /changed this campaign meanwhile/);
    const edited = await api('patch', `/campaigns/${id}`).send({ buyerContact: { name: 'Anna', email: 'Anna@Region.example' }, revision: created.body.revision }).expect(200);
    assert.equal(edited.body.buyerContact.email, 'anna@region.example');

    assert.deepEqual((await api('post', `/campaigns/${id}/suppliers`).send({ filter: { tag: 'tier-1' } }).expect(200)).body, { added: 1 });
    await api('delete', `/campaigns/${id}/suppliers/${idOf(north.suppliers[0]!)}`).expect(204);
    await api('delete', `/campaigns/${id}/suppliers/${idOf(north.suppliers[0]!)}`).expect(404);

    const preview = await api('get', `/campaigns/${id}/preview?language=en`).expect(200);
    assert.match(preview.body.subject, /Region Api asks Bright Gloves Region Api/);
    assert.doesNotMatch(preview.body.text, /\/s\/[A-Za-z0-9_-]{40,}/, 'a preview holds no working link');

    const sent = await api('post', `/campaigns/${id}/send`).expect(200);
    assert.deepEqual(sent.body, { suppliers: 1, invitations: 2, skipped: 0 });
    assert.equal(JSON.stringify(sent.body).includes('/s/'), false, 'links are never returned');
    await api('post', `/campaigns/${id}/send`).expect(400);
    const log = await activityModel(t.deps.connection).findOne({ action: 'campaign.sent', subject: `campaign:${id}` }).lean();
    assert.equal(log?.actor.kind, 'api');
    assert.equal(log?.actor.name, 'Integration');

    const invitations = await api('get', `/campaigns/${id}/invitations`).expect(200);
    assert.equal(invitations.body.total, 2);
    assert.deepEqual(invitations.body.invitations.map((i: { status: string }) => i.status), ['sent', 'sent']);
    assert.doesNotMatch(JSON.stringify(invitations.body), /tokenHash|aliasHashes|activeKey/);

    const mail = await t.deliverMail();
    await request(t.app).get(linkIn(mail[0]!.text)).expect(200);
    const afterOpen = await api('get', `/campaigns/${id}/invitations`).expect(200);
    assert.deepEqual(afterOpen.body.invitations.map((i: { status: string }) => i.status).sort(), ['opened', 'sent']);

    const progress = await api('get', `/campaigns/${id}/progress?status=opened`).expect(200);
    assert.equal(progress.body.total, 1);
    assert.equal(progress.body.counts.opened, 1);
    assert.equal(progress.body.suppliers[0].name, north.suppliers[2]!.name);

    const list = await api('get', '/campaigns?status=open').expect(200);
    assert.deepEqual(list.body.campaigns.map((c: { id: string }) => c.id), [id]);
    assert.equal((await api('get', `/campaigns/${id}`).expect(200)).body.status, 'open');
  });

  it('When an open campaign is reminded, extended, reissued and closed through the API, then the same rules apply as on the pages', async () => {
    const campaign = await draftCampaign(t, north);
    const id = idOf(campaign);
    await api('post', `/campaigns/${id}/send`).expect(200);
    assert.deepEqual((await api('post', `/campaigns/${id}/remind`).expect(200)).body, { reminded: 0, tooSoon: 4 });
    const bad = await api('post', `/campaigns/${id}/extend`).send({ dueDate: 'next week' }).expect(400);
    assert.equal(bad.body.error.field, 'body.dueDate');
    const extended = await api('post', `/campaigns/${id}/extend`).send({ dueDate: new Date(campaign.deadline.getTime() + 7 * DAY_MS).toISOString(), notify: false }).expect(200);
    assert.equal(extended.body.notified, 0);
    const invitation = await invitationModel(t.deps.connection).findOne({ campaignId: campaign._id }).lean();
    assert.ok(invitation);
    const reissued = await api('post', `/campaigns/${id}/invitations/${idOf(invitation)}/reissue`).send({}).expect(201);
    assert.equal(reissued.body.replaces, idOf(invitation));
    assert.ok((await invitationModel(t.deps.connection).findById(invitation._id).lean())?.revokedAt);
    await api('post', `/campaigns/${id}/invitations/${idOf(invitation)}/reissue`).send({}).expect(409);
    const closed = await api('post', `/campaigns/${id}/close`).expect(200);
    assert.equal(closed.body.status, 'closed');
    await api('post', `/campaigns/${id}/remind`).expect(409);
  });

  it('When the input is malformed or a NoSQL payload, then the API answers 400 naming the field and stores nothing', async () => {
    const before = await campaignModel(t.deps.connection).countDocuments({});
    const cases: Array<[unknown, string]> = [
      [{ name: { $ne: '' }, questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31' }, 'body.name'],
      [{ name: 'X', questionnaireId: { $regex: '.*' }, questionnaireVersion: 1, dueDate: '2026-03-31' }, 'body.questionnaireId'],
      [{ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-02-30' }, 'body.dueDate'],
      [{ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31', supplierIds: [{ $gt: '' }] }, 'body.supplierIds.0'],
      [{ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31', messages: { sv: { subject: 'Hej {{vem}}', body: 'x' }, en: { subject: 'x', body: 'x' } } }, 'body.messages.sv.subject'],
      [{ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31', reminderPolicy: { beforeDays: [0] } }, 'body.reminderPolicy.beforeDays.0'],
    ];
    for (const [body, field] of cases) {
      const res = await api('post', '/campaigns').send(body as object).expect(400);
      assert.equal(res.body.error.field, field, JSON.stringify(body));
    }
    const past = await api('post', '/campaigns').send({ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2025-12-31' }).expect(400);
    assert.equal(past.body.error.field, 'dueDate');
    const foreign = await api('post', '/campaigns').send({ name: 'X', questionnaireId: 'code-of-conduct-saq', questionnaireVersion: 1, dueDate: '2026-03-31', supplierIds: [idOf(south.suppliers[0]!)] }).expect(400);
    assert.equal(foreign.body.error.field, 'supplierIds');
    const filter = await api('post', `/campaigns/${idOf(await draftCampaign(t, north, { supplierIds: [] }))}/suppliers`).send({ filter: { country: { $ne: 'SE' } } }).expect(400);
    assert.match(filter.body.error.field, /^body/);
    assert.equal(await campaignModel(t.deps.connection).countDocuments({}), before + 1);
  });

  it("When a token of another organisation names a campaign, an invitation or a supplier, then every route answers 404", async () => {
    const campaign = await draftCampaign(t, north);
    await api('post', `/campaigns/${idOf(campaign)}/send`).expect(200);
    const invitation = await invitationModel(t.deps.connection).findOne({ campaignId: campaign._id }).lean();
    const id = idOf(campaign);
    const routes: Array<['get' | 'post' | 'patch' | 'delete', string, object?]> = [
      ['get', `/campaigns/${id}`],
      ['patch', `/campaigns/${id}`, { name: 'Stolen', revision: 1 }],
      ['post', `/campaigns/${id}/suppliers`, { supplierIds: [idOf(south.suppliers[0]!)] }],
      ['delete', `/campaigns/${id}/suppliers/${idOf(north.suppliers[0]!)}`],
      ['get', `/campaigns/${id}/preview`],
      ['post', `/campaigns/${id}/send`],
      ['get', `/campaigns/${id}/progress`],
      ['get', `/campaigns/${id}/invitations`],
      ['post', `/campaigns/${id}/remind`],
      ['post', `/campaigns/${id}/extend`, { dueDate: '2026-06-30' }],
      ['post', `/campaigns/${id}/close`],
      ['post', `/campaigns/${id}/invitations/${String(invitation?._id)}/reissue`, {}],
      ['get', '/campaigns/not-an-id'],
    ];
    for (const [method, path, body] of routes) {
      const call = api(method, path, southToken);
      await (body ? call.send(body) : call).expect(404);
    }
    const own = await draftCampaign(t, south);
    await api('post', `/campaigns/${idOf(own)}/invitations/${String(invitation?._id)}/reissue`, southToken).send({}).expect(404);
    assert.equal((await campaignModel(t.deps.connection).findById(campaign._id).lean())?.status, 'open');
    assert.equal((await api('get', '/campaigns', southToken).expect(200)).body.campaigns.some((c: { id: string }) => c.id === id), false);
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'reminder' }), 0);
  });

  it('When the OpenAPI document is read, then it describes every campaign route', async () => {
    const doc = await request(t.app).get('/api/v1/openapi.json').expect(200);
    for (const path of ['/campaigns', '/campaigns/{id}', '/campaigns/{id}/send', '/campaigns/{id}/invitations', '/campaigns/{id}/progress', '/campaigns/{id}/remind', '/campaigns/{id}/extend', '/campaigns/{id}/close', '/campaigns/{id}/invitations/{invitationId}/reissue']) {
      assert.ok(doc.body.paths[path], path);
    }
    assert.ok(doc.body.paths['/campaigns'].post.requestBody.content['application/json'].schema.properties.dueDate);
  });
});
