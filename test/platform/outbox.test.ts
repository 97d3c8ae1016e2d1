import assert from 'node:assert/strict';
import pino from 'pino';
import { ManualClock } from '../../src/platform/clock';
import { createOutbox, MAX_ATTEMPTS, outboxModel, type Outbox, type OutboxRecord } from '../../src/platform/mail/outbox';
import { CapturingTransport, smtpTransport, type MailTransport } from '../../src/platform/mail/transport';
import { buildSecondInstance, buildTestApp, type TestApp } from '../helpers/app';
import { startLoopbackSmtp, type LoopbackSmtp } from '../helpers/smtp';

const SECRET = 'a-test-secret-that-is-long-enough-for-hkdf';
const silent = pino({ level: 'silent' });
const MINUTE = 60_000;

function outboxFor(t: TestApp, transport: MailTransport, clock: ManualClock = t.clock): Outbox {
  return createOutbox({ connection: t.deps.connection, clock, logger: silent, transport, from: 'Region Test <no-reply@region.example>', secret: SECRET });
}

async function stored(t: TestApp): Promise<OutboxRecord[]> {
  return outboxModel(t.deps.connection).collection.find<OutboxRecord>({}).sort({ createdAt: 1, _id: 1 }).toArray();
}

function message(n: number, extra: Record<string, unknown> = {}) {
  return {
    to: `supplier${n}@supplier.example`,
    subject: `Inbjudan ${n}: självskattning för leverantörer`,
    text: `Öppna länken: http://127.0.0.1:3000/s/secret-link-token-${n}\n`,
    html: `<p>Öppna <a href="http://127.0.0.1:3000/s/secret-link-token-${n}">länken</a></p>`,
    category: 'invitation',
    ...extra,
  };
}

