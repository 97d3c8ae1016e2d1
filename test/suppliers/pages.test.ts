import assert from 'node:assert/strict';
import type request from 'supertest';
import { recordActivity, ref, SYSTEM_ACTOR } from '../../src/platform/activity';
import { buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';
import { createTestSupplier, organisationNumberFor } from '../helpers/suppliers';

const XSS = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>';

describe('supplier register pages', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let foreign: TestOrganisation;
  let buyer: request.Agent;
  let auditor: request.Agent;
  let admin: request.Agent;
  let foreignId: string;

  before(async () => {
    t = await buildTestApp({ label: 'suppliers_pages' });
    org = await createTestOrganisation(t.deps, 'Region Pages');
    foreign = await createTestOrganisation(t.deps, 'Region Foreign');
    foreignId = (await createTestSupplier(t.deps, foreign.id, { name: 'Foreign Secret AB' })).id;
    [buyer, auditor, admin] = await Promise.all([loginAgent(t.app, org.buyer), loginAgent(t.app, org.auditor), loginAgent(t.app, org.admin)]);
  });
  after(async () => {
    await t.close();
  });

  async function createThroughForm(agent: request.Agent, fields: Record<string, string>) {
    const csrf = await refreshCsrf(agent, '/suppliers/new');
    return agent.post('/suppliers').type('form').send({ _csrf: csrf, ...fields });
  }

  const validForm = (overrides: Record<string, string> = {}) => ({
    name: 'Formtextil AB',
    country: 'SE',
    organisationNumber: organisationNumberFor(1234),
    identifierKind: '',
    sector: 'Textiles',
    tags: 'textiles, high risk',
    'contacts[0][name]': 'Karin Lund',
    'contacts[0][email]': 'karin@formtextil.example',
    'contacts[0][language]': 'sv',
    ...overrides,
  });

  it('When a buyer adds a supplier through the form, then it is shown on its page and in the register', async () => {
    const res = await createThroughForm(buyer, validForm());
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', /^\/suppliers\/[0-9a-f]{24}\?notice=created$/);
    const page = await buyer.get(res.headers.location ?? '').expect(200);
    assert.match(page.text, /Formtextil AB/);
    assert.match(page.text, /high risk/);
    assert.match(page.text, /added the supplier/);
    const register = await buyer.get('/suppliers?q=formtextil').expect(200);
    assert.match(register.text, /Formtextil AB/);
    assert.match(register.text, /karin@formtextil\.example/);
  });

  it('When the form has errors, then it is shown again with every problem linked to its field and the typed values kept', async () => {
    const res = await createThroughForm(buyer, validForm({ name: '', organisationNumber: '556677-8898', 'contacts[0][email]': 'nope' }));
    assert.equal(res.status, 400);
    assert.match(res.text, /href="#name"/);
    assert.match(res.text, /href="#organisationNumber"[^>]*>Organisation number[^<]*: This organisationsnummer&#39;s last digit/);
    assert.match(res.text, /href="#contacts-0-email"/);
    assert.match(res.text, /value="nope"/);
    assert.match(res.text, /id="contacts-0-email"[^>]*aria-invalid="true"/);
  });

  it('When "add another contact" is pressed, then the form comes back with one more contact row and nothing is saved', async () => {
    const res = await createThroughForm(buyer, validForm({ name: 'Not Saved AB', add: 'contact' }));
    assert.equal(res.status, 200);
    assert.match(res.text, /name="contacts\[1\]\[email\]"/);
    assert.doesNotMatch((await buyer.get('/suppliers?q=not+saved').expect(200)).text, /Not Saved AB/);
  });

  it('When a duplicate is added, then the form says so and links to the existing supplier', async () => {
    const res = await createThroughForm(buyer, validForm({ name: 'Another Name AB' }));
    assert.equal(res.status, 409);
    assert.match(res.text, /already has this supplier: Formtextil AB/);
    assert.match(res.text, /href="\/suppliers\/[0-9a-f]{24}"/);
  });

  it('When two buyers edit the same supplier, then the later save is refused with the stored values shown and the typed ones kept', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Edited Twice AB' });
    const other = await loginAgent(t.app, org.admin);
    const first = await buyer.get(`/suppliers/${supplier.id}/edit`).expect(200);
    const second = await other.get(`/suppliers/${supplier.id}/edit`).expect(200);
    const csrf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const base = { country: 'SE', organisationNumber: supplier.organisationNumber, 'contacts[0][name]': 'Kim', 'contacts[0][email]': supplier.contacts[0]?.email ?? '', revision: '1' };
    await buyer.post(`/suppliers/${supplier.id}`).type('form').send({ _csrf: csrf(first.text), ...base, name: 'Edited By Buyer AB' }).expect(303);
    const refused = await other.post(`/suppliers/${supplier.id}`).type('form').send({ _csrf: csrf(second.text), ...base, name: 'Edited By Admin AB' });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /Someone else changed this supplier/);
    assert.match(refused.text, /Edited By Buyer AB/);
    assert.match(refused.text, /value="Edited By Admin AB"/);
    assert.match(refused.text, /name="revision" value="2"/);
  });

  it('When a supplier is archived and brought back from its page, then the register follows', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Archived Through Page AB' });
    let csrf = await refreshCsrf(buyer, `/suppliers/${supplier.id}`);
    await buyer.post(`/suppliers/${supplier.id}/archive`).type('form').send({ _csrf: csrf }).expect(303);
    assert.doesNotMatch((await buyer.get('/suppliers?q=archived+through').expect(200)).text, /Archived Through Page AB/);
    assert.match((await buyer.get('/suppliers?q=archived+through&status=archived').expect(200)).text, /Archived Through Page AB/);
    csrf = await refreshCsrf(buyer, `/suppliers/${supplier.id}`);
    await buyer.post(`/suppliers/${supplier.id}/unarchive`).type('form').send({ _csrf: csrf }).expect(303);
    assert.match((await buyer.get('/suppliers?q=archived+through').expect(200)).text, /Archived Through Page AB/);
  });

  it('When an admin deletes a supplier without history, then it is gone; a buyer may not delete', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Mistake AB' });
    const adminPage = await admin.get(`/suppliers/${supplier.id}`).expect(200);
    assert.match(adminPage.text, /\/delete"/);
    assert.doesNotMatch((await buyer.get(`/suppliers/${supplier.id}`).expect(200)).text, /\/delete"/);
    const buyerCsrf = await refreshCsrf(buyer, `/suppliers/${supplier.id}`);
    await buyer.post(`/suppliers/${supplier.id}/delete`).type('form').send({ _csrf: buyerCsrf }).expect(403);
    const csrf = await refreshCsrf(admin, `/suppliers/${supplier.id}`);
    await admin.post(`/suppliers/${supplier.id}/delete`).type('form').send({ _csrf: csrf }).expect(303);
    await admin.get(`/suppliers/${supplier.id}`).expect(404);
  });

  it('When an auditor opens the register, then they can read everything but change nothing', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Audited AB' });
    const register = await auditor.get('/suppliers').expect(200);
    assert.doesNotMatch(register.text, /href="\/suppliers\/new"/);
    assert.match(register.text, /Audited AB/);
    const page = await auditor.get(`/suppliers/${supplier.id}`).expect(200);
    assert.doesNotMatch(page.text, /\/archive"/);
    const csrf = await refreshCsrf(auditor, `/suppliers/${supplier.id}`);
    for (const path of ['/suppliers/new', `/suppliers/${supplier.id}/edit`, '/suppliers/import']) await auditor.get(path).expect(403);
    for (const path of ['/suppliers', `/suppliers/${supplier.id}`, `/suppliers/${supplier.id}/archive`, `/suppliers/${supplier.id}/delete`, '/suppliers/import']) {
      await auditor.post(path).type('form').send({ _csrf: csrf, ...validForm({ name: 'Auditor Was Here AB', revision: '1' }) }).expect(403);
    }
    assert.doesNotMatch((await auditor.get('/suppliers').expect(200)).text, /Auditor Was Here/);
  });

  it('When nobody is logged in, then the register sends them to the login page', async () => {
    const res = await (await import('supertest')).default(t.app).get('/suppliers');
    assert.equal(res.status, 302);
    assert.match(res.headers.location ?? '', /^\/login\?next=%2Fsuppliers/);
  });

  it("When another organisation's supplier id is used on any page, then it is a 404", async () => {
    const csrf = await refreshCsrf(admin, '/suppliers');
    for (const path of [`/suppliers/${foreignId}`, `/suppliers/${foreignId}/edit`, '/suppliers/0123456789abcdef01234567', '/suppliers/not-an-id']) {
      await admin.get(path).expect(404);
    }
    for (const path of [`/suppliers/${foreignId}`, `/suppliers/${foreignId}/archive`, `/suppliers/${foreignId}/unarchive`, `/suppliers/${foreignId}/delete`]) {
      await admin.post(path).type('form').send({ _csrf: csrf, ...validForm({ revision: '1' }) }).expect(404);
    }
    const foreignAdmin = await loginAgent(t.app, foreign.admin);
    assert.match((await foreignAdmin.get(`/suppliers/${foreignId}`).expect(200)).text, /Foreign Secret AB/);
  });

  it('When a state-changing request has no CSRF token, then it is refused and nothing changes', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Csrf Target AB' });
    await buyer.post('/suppliers').type('form').send(validForm({ name: 'No Token AB', organisationNumber: organisationNumberFor(5555) })).expect(403);
    await buyer.post(`/suppliers/${supplier.id}/archive`).type('form').send({}).expect(403);
    await buyer.post(`/suppliers/${supplier.id}`).type('form').send({ _csrf: 'forged', name: 'Renamed', revision: '1' }).expect(403);
    const register = await buyer.get('/suppliers?q=csrf+target').expect(200);
    assert.match(register.text, /Csrf Target AB/);
    assert.doesNotMatch((await buyer.get('/suppliers?q=no+token').expect(200)).text, /No Token AB/);
  });

  it('When filters carry NoSQL operators or junk, then they are refused or matched literally', async () => {
    await createTestSupplier(t.deps, org.id, { name: 'Injection Target AB' });
    const withOperators = await buyer.get('/suppliers?country[$ne]=XX&q[$regex]=.*&sector[$gt]=').expect(200);
    assert.match(withOperators.text, /Injection Target AB/, 'bracket keys are not operators: they are ignored');
    await buyer.get('/suppliers?country=Sweden').expect(400);
    await buyer.get('/suppliers?sort=$where').expect(400);
    await buyer.get('/suppliers?filter=doesNotExist').expect(400);
    await buyer.get('/suppliers?page=-1').expect(400);
    const literal = await buyer.get(`/suppliers?q=${encodeURIComponent('.*')}`).expect(200);
    assert.doesNotMatch(literal.text, /Injection Target AB/);
  });

  it('When names, contacts and sites hold markup, then every page shows it as text', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, {
      name: `Evil ${XSS}`,
      sector: XSS,
      tags: ['<script>t</script>'],
      contacts: [{ name: XSS, email: 'evil@xss.example' }],
      sites: [{ name: XSS, country: 'SE', address: XSS, products: XSS }],
    });
    await recordActivity(t.deps.connection, { organisationId: org.id, actor: { kind: 'user', name: XSS }, action: 'custom.thing', subject: ref('supplier', supplier._id), details: { name: XSS }, at: t.clock.now() });
    for (const path of ['/suppliers', `/suppliers/${supplier.id}`, `/suppliers/${supplier.id}/edit`]) {
      const page = await buyer.get(path).expect(200);
      assert.doesNotMatch(page.text, /<script>alert/, path);
      assert.doesNotMatch(page.text, /<img src=x/, path);
      assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, path);
    }
  });

  it('When other domains log about a supplier, then its page shows their entries: known actions as sentences, unknown ones generically', async () => {
    const supplier = await createTestSupplier(t.deps, org.id, { name: 'Historic AB' });
    const at = new Date(t.clock.now().getTime() + 1000);
    await recordActivity(t.deps.connection, { organisationId: org.id, actor: { kind: 'user', name: 'Anna Inköpare' }, action: 'invitation.sent', subject: ref('invitation', supplier._id), refs: [ref('supplier', supplier._id)], at });
    await recordActivity(t.deps.connection, { organisationId: org.id, actor: SYSTEM_ACTOR, action: 'audit.scheduled', subject: ref('audit', supplier._id), refs: [ref('supplier', supplier._id)], at: new Date(at.getTime() + 1000) });
    const page = await buyer.get(`/suppliers/${supplier.id}`).expect(200);
    assert.match(page.text, /Anna Inköpare sent an invitation/);
    assert.match(page.text, /system: audit\.scheduled/);
    const sv = await buyer.get(`/suppliers/${supplier.id}?lang=sv`).expect(200);
    assert.match(sv.text, /Anna Inköpare skickade en inbjudan/);
    await buyer.get('/suppliers?lang=en').expect(200);
  });

  it('When the navigation is shown, then buyers, auditors and admins have the register', async () => {
    for (const agent of [buyer, auditor, admin]) assert.match((await agent.get('/').expect(200)).text, /href="\/suppliers"/);
  });
});
