import assert from 'node:assert/strict';
import request from 'supertest';
import {
  campaignModel,
  closeCampaign,
  invitationStatuses,
  extendDueDate,
  invitationModel,
  participantModel,
  REMINDER_JOB,
  remindNonSubmitted,
  sendCampaign,
  type CampaignDocument,
  type SendResult,
} from '../../src/campaigns';
import { activityModel } from '../../src/platform/activity';
import { HttpError } from '../../src/platform/errors';
import { jobModel } from '../../src/platform/jobs';
import { outboxModel } from '../../src/platform/mail/outbox';
import { smtpTransport } from '../../src/platform/mail/transport';
import { buildSecondInstance, buildTestApp, type TestApp } from '../helpers/app';
import { startLoopbackSmtp } from '../helpers/smtp';
import { campaignWorld, DAY_MS, draftCampaign, idOf, linkIn, SHORT, shortQuestionnaires, submitShortCheck, type CampaignWorld } from './fixtures';

const HOUR_MS = 60 * 60 * 1000;

describe('Reminders, extending and closing (jobs on the injected clock)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await buildTestApp({ label: 'campaign_reminders', questionnaires: shortQuestionnaires() });
  });
  afterEach(async () => {
    await t.close();
  });

  async function openCampaign(world: CampaignWorld, policy = { beforeDays: [7, 1], afterDays: [3], maxCount: 2, minGapDays: 2 }): Promise<{ campaign: CampaignDocument; sent: SendResult }> {
    const campaign = await draftCampaign(t, world, { questionnaireId: SHORT.id, questionnaireVersion: SHORT.version, reminderPolicy: policy });
    const sent = await sendCampaign(t.deps, world.org.id, campaign._id, world.actor);
    await t.deliverMail();
    return { campaign, sent };
  }

  function moveTo(date: Date): void {
    t.clock.set(date);
  }

  async function invitationStatusesOf(campaign: CampaignDocument) {
    const current = await campaignModel(t.deps.connection).findById(campaign._id);
    assert.ok(current);
    return invitationStatuses(t.deps.connection, current, { page: 1, pageSize: 100 }, t.clock.now());
  }

  it('When reminder days come, then each contact who has not submitted gets one reminder per day, with a working link, up to the policy maximum', async () => {
    const world = await campaignWorld(t, 'Region Påminn');
    const { campaign, sent } = await openCampaign(world);
    const jobs = await jobModel(t.deps.connection).find({ name: REMINDER_JOB }).sort({ runAt: 1 }).lean();
    assert.deepEqual(
      jobs.map((j) => (j.runAt.getTime() - campaign.deadline.getTime()) / DAY_MS),
      [-7, -1, 3],
      'one job per reminder day of the policy',
    );
    // The English supplier submits before any reminder.
    const gloves = sent.links.find((l) => l.supplierId === idOf(world.suppliers[2]!))!;
    await submitShortCheck(t.app, new URL(gloves.url).pathname);
    await t.deliverMail();

    moveTo(new Date(campaign.deadline.getTime() - 7 * DAY_MS + HOUR_MS));
    await t.deps.scheduler.runDue();
    const first = await t.deliverMail();
    const reminders = first.filter((m) => /Påminnelse|Reminder/.test(m.subject));
    assert.deepEqual(reminders.map((m) => m.to).sort(), [world.suppliers[0]!.contacts[0]!.email, world.suppliers[1]!.contacts[0]!.email].sort());
    assert.match(reminders[0]!.subject, /^Påminnelse: självskattningen till Region Påminn ska vara klar/);
    // A reminder's link opens the same response as the invitation's.
    const page = await request(t.app).get(linkIn(reminders[0]!.text)).expect(200);
    assert.match(page.text, /Region Påminn/);

    // Running due jobs again (a second poll, another instance) sends nothing more.
    await t.deps.scheduler.runDue();
    assert.equal((await t.deliverMail()).length, 0);

    moveTo(new Date(campaign.deadline.getTime() - DAY_MS + HOUR_MS));
    await t.runJobs();
    moveTo(new Date(campaign.deadline.getTime() + 3 * DAY_MS + HOUR_MS));
    await t.runJobs();
    const all = await outboxModel(t.deps.connection).find({ category: 'reminder' }).lean();
    assert.equal(all.length, 4, 'two contacts, at most two automatic reminders each: the overdue one is not sent');
    assert.ok(all.every((m) => m.to !== gloves.email), 'never to a contact whose supplier submitted');
    const entries = await activityModel(t.deps.connection).find({ action: 'reminder.sent' }).lean();
    assert.equal(entries.length, 4);
    assert.ok(entries.every((e) => e.actor.kind === 'system' && e.refs.includes(`campaign:${idOf(campaign)}`) && e.details.automatic === true));
  });

  it('When a supplier submits after the reminders were planned, then it is checked again when they are due and never reminded', async () => {
    const world = await campaignWorld(t, 'Region Sent');
    const { campaign, sent } = await openCampaign(world, { beforeDays: [1], afterDays: [], maxCount: 3, minGapDays: 1 });
    for (const link of sent.links.filter((l) => l.supplierId !== idOf(world.suppliers[1]!))) {
      if (link.email.startsWith('zhang')) continue;
      await submitShortCheck(t.app, new URL(link.url).pathname);
    }
    moveTo(new Date(campaign.deadline.getTime() - DAY_MS + HOUR_MS));
    await t.runJobs();
    const reminders = await outboxModel(t.deps.connection).find({ category: 'reminder' }).lean();
    assert.deepEqual(reminders.map((m) => m.to), [world.suppliers[1]!.contacts[0]!.email], 'only the supplier that has not submitted');
  });

  it('When reminders are queued but not yet delivered and the supplier submits, then the queued reminders are withdrawn', async () => {
    const smtp = await startLoopbackSmtp();
    const withSmtp = await buildTestApp({ label: 'campaign_withdraw', questionnaires: shortQuestionnaires(), transport: smtpTransport(smtp.url) });
    try {
      const world = await campaignWorld(withSmtp, 'Region Dra Tillbaka');
      const campaign = await draftCampaign(withSmtp, world, { questionnaireId: SHORT.id, questionnaireVersion: SHORT.version });
      const { links } = await sendCampaign(withSmtp.deps, world.org.id, campaign._id, world.actor);
      await withSmtp.deps.outbox.deliverDue();
      await smtp.waitFor(4);
      smtp.down();
      withSmtp.clock.advance(3 * DAY_MS);
      assert.equal((await remindNonSubmitted(withSmtp.deps, world.org.id, campaign._id, world.actor)).reminded, 4);
      await withSmtp.deps.outbox.deliverDue();
      const karin = links.find((l) => l.supplierId === idOf(world.suppliers[0]!))!;
      await submitShortCheck(withSmtp.app, new URL(karin.url).pathname);
      smtp.up();
      withSmtp.clock.advance(HOUR_MS);
      await withSmtp.deps.outbox.deliverDue();
      const received = smtp.received.filter((m) => /Påminnelse|Reminder/.test(m.subject)).map((m) => m.to[0]);
      assert.equal(received.length, 3);
      assert.ok(!received.includes(karin.email), 'no reminder reaches the supplier that submitted meanwhile');
      const withdrawn = await outboxModel(withSmtp.deps.connection).findOne({ to: karin.email, category: 'reminder' }).lean();
      assert.equal(withdrawn?.status, 'cancelled');
    } finally {
      await withSmtp.close();
      await smtp.close();
    }
  });

  it('When reminders are sent by hand, then contacts reminded or invited within the minimum gap are left out', async () => {
    const world = await campaignWorld(t, 'Region Hand');
    const { campaign } = await openCampaign(world, { beforeDays: [], afterDays: [], maxCount: 0, minGapDays: 2 });
    assert.deepEqual(await remindNonSubmitted(t.deps, world.org.id, campaign._id, world.actor), { reminded: 0, tooSoon: 4 }, 'invited just now');
    t.clock.advance(2 * DAY_MS);
    assert.deepEqual(await remindNonSubmitted(t.deps, world.org.id, campaign._id, world.actor), { reminded: 4, tooSoon: 0 });
    t.clock.advance(DAY_MS);
    assert.deepEqual(await remindNonSubmitted(t.deps, world.org.id, campaign._id, world.actor), { reminded: 0, tooSoon: 4 });
    assert.equal((await t.deliverMail()).filter((m) => m.subject.includes('Påminnelse') || m.subject.includes('Reminder')).length, 4);
    const entry = await activityModel(t.deps.connection).findOne({ action: 'campaign.reminded' }).sort({ at: -1 }).lean();
    assert.deepEqual(entry?.details, { reminded: 0, tooSoon: 4 });
    assert.equal(entry?.actor.kind, 'user');
  });

  it('When an app instance stops before a reminder is due, then another runs it once, and neither runs it again', async () => {
    const world = await campaignWorld(t, 'Region Omstart');
    const { campaign } = await openCampaign(world, { beforeDays: [2], afterDays: [], maxCount: 1, minGapDays: 1 });
    await t.deps.scheduler.stop();
    moveTo(new Date(campaign.deadline.getTime() - 2 * DAY_MS + HOUR_MS));
    const second = await buildSecondInstance(t);
    try {
      await Promise.all([second.deps.scheduler.runDue(), t.deps.scheduler.runDue()]);
      await second.deps.scheduler.runDue();
      assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'reminder' }), 4);
      const invitations = await invitationModel(t.deps.connection).find({ campaignId: campaign._id }).lean();
      assert.ok(invitations.every((i) => i.reminders?.length === 1));
    } finally {
      await second.close();
    }
  });

  it('When the due date is extended, then links follow, reminders are planned from the new date, and the contacts are told', async () => {
    const world = await campaignWorld(t, 'Region Senare');
    const { campaign } = await openCampaign(world, { beforeDays: [1], afterDays: [], maxCount: 2, minGapDays: 1 });
    const newDue = new Date(campaign.deadline.getTime() + 14 * DAY_MS);
    await assert.rejects(extendDueDate(t.deps, world.org.id, campaign._id, { dueDate: new Date(campaign.deadline.getTime() - DAY_MS), notify: false }, world.actor), (e: unknown) => e instanceof HttpError && e.field === 'dueDate');
    const { notified } = await extendDueDate(t.deps, world.org.id, campaign._id, { dueDate: newDue, notify: true }, world.actor);
    assert.equal(notified, 4);
    const notices = (await t.deliverMail()).filter((m) => /Ny sista svarsdag|New due date/.test(m.subject));
    assert.equal(notices.length, 4);
    await request(t.app).get(linkIn(notices[0]!.text)).expect(200);
    const api = (await invitationStatusesOf(campaign)).invitations;
    assert.ok(api.every((i) => i.expiresAt && i.expiresAt.getTime() > newDue.getTime()), 'links last past the new due date');
    const jobs = await jobModel(t.deps.connection).find({ name: REMINDER_JOB }).lean();
    assert.deepEqual(jobs.map((j) => j.status).sort(), ['cancelled', 'scheduled']);
    assert.equal(jobs.find((j) => j.status === 'scheduled')?.runAt.getTime(), newDue.getTime() - DAY_MS);
    // The old reminder day passes: nothing; the new one comes: one reminder each.
    moveTo(new Date(campaign.deadline.getTime() - DAY_MS + HOUR_MS));
    await t.runJobs();
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'reminder' }), 0);
    moveTo(new Date(newDue.getTime() - DAY_MS + HOUR_MS));
    await t.runJobs();
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'reminder' }), 4);
    // The supplier's page shows the new due date.
    const page = await request(t.app).get(linkIn(notices[0]!.text)).expect(200);
    assert.match(page.text, new RegExp(new Intl.DateTimeFormat('sv-SE', { dateStyle: 'long', timeZone: 'Europe/Stockholm' }).format(newDue)));
    const entry = await activityModel(t.deps.connection).findOne({ action: 'campaign.due_date_extended' }).lean();
    assert.equal(new Date(String(entry?.details.to)).getTime(), newDue.getTime());
  });

  it('When a campaign is closed, then its links show a closed page with the contact, reminders stop, and it cannot be closed twice', async () => {
    const world = await campaignWorld(t, 'Region Stäng');
    const { campaign, sent } = await openCampaign(world, { beforeDays: [1], afterDays: [2], maxCount: 2, minGapDays: 1 });
    const link = new URL(sent.links[0]!.url).pathname;
    await request(t.app).get(link).expect(200);
    await closeCampaign(t.deps, world.org.id, campaign._id, world.actor);
    const closed = await request(t.app).get(link).set('Accept-Language', 'en').expect(410);
    assert.match(closed.text, /This questionnaire is closed/);
    assert.match(closed.text, /anna@region\.example/);
    await request(t.app).get(`${link}/section/profile`).expect(410);
    assert.equal(await jobModel(t.deps.connection).countDocuments({ name: REMINDER_JOB, status: 'scheduled' }), 0);
    moveTo(new Date(campaign.deadline.getTime() + 3 * DAY_MS));
    await t.runJobs();
    assert.equal(await outboxModel(t.deps.connection).countDocuments({ category: 'reminder' }), 0);
    await assert.rejects(closeCampaign(t.deps, world.org.id, campaign._id, world.actor), (e: unknown) => e instanceof HttpError && e.status === 409);
    await assert.rejects(remindNonSubmitted(t.deps, world.org.id, campaign._id, world.actor), (e: unknown) => e instanceof HttpError && e.status === 409);
    assert.equal(await participantModel(t.deps.connection).countDocuments({ campaignId: campaign._id, state: 'opened' }), 1);
  });
});
