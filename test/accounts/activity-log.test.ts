import assert from 'node:assert/strict';
import { recordActivities, recordActivity, ref } from '../../src/platform/activity';
import { endOfLocalDay, startOfLocalDay } from '../../src/platform/local-day';
import { neutraliseFormula } from '../../src/platform/csv';
import { buildTestApp, createTestOrganisation, loginAgent, type TestApp, type TestOrganisation } from '../helpers/app';

const DAY = 24 * 60 * 60 * 1000;

describe('calendar days in Stockholm', () => {
  it('When a date is given, then its day starts at Stockholm midnight, in winter and in summer', () => {
    assert.equal(startOfLocalDay('2026-01-15')?.toISOString(), '2026-01-14T23:00:00.000Z');
    assert.equal(startOfLocalDay('2026-07-01')?.toISOString(), '2026-06-30T22:00:00.000Z');
    assert.equal(endOfLocalDay('2026-03-29')?.toISOString(), '2026-03-29T21:59:59.999Z', 'the day summer time starts has 23 hours');
    assert.equal(startOfLocalDay('2026-02-30'), undefined);
    assert.equal(startOfLocalDay('15/01/2026'), undefined);
  });

  it('When a CSV cell starts like a formula, then it is neutralised; other cells are left alone', () => {
    for (const cell of ['=1+1', '+46 8 123', '-2', '@SUM(A1)', '\tx', '\rx']) assert.equal(neutraliseFormula(cell), `'${cell}`);
    for (const cell of ['Region', '', '1-2', 'a=b']) assert.equal(neutraliseFormula(cell), cell);
  });
});

/** The table of entries, without the filter form (whose choices name every action). */
function entriesOf(html: string): string {
  return /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
}

