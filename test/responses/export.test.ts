/**
 * A campaign's answers as CSV and XLSX, read back with csv-parse and exceljs: one row per supplier with its latest
 * submission, headers in Swedish or English, a BOM for Excel, formula injection neutralised in both formats, rows in
 * supplier-name order across several database chunks, logged in the activity log; the API sends the same file.
 */
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApiToken } from '../../src/accounts';
import { createInvitation } from '../../src/campaigns/invitation-service';
import { listActivity } from '../../src/platform/activity';
import { neutralise } from '../../src/responses/export';
import { responseModel } from '../../src/responses/model';
import { createTestSupplier } from '../helpers/suppliers';
import { buildTestApp, loginAgent, refreshCsrf, type TestApp } from '../helpers/app';
import { answerQuestionnaire, binary } from './buyer-fixtures';
import { PDF } from './files';
import { BUYER_CONTACT, createSupplierLink, SAQ, type SupplierLink } from './fixtures';

type Table = Array<Record<string, string>>;

function csvTable(body: Buffer, delimiter: string): Table {
  return parse(body, { bom: true, delimiter, columns: true, relax_column_count: false }) as Table;
}

async function xlsxRows(body: Buffer): Promise<{ headers: string[]; rows: Array<Record<string, ExcelJS.CellValue>> }> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(body as unknown as ExcelJS.Buffer);
  const sheet = workbook.worksheets[0];
  assert.ok(sheet);
  const headers = (sheet.getRow(1).values as ExcelJS.CellValue[]).slice(1).map(String);
  const rows: Array<Record<string, ExcelJS.CellValue>> = [];
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const values = (row.values as ExcelJS.CellValue[]).slice(1);
    rows.push(Object.fromEntries(headers.map((h, i) => [h, values[i] ?? null])));
  });
  return { headers, rows };
}

