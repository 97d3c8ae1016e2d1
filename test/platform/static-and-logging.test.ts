import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { redactTokens } from '../../src/platform/logger';
import { buildTestApp, type TestApp } from '../helpers/app';

describe('static files', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'static' });
  });
  after(async () => {
    await t.close();
  });

  it('When the stylesheet is requested, then it is served as CSS without a session', async () => {
    const res = await request(t.app).get('/static/css/app.css').expect(200);
    assert.match(res.headers['content-type'] ?? '', /text\/css/);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('When a file outside public/ is asked for, then 404', async () => {
    await request(t.app).get('/static/../package.json').expect(404);
    await request(t.app).get('/static/%2e%2e/package.json').expect(404);
  });
});

describe('request logging', () => {
  it('When supplier links appear in a URL, then the token is not logged', () => {
    assert.equal(redactTokens('/s/abcDEF123_-xyz/section/profile?lang=en'), '/s/[token]/section/profile?lang=en');
    assert.equal(redactTokens('/login'), '/login');
    assert.equal(redactTokens('/join/abcDEF123_-xyz?lang=en'), '/join/[token]?lang=en');
    assert.equal(redactTokens('/password/reset/abcDEF123_-xyz'), '/password/reset/[token]');
  });

  it('When a request is served, then one JSON log line carries its id, status and redacted URL, and no cookie', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const t = await buildTestApp({ label: 'logging' });
    try {
      const app = createApp({ ...t.deps, logger: pino({ level: 'info' }, sink) });
      await request(app).get('/s/secret-token-value-1234567890/start').set('Cookie', 'sid=abc').set('x-request-id', 'req-42');
      const entry = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((e) => e.msg === 'request completed');
      assert.ok(entry, `a completion line in ${lines.join('\n')}`);
      const req = entry.req as Record<string, unknown>;
      assert.equal(req.id, 'req-42');
      assert.equal(req.url, '/s/[token]/start');
      assert.equal((entry.res as Record<string, unknown>).statusCode !== undefined, true);
      assert.doesNotMatch(lines.join('\n'), /secret-token-value|sid=abc/);
    } finally {
      await t.close();
    }
  });
});