describe('activity log page and CSV', () => {
  let t: TestApp;
  let org: TestOrganisation;
  let other: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'activity_log' });
    org = await createTestOrganisation(t.deps, 'Log Region');
    other = await createTestOrganisation(t.deps, 'Quiet Region');
    const start = t.clock.now().getTime();
    const admin = { kind: 'user' as const, id: org.admin.id, name: 'admin of Log Region' };
    await recordActivities(t.deps.connection, [
      { organisationId: org.id, actor: admin, action: 'user.deactivated', subject: ref('user', org.buyer.id), details: { name: 'buyer of Log Region', email: org.buyer.email }, at: new Date(start - 3 * DAY) },
      { organisationId: org.id, actor: admin, action: 'user.reactivated', subject: ref('user', org.buyer.id), details: { name: 'buyer of Log Region', email: org.buyer.email }, at: new Date(start - 2 * DAY) },
      { organisationId: org.id, actor: { kind: 'supplier', id: 'inv1', name: 'Karin Lund' }, action: 'response.noted', subject: ref('response', 'r1'), refs: [ref('supplier', 's1')], at: new Date(start - DAY) },
      { organisationId: org.id, actor: { kind: 'user', id: 'u9', name: '=HYPERLINK("http://evil.example","Click")' }, action: 'supplier.created', subject: ref('supplier', 's2'), at: new Date(start) },
      { organisationId: other.id, actor: { kind: 'user', id: other.admin.id, name: 'Quiet admin' }, action: 'user.deactivated', subject: ref('user', other.buyer.id), details: { name: 'quiet secret' }, at: new Date(start) },
    ]);
    for (let index = 0; index < 60; index += 1) {
      await recordActivity(t.deps.connection, { organisationId: org.id, actor: { kind: 'system', name: 'system' }, action: 'reminder.sent', subject: ref('invitation', `i${index}`), at: new Date(start - 10 * DAY + index) });
    }
  });
  after(async () => {
    await t.close();
  });

  it('When an admin opens the log, then entries read as sentences, newest first, only their organisation’s, paged', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const page = await agent.get('/admin/activity?lang=en').expect(200);
    assert.match(page.text, /admin of Log Region deactivated buyer of Log Region/);
    assert.match(page.text, /admin of Log Region reactivated buyer of Log Region/);
    assert.match(page.text, /Karin Lund: response\.noted \(response:r1\)/, 'an action without a sentence yet reads generically');
    assert.doesNotMatch(page.text, /quiet secret|Quiet admin/);
    assert.match(page.text, /Page 1 of 2/);
    const second = await agent.get('/admin/activity?lang=en&page=2').expect(200);
    assert.match(second.text, /Page 2 of 2/);
  });

  it('When the log is filtered by family, actor, record and dates, then only matching entries show', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const byFamily = entriesOf((await agent.get('/admin/activity?lang=en&action=user.').expect(200)).text);
    assert.match(byFamily, /deactivated buyer/);
    assert.doesNotMatch(byFamily, /response\.noted|reminder\.sent/);
    const byActor = entriesOf((await agent.get('/admin/activity?lang=en&actor=supplier').expect(200)).text);
    assert.match(byActor, /Karin Lund/);
    assert.doesNotMatch(byActor, /deactivated buyer/);
    const byPerson = entriesOf((await agent.get(`/admin/activity?lang=en&actor=user:${org.admin.id}`).expect(200)).text);
    assert.match(byPerson, /deactivated buyer/);
    assert.doesNotMatch(byPerson, /Karin Lund/);
    const byRecord = await agent.get('/admin/activity?lang=en&ref=supplier:s1').expect(200);
    assert.match(entriesOf(byRecord.text), /Karin Lund/);
    assert.match(byRecord.text, /1 entry/);
    const day = new Date(t.clock.now().getTime() - 2 * DAY).toISOString().slice(0, 10);
    const byDate = entriesOf((await agent.get(`/admin/activity?lang=en&from=${day}&to=${day}`).expect(200)).text);
    assert.match(byDate, /reactivated buyer/);
    assert.doesNotMatch(byDate, /deactivated buyer|Karin Lund/);
  });

  it('When a filter is malformed or an injection, then 400 naming the field', async () => {
    const agent = await loginAgent(t.app, org.admin);
    for (const [query, field] of [['from=yesterday', 'from'], ['to=2026-02-30', 'to'], ['actor=root', 'actor'], ['ref=nope', 'ref'], ['action=%24ne', 'action'], ['page=0', 'page']]) {
      const res = await agent.get(`/admin/activity?lang=en&${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.text, new RegExp(`The filter ${field} is not valid`), query);
    }
    // Brackets make no operator: the query parser keeps `action[$ne]` as a key of its own, which the filter ignores.
    await agent.get('/admin/activity?action[$ne]=x').expect(200);
  });

  it('When the filtered log is downloaded, then it is a UTF-8 CSV with BOM, Excel’s separator for the language, every matching entry and formulas neutralised', async () => {
    const agent = await loginAgent(t.app, org.admin);
    const sv = await agent.get('/admin/activity/export.csv?lang=sv').buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
    assert.equal(sv.status, 200);
    assert.match(String(sv.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(sv.headers['content-disposition']), /attachment; filename="activity-\d{4}-\d{2}-\d{2}\.csv"/);
    const body = sv.body as Buffer;
    assert.deepEqual([...body.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = body.toString('utf8').slice(1).trimEnd().split('\r\n');
    assert.match(lines[0] ?? '', /^Tid \(UTC\);Tid \(Stockholm\);Typ av aktör;/);
    assert.equal(lines.filter((line) => !/;(user\.logged_in|activity\.exported);/.test(line)).length, 1 + 64);
    assert.match(lines[1] ?? '', /;activity\.exported;.* laddade ner aktivitetsloggen som CSV/, 'the export itself is logged, first');
    const hostile = lines.find((line) => line.includes('supplier.created'));
    assert.match(hostile ?? '', /;"'=HYPERLINK\(""http:\/\/evil\.example"",""Click""\)";/, 'the actor cell is neutralised');
    assert.doesNotMatch(hostile ?? '', /;"=HYPERLINK/, 'no cell starts with a formula');
    assert.doesNotMatch(body.toString('utf8'), /quiet secret/);
    const en = await agent.get('/admin/activity/export.csv?lang=en&action=user.deactivated').expect(200);
    const enLines = en.text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    assert.match(enLines[0] ?? '', /^Time \(UTC\),Time \(Stockholm\),Actor kind,/);
    assert.equal(enLines.length, 2);
    const exports = await agent.get('/admin/activity?lang=en&action=activity.exported').expect(200);
    assert.match(entriesOf(exports.text), /admin of Log Region downloaded the activity log as CSV \(filter: action=user.deactivated\)/);
  });

  it('When a buyer asks for the log or its CSV, then 403', async () => {
    const agent = await loginAgent(t.app, org.buyer);
    await agent.get('/admin/activity').expect(403);
    await agent.get('/admin/activity/export.csv').expect(403);
  });
});
