import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/accounts';
import { listActivity, ref } from '../../src/platform/activity';
import { buildTestApp, createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { createTestSupplier, organisationNumberFor } from '../helpers/suppliers';

describe('supplier API', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let token: string;
  let foreignId: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  before(async () => {
    t = await buildTestApp({ label: 'suppliers_api' });
    org = await createTestOrganisation(t.deps, 'Region Api');
    const foreign = await createTestOrganisation(t.deps, 'Region Api Foreign');
    token = (await createApiToken(t.deps.connection, { organisationId: org.id, name: 'ERP sync' }, t.clock.now())).token;
    foreignId = (await createTestSupplier(t.deps, foreign.id, { name: 'Foreign Api AB' })).id;
  });
  after(async () => {
    await t.close();
  });

  const body = (overrides: Record<string, unknown> = {}) => ({
    name: 'Api Leverantör AB',
    country: 'SE',
    organisationNumber: organisationNumberFor(7001),
    contacts: [{ name: 'Karin', email: 'karin@api.example', language: 'sv' }],
    sites: [{ name: 'Borås', country: 'SE', products: 'Sjukhustextil' }],
    tags: ['textil'],
    ...overrides,
  });

  it('When a supplier is created, read, searched and patched through the API, then each call answers with its state and the token is the actor', async () => {
    const created = await request(t.app).post('/api/v1/suppliers').set(auth()).send(body()).expect(201);
    assert.equal(created.body.organisationNumber, organisationNumberFor(7001));
    assert.equal(created.body.identifierKind, 'se');
    assert.equal(created.body.revision, 1);
    const id = created.body.id as string;
    const read = await request(t.app).get(`/api/v1/suppliers/${id}`).set(auth()).expect(200);
    assert.deepEqual(read.body.sites, [{ name: 'Borås', country: 'SE', address: '', products: 'Sjukhustextil' }]);
    const found = await request(t.app).get('/api/v1/suppliers').query({ q: 'leverantor', pageSize: 10 }).set(auth()).expect(200);
    assert.deepEqual(found.body.suppliers.map((s: { id: string }) => s.id), [id]);
    assert.equal(found.body.total, 1);

    const patched = await request(t.app).patch(`/api/v1/suppliers/${id}`).set(auth()).send({ sector: 'Textil', revision: 1 }).expect(200);
    assert.equal(patched.body.sector, 'Textil');
    assert.equal(patched.body.revision, 2);
    const stale = await request(t.app).patch(`/api/v1/suppliers/${id}`).set(auth()).send({ sector: 'Metall', revision: 1 }).expect(409);
    assert.equal(stale.body.error.field, 'body.revision');

    const archived = await request(t.app).patch(`/api/v1/suppliers/${id}`).set(auth()).send({ archived: true }).expect(200);
    assert.equal(archived.body.archived, true);
    assert.equal((await request(t.app).get('/api/v1/suppliers').query({ q: 'leverantor' }).set(auth()).expect(200)).body.total, 0);
    assert.equal((await request(t.app).get('/api/v1/suppliers').query({ q: 'leverantor', status: 'archived' }).set(auth()).expect(200)).body.total, 1);
    await request(t.app).patch(`/api/v1/suppliers/${id}`).set(auth()).send({ archived: false }).expect(200);

    const { entries } = await listActivity(t.deps.connection, org.id, { ref: ref('supplier', id) });
    assert.deepEqual(entries.map((entry) => entry.action).reverse(), ['supplier.created', 'supplier.updated', 'supplier.archived', 'supplier.unarchived']);
    assert.ok(entries.every((entry) => entry.actor.kind === 'api' && entry.actor.name === 'ERP sync'));

    const history = await request(t.app).get(`/api/v1/suppliers/${id}/history`).set(auth()).expect(200);
    assert.equal(history.body.entries[0].text, 'ERP sync added the supplier');
  });

  it('When input is invalid, then the JSON error names the field and nothing is stored', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [body({ organisationNumber: '556677-8898' }), 'body.organisationNumber'],
      [body({ contacts: [{ name: 'K', email: 'nope' }] }), 'body.contacts.0.email'],
      [body({ contacts: [] }), 'body.contacts'],
      [body({ country: 'Sverige' }), 'body.country'],
      [body({ name: { $gt: '' } }), 'body.name'],
      [body({ organisationNumber: { $ne: null } }), 'body.organisationNumber'],
      [body({ country: 'DE', organisationNumber: 'DE12', identifierKind: 'vat' }), 'body.organisationNumber'],
    ];
    for (const [input, field] of cases) {
      const res = await request(t.app).post('/api/v1/suppliers').set(auth()).send(input).expect(400);
      assert.equal(res.body.error.field, field, JSON.stringify(input));
    }
    const patch = await request(t.app).patch(`/api/v1/suppliers/${(await createTestSupplier(t.deps, org.id)).id}`).set(auth()).send({ $set: { organisationId: 'x' } }).expect(400);
    assert.match(patch.body.error.field, /^body/);
    await request(t.app).get('/api/v1/suppliers').query({ 'country[$ne]': 'SE', sort: 'nope' }).set(auth()).expect(400);
    const unknownFilter = await request(t.app).get('/api/v1/suppliers').query({ filter: 'openFollowUp' }).set(auth()).expect(400);
    assert.equal(unknownFilter.body.error.field, 'query.filter');
  });

  it('When a duplicate is posted, then the answer is 409 naming the field', async () => {
    await request(t.app).post('/api/v1/suppliers').set(auth()).send(body({ organisationNumber: organisationNumberFor(7002) })).expect(201);
    const again = await request(t.app).post('/api/v1/suppliers').set(auth()).send(body({ name: 'Other', organisationNumber: `SE${organisationNumberFor(7002).replace('-', '')}01` })).expect(409);
    assert.equal(again.body.error.field, 'body.organisationNumber');
  });

  it("When another organisation's supplier id is used, then every route answers 404", async () => {
    await request(t.app).get(`/api/v1/suppliers/${foreignId}`).set(auth()).expect(404);
    await request(t.app).get(`/api/v1/suppliers/${foreignId}/history`).set(auth()).expect(404);
    await request(t.app).patch(`/api/v1/suppliers/${foreignId}`).set(auth()).send({ archived: true }).expect(404);
    await request(t.app).patch(`/api/v1/suppliers/${foreignId}`).set(auth()).send({ name: 'Mine now' }).expect(404);
    await request(t.app).delete(`/api/v1/suppliers/${foreignId}`).set(auth()).expect(404);
    await request(t.app).get('/api/v1/suppliers/not-an-id').set(auth()).expect(404);
    assert.equal((await request(t.app).get('/api/v1/suppliers').query({ q: 'foreign api' }).set(auth()).expect(200)).body.total, 0);
  });

  it('When a supplier without history is deleted, then it is gone (204)', async () => {
    const supplier = await createTestSupplier(t.deps, org.id);
    await request(t.app).delete(`/api/v1/suppliers/${supplier.id}`).set(auth()).expect(204);
    await request(t.app).get(`/api/v1/suppliers/${supplier.id}`).set(auth()).expect(404);
  });

  it('When no token is sent, then the supplier routes answer 401', async () => {
    await request(t.app).get('/api/v1/suppliers').expect(401);
    await request(t.app).post('/api/v1/suppliers').send(body()).expect(401);
  });

  it('When the OpenAPI document is read, then it describes the supplier routes', async () => {
    const doc = await request(t.app).get('/api/v1/openapi.json').expect(200);
    for (const path of ['/suppliers', '/suppliers/{id}', '/suppliers/{id}/history', '/suppliers/imports', '/suppliers/imports/{id}/confirm']) assert.ok(doc.body.paths[path], path);
    assert.ok(doc.body.paths['/suppliers/{id}'].patch);
  });

  it('When a file is imported through the API, then the preview lists its problems and the confirmation imports the valid rows', async () => {
    const csv = `Namn;Organisationsnummer;Land;Kontaktperson;E-post\r\nApi Import AB;${organisationNumberFor(7100)};SE;Ada;ada@import.example\r\nBroken AB;556677-8898;SE;Bo;bo@import.example\r\n`;
    const preview = await request(t.app).post('/api/v1/suppliers/imports').set(auth()).set('Content-Type', 'text/csv').send(Buffer.from(csv, 'utf8')).expect(201);
    assert.equal(preview.body.status, 'preview');
    assert.deepEqual(preview.body.counts, { rows: 2, valid: 1, invalid: 1, duplicateInFile: 0, duplicateInRegister: 0 });
    assert.deepEqual(preview.body.problems.map((problem: { row: number; column: string }) => [problem.row, problem.column]), [[3, 'Organisationsnummer']]);
    assert.equal((await request(t.app).get('/api/v1/suppliers').query({ q: 'api import' }).set(auth()).expect(200)).body.total, 0);
    const done = await request(t.app).post(`/api/v1/suppliers/imports/${preview.body.id}/confirm`).set(auth()).expect(200);
    assert.equal(done.body.created, 1);
    assert.equal((await request(t.app).get('/api/v1/suppliers').query({ q: 'api import' }).set(auth()).expect(200)).body.total, 1);
    await request(t.app).post(`/api/v1/suppliers/imports/${preview.body.id}/confirm`).set(auth()).expect(409);
  });
});
