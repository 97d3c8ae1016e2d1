import assert from 'node:assert/strict';
import request from 'supertest';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp } from '../helpers/app';

/** Anything that looks like a stack trace or a source path. */
const STACK_TRACE = /\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\/work\/|Error: /;

describe('error pages', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'error_pages' });
  });
  after(async () => {
    await t.close();
  });

  it('When a page does not exist, then a Swedish 404 page is shown by default', async () => {
    const res = await request(t.app).get('/finns-inte').expect(404);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.match(res.text, /<html lang="sv">/);
    assert.match(res.text, /Sidan finns inte/);
    assert.doesNotMatch(res.text, STACK_TRACE);
  });

  it('When ?lang=en is given, then the 404 page is in English', async () => {
    const res = await request(t.app).get('/does-not-exist?lang=en').expect(404);
    assert.match(res.text, /<html lang="en">/);
    assert.match(res.text, /Page not found/);
  });

  it('When the browser prefers English, then the 404 page is in English', async () => {
    const res = await request(t.app).get('/does-not-exist').set('Accept-Language', 'en-GB,en;q=0.9').expect(404);
    assert.match(res.text, /Page not found/);
    assert.equal(res.headers['content-language'], 'en');
  });

  it('When a JSON client asks for a missing resource, then it gets a JSON error', async () => {
    const res = await request(t.app).get('/api/nothing?lang=en').set('Accept', 'application/json').expect(404);
    assert.deepEqual(res.body, { error: { message: 'There is no page at this address. Check the address or go to the start page.' } });
  });

  it('When a form body is malformed JSON, then 400 without details of the parser', async () => {
    const res = await request(t.app).post('/login?lang=en').set('Content-Type', 'application/json').send('{"email": ').expect(400);
    assert.doesNotMatch(JSON.stringify(res.body), STACK_TRACE);
    assert.ok(res.body.error.message);
  });
});

describe('error pages when the server fails', () => {
  for (const [lang, heading, text] of [
    ['sv', 'Något gick fel', 'Något gick fel hos oss'],
    ['en', 'Something went wrong', 'Something went wrong on our side'],
  ] as const) {
    it(`When the database fails during a request (${lang}), then a 500 page without a stack trace is shown`, async () => {
      const t = await buildTestApp({ label: `error_500_${lang}` });
      try {
        const org = await createTestOrganisation(t.deps, `Failing Region ${lang}`);
        const agent = await loginAgent(t.app, org.buyer);
        await t.deps.connection.close();
        const res = await agent.get(`/?lang=${lang}`).expect(500);
        assert.match(res.text, new RegExp(`<html lang="${lang}">`));
        assert.match(res.text, new RegExp(heading));
        assert.match(res.text, new RegExp(text));
        assert.doesNotMatch(res.text, STACK_TRACE);
        assert.doesNotMatch(res.text, /Mongo|client|closed/i);
      } finally {
        await t.close();
      }
    });
  }
});
