import assert from 'node:assert/strict';
import request from 'supertest';
import { campaignModel, invitationModel, participantModel, sendCampaign, addSuppliers } from '../../src/campaigns';
import { activityModel } from '../../src/platform/activity';
import { HttpError } from '../../src/platform/errors';
import { outboxModel } from '../../src/platform/mail/outbox';
import { smtpTransport } from '../../src/platform/mail/transport';
import { supplierModel } from '../../src/suppliers';
import { buildSecondInstance, buildTestApp, type TestApp } from '../helpers/app';
import { startLoopbackSmtp, type LoopbackSmtp } from '../helpers/smtp';
import { addSupplier, campaignWorld, draftCampaign, idOf, linkIn, type CampaignWorld } from './fixtures';

describe('Sending a campaign (mail through a loopback SMTP server)', () => {
  let smtp: LoopbackSmtp;
  let t: TestApp;

  beforeEach(async () => {
    smtp = await startLoopbackSmtp();
    t = await buildTestApp({ label: 'campaign_send', transport: smtpTransport(smtp.url, { maxConnections: 2 }) });
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  async function sent(world: CampaignWorld) {
    const campaign = await draftCampaign(t, world);
    const result = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    return { campaign, result };
  }

  it('When a draft is sent, then every contact gets one invitation in their own language with a link that opens the questionnaire', async () => {
    const world = await campaignWorld(t, 'Region Skicka');
    const { campaign, result } = await sent(world);
    assert.deepEqual({ suppliers: result.suppliers, invitations: result.invitations, skipped: result.skipped }, { suppliers: 3, invitations: 4, skipped: 0 });
    await t.deps.outbox.deliverDue();
    const mail = await smtp.waitFor(4);
    const byRecipient = new Map(mail.map((m) => [m.to[0], m]));
    const swedish = byRecipient.get(world.suppliers[0]?.contacts[0]?.email ?? '');
    const english = byRecipient.get(world.suppliers[2]?.contacts[1]?.email ?? '');
    assert.ok(swedish && english, 'one message per contact, the supplier with two contacts included');
    assert.match(swedish.subject, /Region Skicka ber Nordisk Textil Region Skicka om en självskattning senast \d+ [a-zåäö]+ 2026/);
    assert.match(swedish.text, /Hej Karin Lund,/);
    assert.match(swedish.text, /Sista svarsdag: \d+ [a-zåäö]+ 2026/);
    assert.match(swedish.text, /Frågan kommer från: Region Skicka/);
    assert.match(swedish.text, /Frågor till: Anna Inköpare <anna@region\.example>/);
    assert.match(english.subject, /Region Skicka asks Bright Gloves Region Skicka for a supplier self-assessment by \d+ [A-Z][a-z]+ 2026/);
    assert.match(english.html, /href="http:\/\/127\.0\.0\.1:3000\/s\/[A-Za-z0-9_-]{43}"/);

    const page = await request(t.app).get(linkIn(english.text)).expect(200);
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /Region Skicka asks Bright Gloves Region Skicka to answer this self-assessment/);
    const svPage = await request(t.app).get(linkIn(swedish.text)).expect(200);
    assert.match(svPage.text, /<html lang="sv">/);

    const stored = await campaignModel(t.deps.connection).findById(campaign._id);
    assert.equal(stored?.status, 'open');
    assert.ok(stored?.sentAt);
    const invitations = await invitationModel(t.deps.connection).find({ campaignId: campaign._id }).lean();
    assert.equal(invitations.length, 4);
    assert.ok(invitations.every((i) => i.contact && i.expiresAt === null && /^[0-9a-f]{64}$/.test(i.tokenHash)), 'links follow their campaign; only hashes are stored');
    assert.deepEqual(
      (await participantModel(t.deps.connection).find({ campaignId: campaign._id }).lean()).map((p) => p.state).sort(),
      ['invited', 'opened', 'opened'],
      'the two links followed above count as opened',
    );
    const log = await activityModel(t.deps.connection).find({ organisationId: world.org.id }).lean();
    const summary = log.find((entry) => entry.action === 'campaign.sent');
    assert.deepEqual(summary?.details, { suppliers: 3, invitations: 4, skipped: 0, firstSend: true });
    const perInvitation = log.filter((entry) => entry.action === 'invitation.sent');
    assert.equal(perInvitation.length, 4);
    assert.ok(perInvitation.every((entry) => entry.refs.includes(`campaign:${idOf(campaign)}`) && entry.refs.some((r) => r.startsWith('supplier:')) && entry.actor.kind === 'user'));
    assert.equal(log.filter((entry) => entry.action === 'invitation.opened').length, 2);
  });

  it('When the campaign is sent again, or twice at once, then nothing is sent twice', async () => {
    const world = await campaignWorld(t, 'Region Dubbel');
    const campaign = await draftCampaign(t, world);
    const outcomes = await Promise.allSettled([
      sendCampaign(t.deps, world.org.id, campaign._id, world.actor),
      sendCampaign(t.deps, world.org.id, campaign._id, world.actor),
    ]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one send goes through');
    const refused = outcomes.find((o) => o.status === 'rejected');
    assert.ok(refused?.status === 'rejected' && refused.reason instanceof HttpError && refused.reason.status === 409);
    await assert.rejects(sendCampaign(t.deps, world.org.id, campaign._id, world.actor), (error: unknown) => error instanceof HttpError && error.messageKey === 'campaigns:errors.nothingToSend');
    assert.equal(await invitationModel(t.deps.connection).countDocuments({ campaignId: campaign._id }), 4);
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'invitation' }), 4);
  });

  it('When suppliers are added to an open campaign and it is sent again, then only the new ones get mail, and archived ones are skipped', async () => {
    const world = await campaignWorld(t, 'Region Fler');
    const { campaign } = await sent(world);
    const newcomer = await addSupplier(t, world.org.id, { name: 'Ny Leverantör AB', contacts: [{ name: 'Eva Ny', email: 'eva@ny.example', language: 'sv' }] });
    const archived = await addSupplier(t, world.org.id, { name: 'Arkiv AB', contacts: [{ name: 'Olle Arkiv', email: 'olle@arkiv.example', language: 'sv' }] });
    assert.deepEqual(await addSuppliers(t.deps, world.org.id, campaign._id, { supplierIds: [idOf(newcomer), idOf(archived)] }, world.actor), { added: 2 });
    await supplierModel(t.deps.connection).updateOne({ _id: archived._id }, { $set: { archivedAt: t.clock.now() } });
    const again = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    assert.deepEqual({ suppliers: again.suppliers, invitations: again.invitations, skipped: again.skipped }, { suppliers: 1, invitations: 1, skipped: 1 });
    await t.deps.outbox.deliverDue();
    await smtp.waitFor(5);
    assert.deepEqual(smtp.received.filter((m) => m.to[0] === 'eva@ny.example').length, 1);
    assert.equal(smtp.received.filter((m) => m.to[0] === 'olle@arkiv.example').length, 0);
    assert.equal(smtp.received.length, 5);
  });

  it('When names and the message carry markup, then the HTML part escapes them and the text part shows them as written', async () => {
    const world = await campaignWorld(t, 'Region Markup');
    const hostile = await addSupplier(t, world.org.id, {
      name: '<script>alert("supplier")</script> AB',
      contacts: [{ name: '<img src=x onerror=alert(1)>', email: 'hostile@supplier.example', language: 'en' }],
    });
    const campaign = await draftCampaign(t, { ...world, suppliers: [hostile] }, {
      name: 'Campaign <b>bold</b>',
      buyerContact: { name: '"><svg onload=alert(2)>', email: 'buyer@region.example' },
      messages: { en: { subject: 'Hello {{contact}} & {{supplier}}', body: 'Dear {{contact}},\n\n<a href="javascript:alert(3)">click</a> by {{dueDate}}.\n\n{{buyerContact}}' } },
    });
    await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    await t.deps.outbox.deliverDue();
    const [mail] = await smtp.waitFor(1);
    assert.ok(mail);
    assert.equal(mail.subject, 'Hello <img src=x onerror=alert(1)> & <script>alert("supplier")</script> AB');
    assert.doesNotMatch(mail.html, /<script>|<img src=x|<svg onload|<a href="javascript:/);
    assert.match(mail.html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(mail.html, /&lt;a href=&#34;javascript:alert\(3\)&#34;&gt;click&lt;\/a&gt;/);
    assert.match(mail.text, /<a href="javascript:alert\(3\)">click<\/a>/, 'the text part is not HTML-escaped');
  });

  it('When the SMTP server is down, then invitations stay queued and all go out once it is back, none twice, also from another instance after a restart', async () => {
    const world = await campaignWorld(t, 'Region Nere');
    smtp.down();
    await sent(world);
    assert.deepEqual(await t.deps.outbox.deliverDue(), { sent: 0, retried: 4, failed: 0 });
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ status: 'queued', category: 'invitation' }), 4);
    // The first instance stops (a restart); two new ones on the same database take over once SMTP is back.
    await t.deps.outbox.stop();
    smtp.up();
    t.clock.advance(60_000);
    const second = await buildSecondInstance(t, { transport: smtpTransport(smtp.url) });
    const third = await buildSecondInstance(t, { transport: smtpTransport(smtp.url) });
    try {
      const [a, b] = await Promise.all([second.deps.outbox.deliverDue(), third.deps.outbox.deliverDue()]);
      assert.equal(a.sent + b.sent, 4);
      await smtp.waitFor(4);
      assert.equal(new Set(smtp.received.map((m) => m.to[0])).size, 4, 'each contact once');
      assert.equal(smtp.received.length, 4);
      assert.deepEqual(await second.deps.outbox.deliverDue(), { sent: 0, retried: 0, failed: 0 });
    } finally {
      await Promise.all([second.close(), third.close()]);
    }
  });

  it('When a draft cannot go out yet, then sending refuses naming what is missing and nothing is sent', async () => {
    const world = await campaignWorld(t, 'Region Saknas');
    const empty = await draftCampaign(t, world, { supplierIds: [] });
    await assert.rejects(sendCampaign(t.deps, world.org.id, empty._id, world.actor), (e: unknown) => e instanceof HttpError && e.field === 'supplierIds');
    const noContact = await draftCampaign(t, world, { buyerContact: undefined });
    await assert.rejects(sendCampaign(t.deps, world.org.id, noContact._id, world.actor), (e: unknown) => e instanceof HttpError && e.field === 'buyerContact');
    const late = await draftCampaign(t, world);
    t.clock.advance(31 * 24 * 60 * 60 * 1000);
    await assert.rejects(sendCampaign(t.deps, world.org.id, late._id, world.actor), (e: unknown) => e instanceof HttpError && e.messageKey === 'campaigns:errors.dueDatePast');
    const other = await campaignWorld(t, 'Region Annan');
    await assert.rejects(sendCampaign(t.deps, other.org.id, late._id, other.actor), (e: unknown) => e instanceof HttpError && e.status === 404);
    assert.equal(await outboxModel(t.deps.connection).countDocuments({}), 0);
    assert.equal(await invitationModel(t.deps.connection).countDocuments({}), 0);
  });
});
