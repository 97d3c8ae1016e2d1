import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { listActivity, recordActivities, recordActivity, ref, timelineOf } from '../../src/platform/activity';
import { buildTestApp, type TestApp } from '../helpers/app';

describe('activity log', () => {
  let t: TestApp;
  const north = new mongoose.Types.ObjectId();
  const south = new mongoose.Types.ObjectId();
  const supplier = new mongoose.Types.ObjectId();
  const campaign = new mongoose.Types.ObjectId();
  const user = { kind: 'user' as const, id: new mongoose.Types.ObjectId().toHexString(), name: 'Anna Inköpare' };

  before(async () => {
    t = await buildTestApp({ label: 'activity' });
    const at = (minutes: number) => new Date(Date.UTC(2026, 0, 15, 9, minutes));
    await recordActivity(t.deps.connection, { organisationId: north, actor: user, action: 'campaign.sent', subject: ref('campaign', campaign), details: { invitations: 1 }, at: at(0) });
    await recordActivities(t.deps.connection, [
      { organisationId: north, actor: user, action: 'invitation.sent', subject: ref('invitation', 'a1'), refs: [ref('supplier', supplier), ref('campaign', campaign)], at: at(1) },
      { organisationId: north, actor: { kind: 'supplier', id: 'a1', name: 'Karin Lund' }, action: 'response.submitted', subject: ref('response', 'r1'), refs: [ref('supplier', supplier)], at: at(30) },
      { organisationId: south, actor: user, action: 'campaign.sent', subject: ref('campaign', 'other'), refs: [ref('supplier', supplier)], at: at(2) },
    ]);
  });
  after(async () => {
    await t.close();
  });

  it('When a record’s timeline is read, then it holds every entry about it in order, and none of another organisation', async () => {
    const timeline = await timelineOf(t.deps.connection, north, ref('supplier', supplier));
    assert.deepEqual(
      timeline.map((e) => e.action),
      ['invitation.sent', 'response.submitted'],
    );
    assert.equal(timeline[1]?.actor.name, 'Karin Lund');
  });

  it('When the log is filtered, then action, action family, actor and record filters apply, newest first, with a total', async () => {
    const all = await listActivity(t.deps.connection, north);
    assert.equal(all.total, 3);
    assert.deepEqual(all.entries.map((e) => e.action), ['response.submitted', 'invitation.sent', 'campaign.sent']);
    assert.equal((await listActivity(t.deps.connection, north, { action: 'campaign.sent' })).total, 1);
    assert.equal((await listActivity(t.deps.connection, north, { action: 'response.' })).total, 1);
    assert.equal((await listActivity(t.deps.connection, north, { actorKind: 'supplier' })).total, 1);
    assert.equal((await listActivity(t.deps.connection, north, { ref: ref('campaign', campaign) })).total, 2);
    const page = await listActivity(t.deps.connection, north, { page: 2, pageSize: 2 });
    assert.equal(page.entries.length, 1);
  });

  it('When an entry is written in a transaction that is rolled back, then it is not in the log', async () => {
    await assert.rejects(
      t.deps.connection.transaction(async (session) => {
        await recordActivity(t.deps.connection, { organisationId: north, actor: user, action: 'case.closed', subject: ref('case', 'c1'), at: new Date() }, { session });
        throw new Error('rolled back');
      }),
    );
    assert.equal((await listActivity(t.deps.connection, north, { action: 'case.closed' })).total, 0);
  });
});
