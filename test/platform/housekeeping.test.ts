import assert from 'node:assert/strict';
import request from 'supertest';
import { summaryItem } from '../../src/responses/routes';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp } from '../helpers/app';

describe('house-keeping: icon, texts', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'housekeeping' });
  });
  after(async () => {
    await t.close();
  });

  it('When a browser asks for /favicon.ico, then it gets a real icon, and pages point to it', async () => {
    const res = await request(t.app).get('/favicon.ico').buffer(true).parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^image\/(x-icon|vnd\.microsoft\.icon)/);
    assert.deepEqual([...(res.body as Buffer).subarray(0, 4)], [0, 0, 1, 0], 'an ICO file');
    await request(t.app).get('/static/favicon.svg').expect(200).expect('Content-Type', /image\/svg\+xml/);
    const login = await request(t.app).get('/login').expect(200);
    assert.match(login.text, /<link rel="icon" href="\/favicon.ico"/);
  });

  it('When the home page and the campaigns page are shown in Swedish, then their headings say what the English ones say', async () => {
    const org = await createTestOrganisation(t.deps, 'Texts Region');
    const agent = await loginAgent(t.app, org.buyer);
    assert.match((await agent.get('/?lang=sv').expect(200)).text, /<h1>Översikt<\/h1>/);
    assert.match((await agent.get('/?lang=en').expect(200)).text, /<h1>Overview<\/h1>/);
    assert.match((await agent.get('/campaigns?lang=sv').expect(200)).text, /<h1>Kampanjer<\/h1>/);
    assert.match((await agent.get('/campaigns?lang=en').expect(200)).text, /<h1>Campaigns<\/h1>/);
  });

  it('When an error summary names a question, then a label ending in "?" is not followed by ":"', () => {
    assert.equal(summaryItem('Do you employ children?', 'Answer the question.'), 'Do you employ children? Answer the question.');
    assert.equal(summaryItem('Number of employees', 'Enter a number.'), 'Number of employees: Enter a number.');
  });
});