describe('mail outbox', () => {
  let t: TestApp;
  let smtp: LoopbackSmtp;

  beforeEach(async () => {
    t = await buildTestApp({ label: 'outbox' });
    smtp = await startLoopbackSmtp();
  });
  afterEach(async () => {
    await t.close();
    await smtp.close();
  });

  it('When a message is queued, then it is stored with its body sealed and nothing is sent until delivery', async () => {
    const capture = new CapturingTransport();
    const outbox = outboxFor(t, capture);
    await outbox.enqueue(message(1));
    const [record] = await stored(t);
    assert.equal(record?.status, 'queued');
    assert.equal(record?.attempts, 0);
    assert.doesNotMatch(JSON.stringify(record), /secret-link-token/, 'the supplier link is not readable in the database');
    assert.equal(capture.messages.length, 0);
    assert.match((await outbox.read(record!._id))?.body?.text ?? '', /secret-link-token-1/);
  });

  it('When delivered through SMTP, then the message arrives intact once, and is marked sent with its body removed', async () => {
    const outbox = outboxFor(t, smtpTransport(smtp.url, { maxConnections: 2 }));
    const calendar = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'METHOD:REQUEST', 'END:VCALENDAR'].join('\r\n');
    await outbox.enqueue(message(1, { calendar: { method: 'REQUEST', content: calendar } }));
    const report = await outbox.deliverDue();
    assert.deepEqual(report, { sent: 1, retried: 0, failed: 0 });
    assert.equal(smtp.received.length, 1);
    const mail = smtp.received[0]!;
    assert.deepEqual(mail.to, ['supplier1@supplier.example']);
    assert.equal(mail.subject, 'Inbjudan 1: självskattning för leverantörer');
    assert.match(mail.text, /Öppna länken: http:\/\/127\.0\.0\.1:3000\/s\/secret-link-token-1/);
    assert.match(mail.html, /href="http:\/\/127\.0\.0\.1:3000\/s\/secret-link-token-1"/);
    assert.ok(mail.parsed.attachments.some((a) => a.contentType.startsWith('text/calendar')), 'the calendar invitation is attached');
    const [record] = await stored(t);
    assert.equal(record?.status, 'sent');
    assert.equal(record?.via, 'smtp');
    assert.equal(record?.body, null, 'a sent message keeps no link');
    assert.equal(mail.messageId, record?.messageId);
    assert.deepEqual(await outbox.deliverDue(), { sent: 0, retried: 0, failed: 0 });
    await outbox.stop();
  });

  it('When the SMTP server refuses for a while, then messages stay queued with the error and all go out once it is back', async () => {
    const outbox = outboxFor(t, smtpTransport(smtp.url));
    smtp.down();
    for (let n = 0; n < 5; n += 1) await outbox.enqueue(message(n));
    assert.deepEqual(await outbox.deliverDue(), { sent: 0, retried: 5, failed: 0 });
    let records = await stored(t);
    assert.ok(records.every((r) => r.status === 'queued' && r.attempts === 1 && /try again later/.test(r.lastError ?? '')));
    smtp.up();
    assert.deepEqual(await outbox.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'not before the backoff');
    t.clock.advance(MINUTE);
    assert.deepEqual(await outbox.deliverDue(), { sent: 5, retried: 0, failed: 0 });
    records = await stored(t);
    assert.ok(records.every((r) => r.status === 'sent'));
    assert.deepEqual(smtp.received.map((m) => m.to[0]).sort(), [0, 1, 2, 3, 4].map((n) => `supplier${n}@supplier.example`));
    await outbox.stop();
  });

  it('When the SMTP server cannot be reached, then the message is retried with a growing backoff and failed after the last attempt', async () => {
    const outbox = outboxFor(t, smtpTransport('smtp://127.0.0.1:1'));
    await outbox.enqueue(message(1));
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await outbox.deliverDue();
      const [record] = await stored(t);
      assert.equal(record?.attempts, attempt);
      if (attempt < MAX_ATTEMPTS) {
        assert.equal(record?.status, 'queued');
        gaps.push(record!.nextAttemptAt.getTime() - t.clock.now().getTime());
        t.clock.set(record!.nextAttemptAt);
      } else {
        assert.equal(record?.status, 'failed');
        assert.match(record?.lastError ?? '', /ECONNREFUSED/);
      }
    }
    assert.ok(gaps.every((gap, i) => i === 0 || gap >= (gaps[i - 1] ?? 0)), `backoff grows: ${gaps.join(', ')}`);
    await outbox.stop();
  });

  it('When the server refuses the recipient permanently, then the message fails at once and an admin can queue it again', async () => {
    const outbox = outboxFor(t, smtpTransport(smtp.url));
    smtp.reject('supplier1@supplier.example');
    const organisationId = '64b000000000000000000001';
    await outbox.enqueue({ ...message(1), organisationId });
    assert.deepEqual(await outbox.deliverDue(), { sent: 0, retried: 0, failed: 1 });
    const [record] = await stored(t);
    assert.equal(record?.status, 'failed');
    assert.match(record?.lastError ?? '', /550|mailbox unavailable/);
    assert.equal(await outbox.retryFailed('64b000000000000000000002'), 0, 'another organisation’s messages are not touched');
    assert.equal(await outbox.retryFailed(organisationId), 1);
    assert.equal((await stored(t))[0]?.status, 'queued');
    await outbox.stop();
  });

  it('When the same message is queued twice with one dedupe key, also at the same moment, then it exists and is sent once', async () => {
    const capture = new CapturingTransport();
    const outbox = outboxFor(t, capture);
    await Promise.all([1, 2, 3].map(() => outbox.enqueue(message(1, { dedupeKey: 'reminder:abc:1' }))));
    await outbox.enqueueMany([message(1, { dedupeKey: 'reminder:abc:1' }), message(2, { dedupeKey: 'reminder:abc:2' })]);
    await outbox.deliverDue();
    assert.deepEqual(capture.messages.map((m) => m.to).sort(), ['supplier1@supplier.example', 'supplier2@supplier.example']);
  });

  it('When two app instances deliver the same queue at the same moment, then every message arrives exactly once', async () => {
    const second = await buildSecondInstance(t);
    try {
      const a = outboxFor(t, smtpTransport(smtp.url));
      const b = createOutbox({ connection: second.deps.connection, clock: t.clock, logger: silent, transport: smtpTransport(smtp.url), from: 'x@region.example', secret: SECRET });
      await a.enqueueMany(Array.from({ length: 120 }, (_, n) => message(n)));
      const [ra, rb] = await Promise.all([a.deliverDue(), b.deliverDue()]);
      assert.equal(ra.sent + rb.sent, 120);
      assert.ok(ra.sent > 0 && rb.sent > 0, `both instances took part (${ra.sent} + ${rb.sent})`);
      const recipients = smtp.received.map((m) => m.to[0]);
      assert.equal(recipients.length, 120);
      assert.equal(new Set(recipients).size, 120, 'no message twice');
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await second.close();
    }
  });

  it('When an instance stops with mail queued, then the next instance sends all of it, once', async () => {
    const first = outboxFor(t, smtpTransport(smtp.url));
    await first.enqueueMany(Array.from({ length: 30 }, (_, n) => message(n)));
    await first.deliverDue({ limit: 10 });
    await first.stop();
    const restarted = outboxFor(t, smtpTransport(smtp.url));
    await restarted.deliverDue();
    await restarted.stop();
    assert.equal(smtp.received.length, 30);
    assert.equal(new Set(smtp.received.map((m) => m.to[0])).size, 30);
  });

  it('When an instance died while sending, then another takes the message over only after its claim expired', async () => {
    const capture = new CapturingTransport();
    const outbox = outboxFor(t, capture);
    await outbox.enqueue(message(1));
    // As a crashed instance leaves it: claimed, never settled.
    await outboxModel(t.deps.connection).collection.updateOne(
      {},
      { $set: { status: 'sending', lockedBy: 'dead-instance', lockedUntil: new Date(t.clock.now().getTime() + 5 * MINUTE) }, $inc: { attempts: 1 } },
    );
    await outbox.deliverDue();
    assert.equal(capture.messages.length, 0, 'not while the claim holds');
    t.clock.advance(5 * MINUTE);
    await outbox.deliverDue();
    assert.equal(capture.messages.length, 1);
    const [record] = await stored(t);
    assert.equal(record?.status, 'sent');
    assert.equal(capture.messages[0]?.messageId, record?.messageId, 'the same Message-ID, so a duplicate can be recognised');
  });

  it('When a message is not valid, then it is refused naming the problem and nothing is stored', async () => {
    const outbox = outboxFor(t, new CapturingTransport());
    await assert.rejects(outbox.enqueue(message(1, { to: 'a@b.example, c@d.example' })), /to/);
    await assert.rejects(outbox.enqueue(message(1, { subject: 'Hello\r\nBcc: victim@x.example' })), /subject/);
    await assert.rejects(outbox.enqueue(message(1, { category: 'Not A Category' })), /category/);
    assert.equal((await stored(t)).length, 0);
  });

  it('When the change that queued a message is rolled back, then the message is gone too', async () => {
    const outbox = outboxFor(t, new CapturingTransport());
    await assert.rejects(
      t.deps.connection.transaction(async (session) => {
        await outbox.enqueue(message(1), { session });
        throw new Error('the campaign could not be sent');
      }),
      /could not be sent/,
    );
    assert.equal((await stored(t)).length, 0);
  });

  it('When the outbox runs in the background, then queued mail goes out soon after it is queued', async () => {
    const capture = new CapturingTransport();
    const outbox = outboxFor(t, capture);
    outbox.start(60_000);
    await outbox.enqueue(message(1));
    const deadline = Date.now() + 5000;
    while (capture.messages.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await outbox.stop();
    assert.equal(capture.messages.length, 1);
  });
});
