/**
 * Sending a campaign to 10,000 contacts, from "send" to the last message accepted by a loopback SMTP server: the
 * whole product path (invitations, links, mail rendered per contact, the outbox written in chunked transactions with
 * the activity log, then claimed and handed to a pooled nodemailer transport) against a bare nodemailer loop sending
 * the same 10,000 messages over the same pool size. Target: the product's rate ≥ 0.7 of the bare loop's.
 * Runs on the embedded MongoDB in memory (worker thread) or MONGODB_URI. `npx tsx bench/campaign-send.ts [contacts]`
 */
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { sendCampaign } from '../src/campaigns';
import { createOutbox, outboxModel, type OutboxRecord } from '../src/platform/mail/outbox';
import { smtpTransport } from '../src/platform/mail/transport';
import { benchDeps } from './lib/bench-deps';
import { benchCampaign, benchOrganisation } from './lib/campaign-world';

const CONTACTS = Number(process.argv[2] ?? 10_000);
if (!Number.isInteger(CONTACTS) || CONTACTS < 1) throw new Error(`the number of contacts must be a whole number ≥ 1, not ${process.argv[2]}`);
const CONNECTIONS = 5;
const TARGET = 0.7;

/** An SMTP server that accepts every message and counts it (nothing parsed: the bench measures the senders). */
async function countingSmtp(): Promise<{ url: string; accepted(): number; waitFor(count: number): Promise<void>; close(): Promise<void> }> {
  let accepted = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        accepted += 1;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    async waitFor(count) {
      while (accepted < count) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const bench = await benchDeps('campaign_send');
  const { deps } = bench;
  const db = { connection: deps.connection };
  const smtp = await countingSmtp();
  try {
    // As the server's outbox over SMTP, keeping bodies so the bare loop can send exactly the same messages afterwards.
    deps.outbox = createOutbox({ connection: deps.connection, clock: deps.clock, logger: deps.logger, transport: smtpTransport(smtp.url, { maxConnections: CONNECTIONS }), from: deps.config.mailFrom, secret: deps.config.sessionSecret, concurrency: CONNECTIONS, keepSentBodies: true });
    const world = await benchOrganisation(deps, CONTACTS);
    const { campaign, actor } = await benchCampaign(deps, world);
    await outboxModel(db.connection).init();

    // The product: send, while the outbox delivers in the background as it does in the server.
    deps.outbox.start(250);
    const started = performance.now();
    const result = await sendCampaign(deps, world.organisationId, campaign._id, actor);
    const queuedAfter = performance.now() - started;
    await smtp.waitFor(result.invitations);
    const productMs = performance.now() - started;
    await deps.outbox.stop();

    // The bare loop: the same messages, straight through a pooled nodemailer transport, CONNECTIONS at a time.
    const messages = await Promise.all(
      (await outboxModel(db.connection).collection.find<OutboxRecord>({ category: 'invitation' }, { projection: { _id: 1 } }).toArray()).map((m) => deps.outbox.read(m._id)),
    );
    const transport = nodemailer.createTransport({ pool: true, maxConnections: CONNECTIONS, maxMessages: 500, host: '127.0.0.1', port: Number(new URL(smtp.url).port), secure: false });
    const before = smtp.accepted();
    const bareStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < messages.length) {
          const message = messages[next++];
          if (!message?.body) continue;
          await transport.sendMail({ from: deps.config.mailFrom, to: message.to, subject: message.subject, text: message.body.text, html: message.body.html, messageId: message.messageId });
        }
      }),
    );
    await smtp.waitFor(before + messages.length);
    const bareMs = performance.now() - bareStarted;
    transport.close();

    const ratio = bareMs / productMs;
    const rate = (count: number, ms: number) => `${((count / ms) * 1000).toFixed(0)} msg/s`;
    console.log(`Sending a campaign to ${result.invitations} contacts through a loopback SMTP server (${CONNECTIONS} pooled connections)`);
    console.log(`  machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; database: ${process.env.MONGODB_URI ? 'MONGODB_URI' : 'embedded, worker thread'}`);
    console.log(`  product: send → last accepted  ${(productMs / 1000).toFixed(1)} s  (${rate(result.invitations, productMs)}; all queued after ${(queuedAfter / 1000).toFixed(1)} s)`);
    console.log(`  bare nodemailer loop           ${(bareMs / 1000).toFixed(1)} s  (${rate(messages.length, bareMs)})`);
    console.log(`  product / bare rate  ${ratio.toFixed(2)}  (target ≥ ${TARGET}: ${ratio >= TARGET ? 'meets target' : 'BELOW TARGET'})`);
  } finally {
    await smtp.close();
    await bench.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