describe('Campaign exports', () => {
  let t: TestApp;
  let link: SupplierLink;
  let campaignId: string;
  let reopenedId: string;

  before(async () => {
    t = await buildTestApp({ label: 'export' });
    link = await createSupplierLink(t, { supplierName: 'Bright Gloves Co' });
    campaignId = link.campaignId;
    await answerQuestionnaire(t, link, {
      answers: { company_name: '+SUM(1,2)', production_sites: '-2+3', registration_number: '@cmd|calc', workers_total: '1250', max_weekly_hours: '52', fire_drills: 'yes', last_fire_drill: '2025-11-03' },
      files: [{ questionId: 'payroll_sample', buffer: PDF, name: '=evil().pdf' }],
    });
    const { deps } = t;
    const organisationId = link.organisationId;
    const inCampaign = async (name: string, number: string): Promise<SupplierLink> => {
      const supplier = await createTestSupplier(deps, String(organisationId), {
        name,
        contacts: [{ name: 'Contact', email: `${number}@supplier.example`, language: 'sv' }],
      });
      return invitationFor(supplier._id.toHexString());
    };
    const invitationFor = async (supplierId: string): Promise<SupplierLink> => {
      const { token, url, invitation } = await createInvitation(deps, {
        organisationId,
        campaignId,
        supplierId,
        questionnaireId: SAQ.id,
        questionnaireVersion: SAQ.version,
        language: 'sv',
        buyerContact: BUYER_CONTACT,
      });
      return { ...link, token, url, path: `/s/${token}`, invitationId: invitation._id.toHexString(), supplierId };
    };
    // A supplier whose name a spreadsheet would run as a formula.
    await answerQuestionnaire(t, await inCampaign('=HYPERLINK("http://evil.example","click")', '556000-0001'), { answers: { workers_total: '7' } });
    const agent = await loginAgent(t.app, link.organisation.buyer);
    const csrf = await refreshCsrf(agent, '/');
    // A supplier that submitted, was asked for changes and submitted again through another of its links (every link
    // of a supplier opens the same response): the later submission is its row.
    const twice = await inCampaign('Åby Textil AB', '556000-0002');
    const first = (await answerQuestionnaire(t, twice, { answers: { workers_total: '10' } })).response._id.toHexString();
    await agent.post(`/responses/${first}/request-changes`).type('form').send({ _csrf: csrf, message: 'Recount' }).expect(303);
    t.clock.advance(60_000);
    await answerQuestionnaire(t, await invitationFor(twice.supplierId), { answers: { workers_total: '20' } });
    // Reopened for changes and being edited: exported as last submitted.
    const reopened = await inCampaign('Zeta Metall AB', '556000-0003');
    reopenedId = (await answerQuestionnaire(t, reopened, { answers: { workers_total: '30' } })).response._id.toHexString();
    await agent.post(`/responses/${reopenedId}/request-changes`).type('form').send({ _csrf: csrf, message: 'Check the head count' }).expect(303);
    await responseModel(t.deps.connection).updateOne({ _id: reopenedId }, { $set: { 'answers.workers_total.value': 31 } });
    // Only started: not exported.
    await answerQuestionnaire(t, await inCampaign('Draft Only AB', '556000-0004'), { submit: false });
  });
  after(async () => {
    await t.close();
  });

  it('When a buyer exports CSV in Swedish, then it is UTF-8 with a BOM, semicolon-separated, one row per supplier with its latest submission, in name order', async () => {
    const agent = await loginAgent(t.app, link.organisation.buyer);
    const res = await agent.get(`/campaigns/${campaignId}/export.csv?language=sv`).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(res.headers['content-disposition'] ?? '', /^attachment; filename="?Code-of-conduct-2026-2026-01-15\.csv"?$/);
    const body = res.body as Buffer;
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.match(body.toString('utf8'), /\r\n/);
    const table = csvTable(body, ';');
    assert.deepEqual(
      table.map((r) => r['Leverantör']),
      ["'=HYPERLINK(\"http://evil.example\",\"click\")", 'Bright Gloves Co', 'Zeta Metall AB', 'Åby Textil AB'],
      'Swedish order (Å after Z), drafts left out',
    );
    const byName = Object.fromEntries(table.map((r) => [r['Leverantör'], r]));
    const question = 'Hur många arbetstagare arbetar på dessa anläggningar, inklusive inhyrda och tillfälligt anställda?';
    assert.equal(byName['Åby Textil AB']?.[question], '20', 'the later of two submissions');
    assert.equal(byName['Zeta Metall AB']?.[question], '30', 'as last submitted, not the draft being changed');
    assert.equal(byName['Bright Gloves Co']?.[question], '1250');
    assert.equal(byName['Bright Gloves Co']?.['Företagets namn'], "'+SUM(1,2)");
    assert.equal(byName['Bright Gloves Co']?.['Vilka anläggningar tillverkar de avtalade produkterna?'], "'-2+3");
    assert.equal(byName['Bright Gloves Co']?.['Organisationsnummer eller motsvarande registreringsnummer'], "'@cmd|calc");
    assert.equal(byName['Bright Gloves Co']?.['Ladda upp lönelistor för den senaste månaden för minst fem arbetstagare'], "'=evil().pdf");
    assert.equal(byName['Bright Gloves Co']?.['Land där huvudkontoret ligger'], 'Sverige');
    assert.match(byName['Bright Gloves Co']?.['Röda flaggor'] ?? '', /^Kritisk: Nödutgångar är låsta eller blockerade, vilket är livsfarligt.; Hög: /);
    assert.equal(byName['Bright Gloves Co']?.['Intygat av'], 'Karin Lund');
    assert.equal(byName['Bright Gloves Co']?.['Inskickat'], '2026-01-15 10:00');
    for (const row of table) {
      for (const [header, value] of Object.entries(row)) assert.doesNotMatch(value, /^[=+\-@\t\r]/, `${header}: ${value}`);
    }
  });

  it('When CSV is exported in English with question ids as headers, then it is comma-separated with English values', async () => {
    const agent = await loginAgent(t.app, link.organisation.auditor);
    const res = await agent.get(`/campaigns/${campaignId}/export.csv?language=en&columns=ids`).buffer(true).parse(binary).expect(200);
    const table = csvTable(res.body as Buffer, ',');
    const row = table.find((r) => r.supplier_name === 'Bright Gloves Co');
    assert.ok(row);
    assert.equal(row.head_office_country, 'Sweden');
    assert.equal(row.policy_commitment, 'No');
    assert.equal(row.workers_total, '1250');
    assert.equal(row.payroll_sample, "'=evil().pdf");
    assert.equal(row.submission_number, '1');
    assert.equal(row.last_fire_drill, '2025-11-03');
    assert.ok('risk_analysis__documents' in row, 'documents asked for beside an answer have their own column');
    const semicolon = await agent.get(`/campaigns/${campaignId}/export.csv?language=en&delimiter=semicolon`).buffer(true).parse(binary).expect(200);
    assert.equal(csvTable(semicolon.body as Buffer, ';').length, 4);
  });

  it('When XLSX is exported, then numbers are numbers, dates are dates and text cells that look like formulas are neutralised', async () => {
    const agent = await loginAgent(t.app, link.organisation.admin);
    const res = await agent.get(`/campaigns/${campaignId}/export.xlsx?language=en`).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const { headers, rows } = await xlsxRows(res.body as Buffer);
    assert.equal(headers[0], 'Supplier');
    assert.equal(rows.length, 4);
    const bright = rows.find((r) => r.Supplier === 'Bright Gloves Co');
    assert.ok(bright);
    assert.equal(bright['Company name'], "'+SUM(1,2)");
    assert.equal(bright['How many workers work at these sites, including agency and temporary workers?'], 1250);
    assert.equal(bright.Submission, 1);
    assert.deepEqual(bright['Date of the latest fire drill'], new Date('2025-11-03T00:00:00Z'));
    const evil = rows.find((r) => String(r.Supplier).includes('HYPERLINK'));
    assert.equal(evil?.Supplier, "'=HYPERLINK(\"http://evil.example\",\"click\")");
    for (const row of rows) {
      for (const [header, value] of Object.entries(row)) {
        assert.ok(typeof value !== 'object' || value === null || value instanceof Date, `${header} holds no formula object`);
        if (typeof value === 'string') assert.doesNotMatch(value, /^[=+\-@\t\r]/, `${header}: ${value}`);
      }
    }
  });

  it('When an export is made, then the activity log records who exported which campaign in which format', async () => {
    const agent = await loginAgent(t.app, link.organisation.buyer);
    await agent.get(`/campaigns/${campaignId}/export.xlsx?language=sv`).buffer(true).parse(binary).expect(200);
    const { entries } = await listActivity(t.deps.connection, link.organisationId, { action: 'export.' });
    const entry = entries.find((e) => e.details.format === 'xlsx' && e.details.language === 'sv');
    assert.ok(entry);
    assert.equal(entry.subject, `campaign:${campaignId}`);
    assert.equal(entry.actor.id, link.organisation.buyer.id);
    assert.equal(entry.details.rows, 4);
    assert.equal(entry.details.via, 'page');
  });

  it('When export options are not valid, then 400 and nothing is logged', async () => {
    const agent = await loginAgent(t.app, link.organisation.buyer);
    const before = (await listActivity(t.deps.connection, link.organisationId, { action: 'export.' })).total;
    await agent.get(`/campaigns/${campaignId}/export.csv?language=de`).expect(400);
    await agent.get(`/campaigns/${campaignId}/export.csv?delimiter=tab`).expect(400);
    await agent.get(`/campaigns/${campaignId}/export.csv?columns=a&columns=b`).expect(400);
    assert.equal((await listActivity(t.deps.connection, link.organisationId, { action: 'export.' })).total, before);
  });

  it('When the API exports CSV, then it is the same file as the page\'s, scoped to the token\'s organisation', async () => {
    const { token } = await createApiToken(t.deps.connection, { organisationId: link.organisationId, name: 'BI' }, t.clock.now());
    const other = await createSupplierLink(t);
    const { token: foreign } = await createApiToken(t.deps.connection, { organisationId: other.organisationId, name: 'Other' }, t.clock.now());
    const api = await request(t.app).get(`/api/v1/campaigns/${campaignId}/export.csv?language=en`).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary).expect(200);
    assert.equal(api.headers['content-type'], 'text/csv; charset=utf-8');
    const page = await (await loginAgent(t.app, link.organisation.buyer)).get(`/campaigns/${campaignId}/export.csv?language=en`).buffer(true).parse(binary).expect(200);
    assert.deepEqual(csvTable(api.body as Buffer, ','), csvTable(page.body as Buffer, ','));
    const xlsx = await request(t.app).get(`/api/v1/campaigns/${campaignId}/export.xlsx`).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary).expect(200);
    assert.equal((await xlsxRows(xlsx.body as Buffer)).rows.length, 4);
    await request(t.app).get(`/api/v1/campaigns/${campaignId}/export.csv`).set('Authorization', `Bearer ${foreign}`).expect(404);
    const bad = await request(t.app).get(`/api/v1/campaigns/${campaignId}/export.csv?delimiter=tab`).set('Authorization', `Bearer ${token}`).expect(400);
    assert.equal(bad.body.error.field, 'query.delimiter');
    const { entries } = await listActivity(t.deps.connection, link.organisationId, { action: 'export.campaign_answers', actorKind: 'api' });
    assert.equal(entries[0]?.actor.name, 'BI');
  });

  it('When a cell starts with a formula character, then it gets a leading apostrophe; other text is left alone', () => {
    for (const text of ['=1+1', '+1', '-1', '@A1', '\tx', '\rx']) assert.equal(neutralise(text), `'${text}`);
    for (const text of ['Ja', '1250', 'a=b', ' =x', "'quoted"]) assert.equal(neutralise(text), text);
  });
});

