import assert from 'node:assert/strict';
import pino from 'pino';
import { createScheduler, jobModel, type JobRecord, type JobScheduler } from '../../src/platform/jobs';
import { buildSecondInstance, buildTestApp, type SecondInstance, type TestApp } from '../helpers/app';

const silent = pino({ level: 'silent' });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('persisted jobs', () => {
  let t: TestApp;
  let scheduler: JobScheduler;

  beforeEach(async () => {
    t = await buildTestApp({ label: 'jobs' });
    scheduler = createScheduler({ connection: t.deps.connection, clock: t.clock, logger: silent });
  });
  afterEach(async () => {
    await scheduler.stop();
    await t.close();
  });

  function inMinutes(minutes: number): Date {
    return new Date(t.clock.now().getTime() + minutes * MINUTE);
  }

  it('When a job falls due, then it runs once with its payload, and not before its time', async () => {
    const runs: JobRecord[] = [];
    scheduler.define('reminder', async (job) => {
      runs.push(job);
    });
    await scheduler.schedule('reminder', 'campaign:1:before-due', inMinutes(60), { payload: { campaignId: '1' } });
    assert.deepEqual(await scheduler.runDue(), { ran: 0, failed: 0 });
    t.clock.advance(60 * MINUTE);
    assert.deepEqual(await scheduler.runDue(), { ran: 1, failed: 0 });
    assert.deepEqual(runs[0]?.payload, { campaignId: '1' });
    t.clock.advance(DAY);
    assert.deepEqual(await scheduler.runDue(), { ran: 0, failed: 0 });
    assert.equal((await scheduler.find('reminder', 'campaign:1:before-due'))?.status, 'done');
  });

  it('When two app instances run due jobs at the same moment, then every job runs exactly once', async () => {
    const second: SecondInstance = await buildSecondInstance(t);
    const other = createScheduler({ connection: second.deps.connection, clock: t.clock, logger: silent });
    try {
      const ran: string[] = [];
      const handler = async (job: JobRecord) => {
        ran.push(job.key);
        await new Promise((resolve) => setImmediate(resolve));
      };
      scheduler.define('alert', handler);
      other.define('alert', handler);
      for (let n = 0; n < 60; n += 1) await scheduler.schedule('alert', `case:${n}`, inMinutes(0));
      const [a, b] = await Promise.all([scheduler.runDue(), other.runDue()]);
      assert.equal(a.ran + b.ran, 60);
      assert.equal(ran.length, 60);
      assert.equal(new Set(ran).size, 60);
    } finally {
      await other.stop();
      await second.close();
    }
  });

  it('When jobs fell due while no instance was running, then they run at the next start', async () => {
    await scheduler.schedule('nonresponse', 'campaign:7', inMinutes(30));
    await scheduler.stop();
    t.clock.advance(3 * DAY);
    const restarted = createScheduler({ connection: t.deps.connection, clock: t.clock, logger: silent });
    const ran: string[] = [];
    restarted.define('nonresponse', async (job) => {
      ran.push(job.key);
    });
    await restarted.runDue();
    assert.deepEqual(ran, ['campaign:7']);
  });

  it('When a pending job is scheduled again, then it moves; a job that ran stays done unless asked to run again', async () => {
    const ran: Date[] = [];
    scheduler.define('reminder', async () => {
      ran.push(t.clock.now());
    });
    await scheduler.schedule('reminder', 'k', inMinutes(10));
    await scheduler.schedule('reminder', 'k', inMinutes(120));
    t.clock.advance(10 * MINUTE);
    await scheduler.runDue();
    assert.equal(ran.length, 0, 'moved to the later time');
    t.clock.advance(110 * MINUTE);
    await scheduler.runDue();
    assert.equal(ran.length, 1);
    await scheduler.schedule('reminder', 'k', inMinutes(5));
    await scheduler.schedule('reminder', 'k', inMinutes(5), { ifExists: 'keep' });
    t.clock.advance(5 * MINUTE);
    await scheduler.runDue();
    assert.equal(ran.length, 1, 'a job that ran is not run again by rescheduling');
    await scheduler.schedule('reminder', 'k', inMinutes(5), { ifExists: 'again' });
    t.clock.advance(5 * MINUTE);
    await scheduler.runDue();
    assert.equal(ran.length, 2);
    assert.equal(await jobModel(t.deps.connection).countDocuments({ name: 'reminder', key: 'k' }), 1);
  });

  it('When a job fails, then it is retried with a backoff and marked failed with the error after the last attempt', async () => {
    let calls = 0;
    scheduler.define(
      'escalation',
      async () => {
        calls += 1;
        throw new Error('the admins could not be found');
      },
      { maxAttempts: 3 },
    );
    await scheduler.schedule('escalation', 'case:1', inMinutes(0));
    assert.deepEqual(await scheduler.runDue(), { ran: 0, failed: 1 });
    assert.deepEqual(await scheduler.runDue(), { ran: 0, failed: 0 }, 'not again before the backoff');
    t.clock.advance(MINUTE);
    await scheduler.runDue();
    t.clock.advance(2 * MINUTE);
    await scheduler.runDue();
    t.clock.advance(DAY);
    await scheduler.runDue();
    assert.equal(calls, 3);
    const job = await scheduler.find('escalation', 'case:1');
    assert.equal(job?.status, 'failed');
    assert.equal(job?.lastError, 'the admins could not be found');
  });

  it('When a job repeats, then it runs every interval, and once (not once per missed interval) after a long stop', async () => {
    let runs = 0;
    scheduler.define('sweep', async () => {
      runs += 1;
    });
    await scheduler.schedule('sweep', 'nonresponse', inMinutes(0), { repeatMs: HOUR });
    await scheduler.runDue();
    t.clock.advance(HOUR);
    await scheduler.runDue();
    assert.equal(runs, 2);
    t.clock.advance(7 * DAY);
    await scheduler.runDue();
    assert.equal(runs, 3);
    const next = await scheduler.find('sweep', 'nonresponse');
    assert.equal(next?.status, 'scheduled');
    assert.ok(next!.runAt.getTime() > t.clock.now().getTime() && next!.runAt.getTime() <= t.clock.now().getTime() + HOUR);
  });

  it('When the instance running a job died, then another takes it over only after its lock expired', async () => {
    const ran: string[] = [];
    scheduler.define(
      'reminder',
      async (job) => {
        ran.push(job.key);
      },
      { lockMs: 10 * MINUTE },
    );
    await scheduler.schedule('reminder', 'k', inMinutes(0));
    await jobModel(t.deps.connection).collection.updateOne(
      { key: 'k' },
      { $set: { status: 'running', lockedBy: 'dead', lockedUntil: inMinutes(10) }, $inc: { attempts: 1 } },
    );
    await scheduler.runDue();
    assert.deepEqual(ran, []);
    t.clock.advance(10 * MINUTE);
    await scheduler.runDue();
    assert.deepEqual(ran, ['k']);
  });

  it('When jobs are cancelled, then they do not run; cancelling by prefix leaves other keys alone', async () => {
    const ran: string[] = [];
    scheduler.define('reminder', async (job) => {
      ran.push(job.key);
    });
    await scheduler.schedule('reminder', 'campaign:1:r1', inMinutes(0));
    await scheduler.schedule('reminder', 'campaign:1:r2', inMinutes(0));
    await scheduler.schedule('reminder', 'campaign:10:r1', inMinutes(0));
    await scheduler.schedule('reminder', 'campaign:2:r1', inMinutes(0));
    assert.equal(await scheduler.cancel('reminder', 'campaign:2:r1'), true);
    assert.equal(await scheduler.cancelMatching('reminder', 'campaign:1:'), 2);
    await scheduler.runDue();
    assert.deepEqual(ran, ['campaign:10:r1']);
  });

  it('When a job is scheduled inside a transaction that is rolled back, then there is no job', async () => {
    await assert.rejects(
      t.deps.connection.transaction(async (session) => {
        await scheduler.schedule('reminder', 'k', inMinutes(0), { session });
        throw new Error('rolled back');
      }),
    );
    assert.equal(await scheduler.find('reminder', 'k'), null);
  });
});
