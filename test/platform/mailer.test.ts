import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CapturingMailer, createMailer } from '../../src/platform/mailer';

describe('mailer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ssa-mail-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('When SMTP_URL is unset, then each message is written to the outbox as an .eml file', async () => {
    const outbox = path.join(dir, 'outbox');
    const mailer = createMailer({ smtpUrl: undefined, outboxDir: outbox, from: 'App <no-reply@app.example>', logger: pino({ level: 'silent' }) });
    await mailer.send({ to: 'karin@supplier.example', subject: 'Kvitto – självskattning', text: 'Tack för ditt svar.', html: '<p>Tack för ditt svar.</p>' });
    const files = readdirSync(outbox);
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', /\.eml$/);
    const eml = readFileSync(path.join(outbox, files[0] ?? ''), 'utf8');
    assert.match(eml, /^To: karin@supplier\.example$/m);
    assert.match(eml, /^From: App <no-reply@app\.example>$/m);
    assert.match(eml, /^Subject: /m);
    assert.match(eml, /multipart\/alternative/);
  });

  it('When the recipient is not an email address, then sending fails and nothing is written', async () => {
    const outbox = path.join(dir, 'outbox');
    const mailer = createMailer({ smtpUrl: undefined, outboxDir: outbox, from: 'no-reply@app.example', logger: pino({ level: 'silent' }) });
    await assert.rejects(mailer.send({ to: 'not an address', subject: 's', text: 't' }), /Invalid recipient/);
    assert.throws(() => readdirSync(outbox), /ENOENT/);
  });

  it('When SMTP_URL points at a server that is not there, then send rejects (callers must not mark mail as sent)', async () => {
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', outboxDir: dir, from: 'no-reply@app.example', logger: pino({ level: 'silent' }) });
    await assert.rejects(mailer.send({ to: 'a@b.example', subject: 's', text: 't' }));
  });

  it('When tests use the capturing mailer, then messages are kept in order', async () => {
    const mailer = new CapturingMailer();
    await mailer.send({ to: 'a@b.example', subject: 'one', text: '1' });
    await mailer.send({ to: 'c@d.example', subject: 'two', text: '2' });
    assert.deepEqual(mailer.messages.map((m) => m.subject), ['one', 'two']);
    assert.equal(mailer.last()?.to, 'c@d.example');
  });
});
