import assert from 'node:assert/strict';
import type request from 'supertest';
import { listActivity } from '../../src/platform/activity';
import { IMPORT_LIMITS } from '../../src/suppliers/import/limits';
import { readTable } from '../../src/suppliers/import/read-table';
import { searchSuppliers } from '../../src/suppliers';
import { buildTestApp, createTestOrganisation, loginAgent, refreshCsrf, type TestApp, type TestOrganisation } from '../helpers/app';
import { createTestSupplier, organisationNumberFor } from '../helpers/suppliers';
import { csvUtf8, csvWindows1252, xlsx } from './import-files';

describe('supplier import pages', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let buyer: request.Agent;

  before(async () => {
    t = await buildTestApp({ label: 'suppliers_import' });
    org = await createTestOrganisation(t.deps, 'Region Import');
    buyer = await loginAgent(t.app, org.buyer);
  });
  after(async () => {
    await t.close();
  });

  async function upload(agent: request.Agent, file: Buffer, name = 'leverantorer.csv') {
    const csrf = await refreshCsrf(agent, '/suppliers/import');
    return agent.post(`/suppliers/import?_csrf=${encodeURIComponent(csrf)}`).attach('file', file, name);
  }

  async function confirm(agent: request.Agent, previewPath: string) {
    const csrf = await refreshCsrf(agent, previewPath);
    return agent.post(`${previewPath}/confirm`).type('form').send({ _csrf: csrf });
  }

  it('When a Swedish Excel CSV is uploaded, then the preview shows each problem by row and column, duplicates, and imports nothing until confirmed', async () => {
    const existing = await createTestSupplier(t.deps, org.id, { name: 'Redan Registrerad AB', organisationNumber: organisationNumberFor(8000) });
    const file = csvWindows1252([
      'Namn;Organisationsnummer;Land;Bransch;Taggar;Kontaktperson;E-post;Språk;Anläggning;Tillverkar;Okänd kolumn',
      `Ölands Kött AB;${organisationNumberFor(8001)};Sverige;Livsmedel;kött, hög risk;Åsa Öberg;asa@olandskott.example;;Slakteri;Charkuterier – 5 €;x`,
      `Fel Nummer AB;556677-8898;SE;;;Bo;bo@fel.example;sv;;;`,
      `Utan Epost AB;${organisationNumberFor(8002)};SE;;;Cecilia;;;;;`,
      `Ölands Kött AB igen;${organisationNumberFor(8001).replace('-', '')};SE;;;Dan;dan@x.example;;;;`,
      `Redan Där;${existing.organisationNumber};SE;;;Eva;eva@x.example;;;;`,
      `Berlin Textil GmbH;DE123456789;Tyskland;Textil;;Hans;hans@berlin.example;engelska;Werk 1;Handschuhe;`,
    ]);
    const res = await upload(buyer, file);
    assert.equal(res.status, 303, res.text);
    const previewPath = res.headers.location ?? '';
    assert.match(previewPath, /^\/suppliers\/import\/[0-9a-f]{24}$/);
    const preview = await buyer.get(previewPath).expect(200);
    assert.match(preview.text, /windows-1252/);
    assert.match(preview.text, /Columns not used: Okänd kolumn/);
    assert.match(preview.text, /Import 2 suppliers/);
    assert.match(preview.text, /Organisationsnummer: This organisationsnummer&#39;s last digit/);
    assert.match(preview.text, /E-post: Enter an email address/);
    assert.match(preview.text, /Same supplier as row 2/);
    assert.match(preview.text, /Already in the register: Redan Registrerad AB/);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'olands' })).total, 0, 'nothing imported yet');

    const toImport = await buyer.get(`${previewPath}?show=new`).expect(200);
    assert.match(toImport.text, /Ölands Kött AB/);
    assert.match(toImport.text, /Berlin Textil GmbH/);

    const done = await confirm(buyer, previewPath);
    assert.equal(done.status, 303);
    const result = await buyer.get(done.headers.location ?? '').expect(200);
    assert.match(result.text, /Imported 2 suppliers/);
    const [olands] = (await searchSuppliers(t.deps.connection, org.id, { q: 'olands kott' })).rows;
    assert.ok(olands);
    assert.deepEqual(olands.tags, ['kött', 'hög risk']);
    assert.equal(olands.contacts[0]?.language, 'sv');
    const [berlin] = (await searchSuppliers(t.deps.connection, org.id, { q: 'handschuhe' })).rows;
    assert.equal(berlin?.country, 'DE');
    assert.equal(berlin?.identifierKind, 'vat');
    assert.equal(berlin?.contacts[0]?.language, 'en');

    const imported = await listActivity(t.deps.connection, org.id, { action: 'supplier.imported' });
    assert.equal(imported.total, 1);
    assert.equal(imported.entries[0]?.details.created, 2);
    assert.equal(imported.entries[0]?.details.invalid, 2);
    const created = await listActivity(t.deps.connection, org.id, { action: 'supplier.created' });
    assert.equal(created.entries.filter((entry) => entry.details.source === 'import').length, 2);

    const again = await confirm(buyer, previewPath);
    assert.equal(again.status, 409);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'olands' })).total, 1, 'not imported twice');
  });

  it('When an XLSX file with English headers and several contacts is imported, then every contact and site comes through', async () => {
    const file = await xlsx([
      ['Name', 'Organisation number', 'Country', 'Contact name', 'Email', 'Language', 'Contact name 2', 'Email 2', 'Language 2', 'Site', 'Site country', 'Products'],
      ['Hanoi Garments JSC', '', 'VN', 'Nguyen', 'nguyen@hanoi.example', 'en', 'Tran', 'tran@hanoi.example', 'sv', 'Factory 2', 'VN', 'Scrubs'],
    ]);
    const res = await upload(buyer, file, 'suppliers.xlsx');
    assert.equal(res.status, 303);
    await confirm(buyer, res.headers.location ?? '');
    const [hanoi] = (await searchSuppliers(t.deps.connection, org.id, { q: 'hanoi' })).rows;
    assert.ok(hanoi);
    assert.deepEqual(hanoi.contacts.map((contact) => [contact.email, contact.language]), [['nguyen@hanoi.example', 'en'], ['tran@hanoi.example', 'sv']]);
    assert.equal(hanoi.identifierKind, 'none');
  });

  it('When the register gets one of the rows after the preview, then the confirmation skips it instead of importing it twice', async () => {
    const number = organisationNumberFor(8100);
    const res = await upload(buyer, csvUtf8(['Namn;Organisationsnummer;Land;Kontaktperson;E-post', `Race AB;${number};SE;Ra;ra@race.example`, `Other Race AB;${organisationNumberFor(8101)};SE;Ro;ro@race.example`]));
    await createTestSupplier(t.deps, org.id, { name: 'Race AB (added by hand)', organisationNumber: number });
    await confirm(buyer, res.headers.location ?? '');
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'race' })).total, 2);
    const entry = (await listActivity(t.deps.connection, org.id, { action: 'supplier.imported' })).entries[0];
    assert.equal(entry?.details.created, 1);
    assert.equal(entry?.details.skippedAsDuplicates, 1);
  });

  it('When a preview is older than its lifetime, then it can be neither shown nor confirmed', async () => {
    const res = await upload(buyer, csvUtf8(['Namn;Land;Kontaktperson;E-post', 'Late Oy;FI;Liisa;liisa@late.example']));
    const previewPath = res.headers.location ?? '';
    const csrf = await refreshCsrf(buyer, previewPath);
    t.clock.advance(IMPORT_LIMITS.previewMs + 1000);
    await buyer.get(previewPath).expect(410);
    await buyer.post(`${previewPath}/confirm`).type('form').send({ _csrf: csrf }).expect(410);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'late oy' })).total, 0);
  });

  it('When a preview is discarded, then it is gone and nothing was imported', async () => {
    const res = await upload(buyer, csvUtf8(['Namn;Land;Kontaktperson;E-post', 'Discard GmbH;DE;Dora;dora@discard.example']));
    const previewPath = res.headers.location ?? '';
    const csrf = await refreshCsrf(buyer, previewPath);
    await buyer.post(`${previewPath}/cancel`).type('form').send({ _csrf: csrf }).expect(303);
    assert.equal((await confirm(buyer, previewPath)).status, 409);
    assert.equal((await searchSuppliers(t.deps.connection, org.id, { q: 'discard' })).total, 0);
  });

  it('When a file is unusable, then the upload page says why and no preview is stored', async () => {
    const cases: Array<[Buffer, number, RegExp]> = [
      [csvUtf8(['Namn;Land', 'Only Two Columns AB;SE']), 400, /Columns missing: Contact name, Email|Columns missing: Kontaktperson, E-post/],
      [Buffer.from('Namn\nAB', 'utf16le'), 400, /not a CSV file/],
      [csvUtf8(['Namn;Land;Kontaktperson;E-post', ...Array.from({ length: 100_000 }, (_, i) => `L${i};SE;K;k${i}@x.example`)]), 413, /more than 10,000 rows/],
    ];
    for (const [file, status, message] of cases) {
      const res = await upload(buyer, file);
      assert.equal(res.status, status);
      assert.match(res.text, message);
      assert.match(res.text, /href="#file"/);
    }
    const tooBig = await upload(buyer, Buffer.alloc(IMPORT_LIMITS.fileBytes + 1, 0x61));
    assert.equal(tooBig.status, 413);
  });

  it('When an upload has no CSRF token, then it is refused', async () => {
    await buyer.post('/suppliers/import').attach('file', csvUtf8(['Namn;Land;Kontaktperson;E-post', 'X AB;DE;K;k@x.example']), 'x.csv').expect(403);
  });

  it("When another organisation's import id is used, or an auditor tries, then it is refused", async () => {
    const res = await upload(buyer, csvUtf8(['Namn;Land;Kontaktperson;E-post', 'Private AB;DE;K;k@private.example']));
    const previewPath = res.headers.location ?? '';
    const foreign = await createTestOrganisation(t.deps, 'Region Import Foreign');
    const intruder = await loginAgent(t.app, foreign.buyer);
    await intruder.get(previewPath).expect(404);
    const csrf = await refreshCsrf(intruder, '/suppliers');
    await intruder.post(`${previewPath}/confirm`).type('form').send({ _csrf: csrf }).expect(404);
    await intruder.post(`${previewPath}/cancel`).type('form').send({ _csrf: csrf }).expect(404);
    const auditor = await loginAgent(t.app, org.auditor);
    await auditor.get(previewPath).expect(403);
    await auditor.get('/suppliers/import/template.csv').expect(403);
    assert.match((await buyer.get(`${previewPath}?show=new`).expect(200)).text, /Private AB/);
  });

  it('When the templates are downloaded, then each opens with its language\'s headers and reads back as an importable file', async () => {
    const csv = await buyer.get('/suppliers/import/template.csv?headers=sv').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    const csvBody = csv.body as Buffer;
    assert.deepEqual([...csvBody.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(csvBody.toString('utf8'), /Namn;Organisationsnummer;Id-typ;Land/);
    const xlsxRes = await buyer.get('/suppliers/import/template.xlsx?headers=en').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    assert.match(String(xlsxRes.headers['content-disposition']), /suppliers-template\.xlsx/);
    await assert.rejects(readTable(xlsxRes.body as Buffer), /noRows/, 'the template has headers only');
    await buyer.get('/suppliers/import/template.pdf').expect(404);
  });
});
