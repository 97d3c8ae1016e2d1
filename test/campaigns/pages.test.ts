import assert from 'node:assert/strict';
import request from 'supertest';
import { campaignModel, invitationModel, participantModel, sendCampaign } from '../../src/campaigns';
import { activityModel } from '../../src/platform/activity';
import { outboxModel } from '../../src/platform/mail/outbox';
import { buildTestApp, extractCsrfToken, loginAgent, type TestApp } from '../helpers/app';
import { addSupplier, campaignWorld, DAY_MS, draftCampaign, idOf, linkIn, type CampaignWorld } from './fixtures';

/** The posted campaign form, as the page's inputs name its fields. */
function campaignForm(csrf: string, fields: Record<string, string> = {}): Record<string, string> {
  return {
    _csrf: csrf,
    name: 'Uppförandekod 2026',
    questionnaire: 'code-of-conduct-saq@1',
    dueDate: '2026-03-31',
    buyerContactName: 'Anna Inköpare',
    buyerContactEmail: 'anna@region.example',
    'messages[sv][subject]': 'Självskattning senast {{dueDate}}',
    'messages[sv][body]': 'Hej {{contact}},\n\nSvara för {{supplier}}.',
    'messages[en][subject]': 'Self-assessment by {{dueDate}}',
    'messages[en][body]': 'Dear {{contact}},\n\nPlease answer for {{supplier}}.',
    remindersEnabled: 'on',
    beforeDays: '7, 1',
    afterDays: '3',
    maxCount: '3',
    minGapDays: '2',
    revision: '0',
    ...fields,
  };
}

function rowOf(html: string, supplierId: string): string {
  const match = new RegExp(`<tr data-supplier-id="${supplierId}">([\\s\\S]*?)</tr>`).exec(html);
  assert.ok(match?.[1], `row of supplier ${supplierId}`);
  return match[1];
}

