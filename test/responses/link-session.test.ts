/**
 * Supplier pages are authenticated by their link: no login session is created, read or written for them, and their
 * CSRF tokens are bound to the link instead of a session.
 */
import assert from 'node:assert/strict';
import { buildTestApp, type TestApp } from '../helpers/app';
import { createSupplierLink, openSection, sectionForm } from './fixtures';
import { responseModel } from '../../src/responses/model';

function cookieNames(setCookie: string[] | string | undefined): string[] {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list.map((cookie) => cookie.split('=')[0] ?? '');
}

describe('Supplier link pages without a login session', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'supplier_link_session' });
  });
  after(async () => {
    await t.close();
  });

  it('When a supplier opens a section and autosaves, then no session cookie is set and no session is stored', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${link.path}/section/forced_labour`);
    const page = await agent.get(`${link.path}/section/forced_labour`).expect(200);
    assert.ok(!cookieNames(page.headers['set-cookie']).includes('sid'));
    const saved = await agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'forced_labour', answers: { free_to_resign: 'yes' } }).expect(200);
    assert.ok(!cookieNames(saved.headers['set-cookie']).includes('sid'));
    assert.equal(await t.deps.connection.collection('sessions').countDocuments({}), 0);
  });

  it('When the CSRF cookie is scoped, then it is limited to the link path', async () => {
    const link = await createSupplierLink(t);
    const page = await openSection(t.app, `${link.path}/section/forced_labour`);
    const first = await page.agent.get(`${link.path}/section/forced_labour`);
    const header = [first.headers['set-cookie']].flat().find((cookie): cookie is string => typeof cookie === 'string' && cookie.startsWith('supplier-csrf='));
    assert.ok(header, 'the page sets the supplier CSRF cookie');
    assert.match(header, new RegExp(`Path=/s/${link.token}(;|$)`));
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Strict/);
  });

  it("When one link's CSRF token and cookie are replayed against another link, then 403 and nothing is saved", async () => {
    const mine = await createSupplierLink(t);
    const other = await createSupplierLink(t);
    const { agent, csrf } = await openSection(t.app, `${mine.path}/section/company_profile`);
    const cookie = (await agent.get(`${mine.path}/section/company_profile`)).headers['set-cookie'];
    const csrfCookie = [cookie].flat().find((c): c is string => typeof c === 'string' && c.startsWith('supplier-csrf='))?.split(';')[0];
    assert.ok(csrfCookie);
    const { default: request } = await import('supertest');
    await request(t.app)
      .post(`${other.path}/section/company_profile`)
      .set('Cookie', csrfCookie)
      .type('form')
      .send(sectionForm(csrf, { company_name: 'Forged AB' }, { action: 'save' }))
      .expect(403);
    await request(t.app)
      .post(`${other.path}/autosave`)
      .set('Cookie', csrfCookie)
      .set('x-csrf-token', csrf)
      .send({ sectionId: 'company_profile', answers: { company_name: 'Forged AB' } })
      .expect(403);
    const stored = await responseModel(t.deps.connection).findOne({ invitationId: other.invitationId }).lean();
    assert.deepEqual(stored?.answers ?? {}, {});
    // The same token and cookie still work on their own link.
    await agent.post(`${mine.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: 'company_profile', answers: { company_name: 'Mine AB' } }).expect(200);
  });

  it('When two links are open in one browser, then each keeps its own valid CSRF token', async () => {
    const first = await createSupplierLink(t);
    const second = await createSupplierLink(t);
    const { agent, csrf: firstCsrf } = await openSection(t.app, `${first.path}/section/forced_labour`);
    const secondPage = await agent.get(`${second.path}/section/forced_labour`).expect(200);
    const secondCsrf = /name="_csrf" value="([^"]+)"/.exec(secondPage.text)?.[1] ?? '';
    await agent.post(`${first.path}/autosave`).set('x-csrf-token', firstCsrf).send({ sectionId: 'forced_labour', answers: { free_to_resign: 'yes' } }).expect(200);
    await agent.post(`${second.path}/autosave`).set('x-csrf-token', secondCsrf).send({ sectionId: 'forced_labour', answers: { free_to_resign: 'no' } }).expect(200);
  });
});