describe('Campaign export across many suppliers', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'export_many' });
  });
  after(async () => {
    await t.close();
  });

  it('When a campaign has more suppliers than one database chunk, then every submitted supplier is one row, in name order, streamed', async () => {
    const link = await createSupplierLink(t);
    const template = (await answerQuestionnaire(t, link)).response;
    const count = 450;
    const suppliers = [];
    for (let i = 0; i < count; i += 1) {
      suppliers.push(
        await createTestSupplier(t.deps, String(link.organisationId), {
          name: `Supplier ${String(count - i).padStart(4, '0')}`,
          contacts: [{ name: 'C', email: `c${i}@example.com`, language: 'sv' }],
        }),
      );
    }
    await responseModel(t.deps.connection).collection.insertMany(
      suppliers.map((s) => ({ ...template, _id: new mongoose.Types.ObjectId(), invitationId: new mongoose.Types.ObjectId(), supplierId: s._id })),
    );
    const agent = await loginAgent(t.app, link.organisation.buyer);
    const res = await agent.get(`/campaigns/${link.campaignId}/export.csv?language=en&columns=ids`).buffer(true).parse(binary).expect(200);
    assert.equal(res.headers['content-length'], undefined, 'streamed, not built whole');
    const table = csvTable(res.body as Buffer, ',');
    assert.equal(table.length, count + 1);
    const names = table.map((r) => r.supplier_name ?? '');
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'en')));
    assert.equal(new Set(names).size, count + 1);
    const { rows } = await xlsxRows((await agent.get(`/campaigns/${link.campaignId}/export.xlsx`).buffer(true).parse(binary).expect(200)).body as Buffer);
    assert.equal(rows.length, count + 1);
  });
});