describe('Campaign pages', () => {
  let t: TestApp;
  let north: CampaignWorld;
  let south: CampaignWorld;

  before(async () => {
    t = await buildTestApp({ label: 'campaign_pages' });
    north = await campaignWorld(t, 'Region Nord');
    south = await campaignWorld(t, 'Region Syd');
  });
  after(async () => {
    await t.close();
  });

  it('When nobody is logged in, then campaign pages lead to the login page and actions are refused', async () => {
    await request(t.app).get('/campaigns').expect(302).expect('Location', '/login?next=%2Fcampaigns');
    await request(t.app).get('/').expect(302);
    await request(t.app).post('/campaigns').type('form').send({}).expect(403);
  });

  it('When a buyer creates a draft through the form, then it is stored as typed, logged, and the supplier picker opens', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const page = await agent.get('/campaigns/new?lang=en').expect(200);
    const latest = t.deps.questionnaires.latest('code-of-conduct-saq')!;
    assert.ok(page.text.includes(`<option value="code-of-conduct-saq@${latest.version}" selected>${latest.title.en} (version ${latest.version})</option>`), 'the newest published version is offered first');
    assert.match(page.text, /<option value="code-of-conduct-saq@1">/, 'older published versions can still be chosen');
    assert.match(page.text, /\{\{supplier\}\}/, 'the default message shows its placeholders');
    const created = await agent.post('/campaigns').type('form').send(campaignForm(extractCsrfToken(page.text))).expect(303);
    const id = /\/campaigns\/([0-9a-f]{24})\/suppliers\/add/.exec(created.headers.location ?? '')?.[1];
    assert.ok(id, created.headers.location);
    const campaign = await campaignModel(t.deps.connection).findById(id).lean();
    assert.equal(campaign?.status, 'draft');
    assert.equal(campaign?.messages?.en?.body, 'Dear {{contact}},\n\nPlease answer for {{supplier}}.');
    assert.deepEqual(campaign?.reminderPolicy, { enabled: true, beforeDays: [1, 7], afterDays: [3], maxCount: 3, minGapDays: 2 });
    // The last second of 31 March in Stockholm (summer time from 29 March).
    assert.equal(campaign?.deadline.toISOString(), '2026-03-31T21:59:59.000Z');
    assert.equal(await activityModel(t.deps.connection).countDocuments({ action: 'campaign.created', subject: `campaign:${id}` }), 1);
    const picker = await agent.get(created.headers.location ?? '').expect(200);
    assert.match(picker.text, /The draft is saved/);
    assert.match(picker.text, /Nordisk Textil Region Nord/);
    assert.doesNotMatch(picker.text, /Region Syd/, "another organisation's suppliers are never listed");
  });

  it('When the form is filled in wrongly, then nothing is stored and every problem is named next to its field', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const csrf = extractCsrfToken((await agent.get('/campaigns/new?lang=en').expect(200)).text);
    const before = await campaignModel(t.deps.connection).countDocuments({});
    const res = await agent
      .post('/campaigns')
      .type('form')
      .send(campaignForm(csrf, { name: '', dueDate: 'tomorrow', buyerContactEmail: 'not-an-address', 'messages[en][subject]': 'Hi {{vendor}}', beforeDays: '7, soon', questionnaire: 'code-of-conduct-saq@999' }))
      .expect(422);
    for (const field of ['name', 'dueDate', 'buyerContactEmail', 'messages-en-subject', 'beforeDays', 'questionnaire']) {
      assert.match(res.text, new RegExp(`<a href="#${field}">`), `the error summary links to ${field}`);
      assert.match(res.text, new RegExp(`id="${field}-error"`), `the message sits next to ${field}`);
    }
    assert.match(res.text, /Unknown placeholder \{\{vendor\}\}/);
    assert.match(res.text, /value="7, soon"/, 'what was typed is shown again');
    const past = await agent.post('/campaigns').type('form').send(campaignForm(csrf, { dueDate: '2026-01-01' })).expect(422);
    assert.match(past.text, /The due date must be in the future/);
    assert.equal(await campaignModel(t.deps.connection).countDocuments({}), before);
  });

  it('When a form is posted without its CSRF token or with a NoSQL payload, then it is refused and nothing changes', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const before = await campaignModel(t.deps.connection).countDocuments({});
    await agent.post('/campaigns').type('form').send({ ...campaignForm(''), _csrf: undefined }).expect(403);
    const csrf = extractCsrfToken((await agent.get('/campaigns/new').expect(200)).text);
    await agent.post('/campaigns').type('form').send(`_csrf=${encodeURIComponent(csrf)}&name[$ne]=x&questionnaire[$gt]=&dueDate=2026-03-31`).expect(422);
    assert.equal(await campaignModel(t.deps.connection).countDocuments({}), before);
    const campaign = await draftCampaign(t, north);
    await agent.get(`/campaigns/${idOf(campaign)}?status[$ne]=x&country[$gt]=&sort[$where]=1&page=abc`).expect(200);
    await agent.get(`/campaigns/${idOf(campaign)}/suppliers/add?country[$ne]=SE&q[$regex]=.*`).expect(200);
  });

  it('When suppliers are chosen by hand and by filter, then only active suppliers of the organisation are added, once', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const campaign = await draftCampaign(t, north, { supplierIds: [] });
    const path = `/campaigns/${idOf(campaign)}/suppliers`;
    const picker = await agent.get(`${path}/add?lang=en`).expect(200);
    const csrf = extractCsrfToken(picker.text);
    const [first] = north.suppliers;
    assert.ok(first);
    await agent.post(path).type('form').send({ _csrf: csrf, supplierIds: [idOf(first)] }).expect(303);
    await agent.post(path).type('form').send({ _csrf: csrf, supplierIds: [idOf(south.suppliers[0]!)] }).expect(400);
    const byFilter = await agent.post(path).type('form').send({ _csrf: csrf, addAll: 'matching', tag: 'tier-1' }).expect(303);
    assert.match(byFilter.headers.location ?? '', /notice=added&n=1&tag=tier-1/, 'the tier-1 supplier not yet in the campaign');
    const rows = await participantModel(t.deps.connection).find({ campaignId: campaign._id }).lean();
    assert.deepEqual(rows.map((r) => r.name).sort(), [first.name, north.suppliers[2]!.name].sort());
    const page = await agent.get(`${path}/add?tag=tier-1&lang=en`).expect(200);
    assert.equal((page.text.match(/In the campaign/g) ?? []).length, 2);

    const show = await agent.get(`/campaigns/${idOf(campaign)}?lang=en`).expect(200);
    const removeCsrf = extractCsrfToken(show.text);
    await agent.post(`${path}/remove`).type('form').send({ _csrf: removeCsrf, supplierIds: [idOf(first)] }).expect(303);
    assert.equal(await participantModel(t.deps.connection).countDocuments({ campaignId: campaign._id }), 1);
    assert.deepEqual((await campaignModel(t.deps.connection).findById(campaign._id).lean())?.supplierIds.map(String), [idOf(north.suppliers[2]!)]);
  });

  it('When a draft is previewed, then both languages show the filled-in email and the HTML part is served in a sandbox', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const campaign = await draftCampaign(t, north);
    const sv = await agent.get(`/campaigns/${idOf(campaign)}/preview/sv?lang=en`).expect(200);
    assert.match(sv.text, /Region Nord ber (Bright Gloves|Göta Medicin|Nordisk Textil) Region Nord om en självskattning/);
    assert.match(sv.text, /<iframe class="mail-html" src="\/campaigns\/[0-9a-f]{24}\/preview\/sv\/html"/);
    const html = await agent.get(`/campaigns/${idOf(campaign)}/preview/en/html`).expect(200);
    assert.match(html.headers['content-security-policy'] ?? '', /sandbox/);
    assert.match(html.text, /Dear /);
    await agent.get(`/campaigns/${idOf(campaign)}/preview/de`).expect(404);
    assert.equal(await outboxModel(t.deps.connection).countDocuments({}), 0, 'a preview sends nothing');
  });

  it('When a buyer sends a draft from its page, then the campaign opens, mail is queued and the page shows the progress with an accessible chart', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const campaign = await draftCampaign(t, north);
    const show = await agent.get(`/campaigns/${idOf(campaign)}?lang=en`).expect(200);
    assert.match(show.text, /Send to 3 suppliers/);
    const sent = await agent.post(`/campaigns/${idOf(campaign)}/send`).type('form').send({ _csrf: extractCsrfToken(show.text) }).expect(303);
    assert.match(sent.headers.location ?? '', /notice=sent&n=3/);
    const page = await agent.get(`${sent.headers.location ?? ''}&lang=en`).expect(200);
    assert.match(page.text, /Sent to 3 suppliers/);
    assert.match(page.text, /<svg role="img" aria-labelledby="chart-[0-9a-f]{24}-title chart-[0-9a-f]{24}-desc"/);
    assert.match(page.text, /<desc id="chart-[0-9a-f]{24}-desc">Invited, not opened: 3; Opened, not started: 0; In progress: 0; Submitted: 0; Overdue: 0<\/desc>/);
    const chart = /<div class="chart__svg">([\s\S]*?)<\/div>/.exec(page.text)?.[1] ?? '';
    assert.doesNotMatch(chart, /style=|<script/i, 'the chart passes the strict CSP');
    assert.match(page.text, /<th scope="row"><span class="swatch swatch--neutral" aria-hidden="true"><\/span>Invited, not opened<\/th><td>3<\/td>/);
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'invitation', organisationId: north.org.id }), 4);
  });

  it('When the progress list is filtered, sorted and paged, then it shows the right suppliers with their state', async () => {
    const world = await campaignWorld(t, 'Region Lista');
    for (let i = 0; i < 55; i += 1) {
      world.suppliers.push(await addSupplier(t, world.org.id, { name: `Extra ${String(i).padStart(2, '0')} AB`, country: i % 2 ? 'DE' : 'SE', tags: i % 5 === 0 ? ['five'] : [], contacts: [{ name: 'X', email: `x${i}@lista.example`, language: 'sv' }] }));
    }
    const campaign = await draftCampaign(t, world);
    const { links } = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    const gloves = world.suppliers[2]!;
    await request(t.app).get(new URL(links.find((l) => l.supplierId === idOf(gloves))!.url).pathname).expect(200);
    const agent = await loginAgent(t.app, world.org.auditor);
    const base = `/campaigns/${idOf(campaign)}`;
    const first = await agent.get(`${base}?lang=en`).expect(200);
    assert.match(first.text, /58 suppliers match/);
    assert.match(first.text, /Page 1 of 2/);
    assert.match(rowOf(first.text, idOf(world.suppliers[3]!)), /Extra 00 AB/);
    const opened = await agent.get(`${base}?status=opened&lang=en`).expect(200);
    assert.match(opened.text, /1 supplier matches/);
    assert.match(rowOf(opened.text, idOf(gloves)), /Opened, not started/);
    const german = await agent.get(`${base}?country=DE&sort=name&order=desc&lang=en`).expect(200);
    assert.match(german.text, /27 suppliers match/);
    assert.ok(german.text.indexOf('Extra 53 AB') < german.text.indexOf('Extra 01 AB'), 'descending by name');
    const tagged = await agent.get(`${base}?tag=five&lang=en`).expect(200);
    assert.match(tagged.text, /11 suppliers match/);
    const second = await agent.get(`${base}?page=2&lang=en`).expect(200);
    assert.match(second.text, /Page 2 of 2/);
    const overdueBefore = await agent.get(`${base}?status=overdue&lang=en`).expect(200);
    assert.match(overdueBefore.text, /0 suppliers match/);
    t.clock.advance(31 * DAY_MS);
    const overdue = await agent.get(`${base}?status=overdue&lang=en`).expect(200);
    assert.match(overdue.text, /58 suppliers match/);
    t.clock.advance(-31 * DAY_MS);
    assert.doesNotMatch(first.text, /action="\/campaigns\/[0-9a-f]{24}\/(remind|close|extend)"/, 'an auditor sees no actions');
  });

  it('When an auditor tries to act on a campaign, then it is refused', async () => {
    const campaign = await draftCampaign(t, north);
    const agent = await loginAgent(t.app, north.org.auditor);
    const page = await agent.get(`/campaigns/${idOf(campaign)}`).expect(200);
    const csrf = extractCsrfToken(page.text);
    await agent.get('/campaigns/new').expect(403);
    await agent.post(`/campaigns/${idOf(campaign)}/send`).type('form').send({ _csrf: csrf }).expect(403);
    await agent.post(`/campaigns/${idOf(campaign)}`).type('form').send(campaignForm(csrf)).expect(403);
    assert.equal((await campaignModel(t.deps.connection).findById(campaign._id).lean())?.status, 'draft');
  });

  it("When any campaign route is given another organisation's ids or malformed ones, then it is a 404 and nothing changes", async () => {
    const foreign = await draftCampaign(t, south);
    await sendCampaign(t.deps, south.org.id, foreign._id, south.actor);
    const invitation = await invitationModel(t.deps.connection).findOne({ campaignId: foreign._id }).lean();
    assert.ok(invitation);
    const agent = await loginAgent(t.app, north.org.buyer);
    const csrf = extractCsrfToken((await agent.get('/campaigns').expect(200)).text);
    const id = idOf(foreign);
    for (const path of [`/campaigns/${id}`, `/campaigns/${id}/edit`, `/campaigns/${id}/suppliers/add`, `/campaigns/${id}/preview/sv`, `/campaigns/${id}/preview/sv/html`, `/campaigns/${id}/suppliers/${String(invitation.supplierId)}`, '/campaigns/not-an-id', '/campaigns/000000000000000000000000']) {
      await agent.get(path).expect(404);
    }
    const own = await draftCampaign(t, north);
    await agent.get(`/campaigns/${idOf(own)}/suppliers/${String(invitation.supplierId)}`).expect(404);
    for (const path of [`/campaigns/${id}`, `/campaigns/${id}/send`, `/campaigns/${id}/remind`, `/campaigns/${id}/extend`, `/campaigns/${id}/close`, `/campaigns/${id}/suppliers`, `/campaigns/${id}/suppliers/remove`, `/campaigns/${id}/invitations/${String(invitation._id)}/reissue`, `/campaigns/${idOf(own)}/invitations/${String(invitation._id)}/reissue`]) {
      await agent.post(path).type('form').send({ _csrf: csrf, confirm: 'yes', dueDate: '2026-06-30', supplierIds: idOf(north.suppliers[0]!) }).expect(404);
    }
    const after = await campaignModel(t.deps.connection).findById(foreign._id).lean();
    assert.equal(after?.status, 'open');
    assert.equal((await invitationModel(t.deps.connection).findById(invitation._id).lean())?.revokedAt, null);
  });

  it('When names carry markup, then every campaign page shows them escaped', async () => {
    const world = await campaignWorld(t, 'Region Xss');
    const hostile = await addSupplier(t, world.org.id, { name: '<script>alert(1)</script> AB', tags: ['<b>tag</b>'], contacts: [{ name: '<img src=x onerror=alert(2)>', email: 'xss@supplier.example', language: 'en' }] });
    const campaign = await draftCampaign(t, { ...world, suppliers: [hostile] }, { name: '<svg onload=alert(3)>', buyerContact: { name: '"><i>buyer</i>', email: 'b@region.example' } });
    const agent = await loginAgent(t.app, world.org.buyer);
    const pages = [`/campaigns/${idOf(campaign)}`, `/campaigns/${idOf(campaign)}/suppliers/add`, `/campaigns/${idOf(campaign)}/preview/en`, '/campaigns', '/'];
    await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    pages.push(`/campaigns/${idOf(campaign)}/suppliers/${idOf(hostile)}`);
    for (const path of pages) {
      const res = await agent.get(path).expect(200);
      assert.doesNotMatch(res.text, /<script>alert|<svg onload|<img src=x|<i>buyer<\/i>|<b>tag<\/b>/, `escaped on ${path}`);
    }
  });

  it('When a campaign is reminded, extended and closed from its page, then each is done and logged, and a bad date is shown next to its field', async () => {
    const world = await campaignWorld(t, 'Region Handling');
    const campaign = await draftCampaign(t, world);
    await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    t.clock.advance(3 * DAY_MS);
    const agent = await loginAgent(t.app, world.org.buyer);
    const base = `/campaigns/${idOf(campaign)}`;
    const csrf = extractCsrfToken((await agent.get(base).expect(200)).text);
    assert.match((await agent.post(`${base}/remind`).type('form').send({ _csrf: csrf }).expect(303)).headers.location ?? '', /notice=reminded&n=4/);
    const bad = await agent.post(`${base}/extend`).type('form').send({ _csrf: csrf, dueDate: '2026-01-20', notify: 'on' }).expect(422);
    assert.match(bad.text, /id="dueDate-error"/);
    assert.match((await agent.post(`${base}/extend`).type('form').send({ _csrf: csrf, dueDate: '2026-04-30', notify: 'on' }).expect(303)).headers.location ?? '', /notice=extended&n=4/);
    const unconfirmed = await agent.post(`${base}/close`).type('form').send({ _csrf: csrf }).expect(422);
    assert.match(unconfirmed.text, /id="confirm-error"/);
    await agent.post(`${base}/close`).type('form').send({ _csrf: csrf, confirm: 'yes' }).expect(303);
    const actions = (await activityModel(t.deps.connection).find({ subject: `campaign:${idOf(campaign)}` }).lean()).map((a) => a.action);
    assert.deepEqual(actions, ['campaign.created', 'campaign.sent', 'campaign.reminded', 'campaign.due_date_extended', 'campaign.closed']);
    await agent.post(`${base}/remind`).type('form').send({ _csrf: csrf }).expect(409);
  });

  it('When reminders are sent by hand again and again, then the route is rate-limited', async () => {
    const world = await campaignWorld(t, 'Region Ofta');
    const campaign = await draftCampaign(t, world);
    await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    const agent = await loginAgent(t.app, world.org.buyer);
    const base = `/campaigns/${idOf(campaign)}`;
    const csrf = extractCsrfToken((await agent.get(base).expect(200)).text);
    for (let i = 0; i < 5; i += 1) await agent.post(`${base}/remind`).type('form').send({ _csrf: csrf }).expect(303);
    const refused = await agent.post(`${base}/remind`).type('form').send({ _csrf: csrf }).expect(429);
    assert.ok(refused.headers['retry-after']);
  });

  it('When a link is issued again from the supplier page, then the old one stops, the new one reaches the chosen contact and opens the same answers', async () => {
    const world = await campaignWorld(t, 'Region Ny Länk');
    const campaign = await draftCampaign(t, world);
    const { links } = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    const gloves = world.suppliers[2]!;
    const old = links.find((l) => l.supplierId === idOf(gloves) && l.email.startsWith('li@'))!;
    const oldPath = new URL(old.url).pathname;
    await request(t.app).get(oldPath).expect(200);
    const agent = await loginAgent(t.app, world.org.buyer);
    const page = await agent.get(`/campaigns/${idOf(campaign)}/suppliers/${idOf(gloves)}?lang=en`).expect(200);
    assert.match(page.text, /Li Wei/);
    assert.match(page.text, /Zhang Min/);
    const csrf = extractCsrfToken(page.text);
    await agent.post(`/campaigns/${idOf(campaign)}/invitations/${old.invitationId}/reissue`).type('form').send({ _csrf: csrf, contactEmail: 'nobody@else.example' }).expect(400);
    await agent.post(`/campaigns/${idOf(campaign)}/invitations/${old.invitationId}/reissue`).type('form').send({ _csrf: csrf, contactEmail: gloves.contacts[1]!.email }).expect(409);
    const reissued = await agent.post(`/campaigns/${idOf(campaign)}/invitations/${old.invitationId}/reissue`).type('form').send({ _csrf: csrf, contactEmail: '' }).expect(303);
    assert.match(reissued.headers.location ?? '', /notice=reissued/);
    const revoked = await request(t.app).get(oldPath).set('Accept-Language', 'en').expect(410);
    assert.match(revoked.text, /no longer active/);
    const [mail] = await t.deliverMail().then((all) => all.filter((m) => m.subject.includes('new link')));
    assert.ok(mail, 'the new link is mailed');
    assert.equal(mail.to, old.email);
    const fresh = await request(t.app).get(linkIn(mail.text)).expect(200);
    assert.match(fresh.text, /welcome__start/);
    await agent.post(`/campaigns/${idOf(campaign)}/invitations/${old.invitationId}/reissue`).type('form').send({ _csrf: csrf }).expect(409);
    const log = await activityModel(t.deps.connection).find({ refs: `supplier:${idOf(gloves)}`, action: { $in: ['invitation.revoked', 'invitation.reissued'] } }).lean();
    assert.deepEqual(log.map((e) => e.action).sort(), ['invitation.reissued', 'invitation.revoked']);
  });

  it('When a buyer opens the home page, then it shows the open campaigns of their organisation only', async () => {
    const agent = await loginAgent(t.app, north.org.buyer);
    const home = await agent.get('/?lang=en').expect(200);
    assert.match(home.text, /Open campaigns/);
    assert.match(home.text, /Organisation: Region Nord/);
    assert.doesNotMatch(home.text, /Region Syd/);
    const sv = await agent.get('/campaigns?lang=sv').expect(200);
    assert.match(sv.text, /<h1>Kampanjer<\/h1>/);
  });
});
