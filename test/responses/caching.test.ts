/**
 * The supplier caches (SUPPLIER_CACHE_MS): invitations and responses kept per database connection, rendered section
 * pages kept per app. What must hold: this instance's own writes and revocations show on the very next request,
 * another instance's within the cache time, nothing when the cache time is 0, and a cached page is never served to
 * anyone it was not rendered for (other language, notice or browser).
 */
import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import mongoose from 'mongoose';
import request from 'supertest';
import { invitationModel } from '../../src/campaigns/invitation-model';
import { hashToken, resolveInvitation, revokeInvitation } from '../../src/campaigns/invitation-service';
import { responseModel, type ResponseData } from '../../src/responses/model';
import { createRenderedPages, type SectionPageKey } from '../../src/responses/page-cache';
import { cachedResponse, forgetResponse, rememberResponse } from '../../src/responses/response-cache';
import { buildSecondInstance, buildTestApp, extractCsrfToken, type SecondInstance, type TestApp } from '../helpers/app';
import { createSupplierLink, openSection, sectionForm, type SupplierLink } from './fixtures';

const SECTION = 'company_profile';
const DAY_MS = 86_400_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The value the company name field shows; undefined when the page has no such field. */
function shownCompanyName(html: string): string | undefined {
  return /name="answers\[company_name\]" value="([^"]*)"/.exec(html)?.[1];
}

function sectionPath(link: SupplierLink): string {
  return `${link.path}/section/${SECTION}`;
}

async function saveCompanyName(agent: request.Agent, link: SupplierLink, csrf: string, name: string): Promise<void> {
  await agent.post(sectionPath(link)).type('form').send(sectionForm(csrf, { company_name: name }, { action: 'save' })).expect(303);
}

describe('Supplier caches: this instance', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'supplier_cache', config: { supplierCacheMs: 5_000 } });
  });
  after(async () => {
    await t.close();
  });

  it('When a link just served from the cache is revoked, then the very next request gets 410', async () => {
    const link = await createSupplierLink(t);
    const { agent } = await openSection(t.app, sectionPath(link));
    await agent.get(sectionPath(link)).expect(200);
    assert.equal(await revokeInvitation(t.deps, link.invitationId, link.organisationId), true);
    const gone = await agent.get(sectionPath(link)).set('Accept-Language', 'en').expect(410);
    assert.match(gone.text, /The buyer has withdrawn this link/);
    await agent.post(`${link.path}/autosave`).send({}).expect(403);
  });

  it('When a link just served from the cache expires, then the very next request gets 410', async () => {
    const link = await createSupplierLink(t, { expiresInDays: 1 });
    const { agent } = await openSection(t.app, sectionPath(link));
    await agent.get(sectionPath(link)).expect(200);
    t.clock.advance(DAY_MS);
    const expired = await agent.get(sectionPath(link)).set('Accept-Language', 'en').expect(410);
    assert.match(expired.text, /This link has expired/);
  });

  it('When a lookup read the link just before it was revoked and finishes after, then the revocation still holds on the next request', async () => {
    const link = await createSupplierLink(t);
    const collection = invitationModel(t.deps.connection).collection;
    const original = collection.findOne;
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A slow reply: the lookup has its (not yet revoked) invitation, but its code runs on only after the revocation.
    collection.findOne = async function slowFindOne(this: typeof collection, ...args: unknown[]) {
      const found: unknown = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      readDone();
      await gate;
      return found;
    } as typeof collection.findOne;
    let pending: ReturnType<typeof resolveInvitation>;
    try {
      pending = resolveInvitation(t.deps, link.token);
      await read;
    } finally {
      collection.findOne = original;
    }
    assert.equal(await revokeInvitation(t.deps, link.invitationId, link.organisationId), true);
    release();
    assert.equal((await pending).status, 'valid', 'the lookup that started before the revocation may still pass');
    assert.equal((await resolveInvitation(t.deps, link.token)).status, 'revoked');
  });

  it('When answers are saved by form or autosave after the page was cached, then the next page view shows them', async () => {
    const link = await createSupplierLink(t);
    const { agent, csrf, html } = await openSection(t.app, sectionPath(link));
    assert.equal(shownCompanyName(html), '');
    assert.equal(shownCompanyName((await agent.get(sectionPath(link)).expect(200)).text), '');

    await saveCompanyName(agent, link, csrf, 'Nordisk Vårdtextil AB');
    assert.equal(shownCompanyName((await agent.get(sectionPath(link)).expect(200)).text), 'Nordisk Vårdtextil AB');

    await agent.post(`${link.path}/autosave`).set('x-csrf-token', csrf).send({ sectionId: SECTION, answers: { company_name: 'Borås Väveri AB' } }).expect(200);
    assert.equal(shownCompanyName((await agent.get(sectionPath(link)).expect(200)).text), 'Borås Väveri AB');
  });

  it('When the same section is asked for in another language or with a notice, then each gets its own page', async () => {
    const link = await createSupplierLink(t, { language: 'en' });
    const { agent } = await openSection(t.app, sectionPath(link));
    const english = await agent.get(`${sectionPath(link)}?lang=en`).expect(200);
    assert.match(english.text, /<html lang="en">/);
    const swedish = await agent.get(`${sectionPath(link)}?lang=sv`).expect(200);
    assert.match(swedish.text, /<html lang="sv">/);
    assert.match(swedish.text, /Spara och fortsätt/);
    assert.match((await agent.get(`${sectionPath(link)}?lang=en`).expect(200)).text, /<html lang="en">/);

    const withNotice = await agent.get(`${sectionPath(link)}?notice=saved`).expect(200);
    assert.match(withNotice.text, /Your answers have been saved\./);
    const plain = await agent.get(sectionPath(link)).expect(200);
    assert.doesNotMatch(plain.text, /Your answers have been saved\./);
    const again = await agent.get(`${sectionPath(link)}?notice=saved`).expect(200);
    assert.match(again.text, /Your answers have been saved\./);
    assert.equal(again.headers['cache-control'], 'no-store', 'a page served from the cache keeps the supplier headers');
  });

  it('When a second browser opens a page the first one has cached, then it gets its own CSRF token, which works for its own posts', async () => {
    const link = await createSupplierLink(t);
    const first = await openSection(t.app, sectionPath(link));
    await first.agent.get(sectionPath(link)).expect(200);
    const second = await openSection(t.app, sectionPath(link));
    assert.notEqual(second.csrf, first.csrf);
    await saveCompanyName(second.agent, link, second.csrf, 'Second Browser AB');
    assert.equal(shownCompanyName((await second.agent.get(sectionPath(link)).expect(200)).text), 'Second Browser AB');
    // The first browser's token stays its own: it still works there and not in the second browser.
    await saveCompanyName(first.agent, link, first.csrf, 'First Browser AB');
    await second.agent.post(sectionPath(link)).type('form').send(sectionForm(first.csrf, { company_name: 'Forged AB' }, { action: 'save' })).expect(403);
  });

  it('When a browser without cookies opens a page, then its token is not the one in another browser\'s page', async () => {
    const link = await createSupplierLink(t);
    const pages = await Promise.all([1, 2, 3].map(() => request(t.app).get(sectionPath(link)).expect(200)));
    const tokens = new Set(pages.map((page) => extractCsrfToken(page.text)));
    assert.equal(tokens.size, 3);
  });

  it('When a link that was just refused as unknown is then created in the database, then the next request finds it', async () => {
    const template = await createSupplierLink(t);
    const token = `${'Z'.repeat(30)}${new ObjectId().toHexString().slice(0, 13)}`;
    await request(t.app).get(`/s/${token}`).expect(404);
    assert.deepEqual(await resolveInvitation(t.deps, token), { status: 'unknown' });
    const source = await invitationModel(t.deps.connection).collection.findOne({ _id: new ObjectId(template.invitationId) });
    assert.ok(source);
    await invitationModel(t.deps.connection).collection.insertOne({ ...source, _id: new ObjectId(), tokenHash: hashToken(token) });
    assert.equal((await resolveInvitation(t.deps, token)).status, 'valid');
    const { html } = await openSection(t.app, `/s/${token}/section/${SECTION}`);
    assert.match(html, /name="answers\[company_name\]"/);
  });
});

describe('Supplier caches: two app instances on one database', () => {
  const CACHE_MS = 300;
  let a: TestApp;
  let b: SecondInstance;

  before(async () => {
    a = await buildTestApp({ label: 'supplier_cache_two', config: { supplierCacheMs: CACHE_MS } });
    b = await buildSecondInstance(a);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('When instance B saves an answer, then instance A shows it once its cached copy is older than the cache time', async () => {
    const link = await createSupplierLink(a);
    const onB = await openSection(b.app, sectionPath(link));
    const onA = await openSection(a.app, sectionPath(link));
    assert.equal(shownCompanyName(onA.html), '');
    const cachedAt = Date.now();
    await saveCompanyName(onB.agent, link, onB.csrf, 'Saved On B AB');
    assert.equal(shownCompanyName((await onB.agent.get(sectionPath(link)).expect(200)).text), 'Saved On B AB', 'B sees its own write at once');
    const stale = await onA.agent.get(sectionPath(link)).expect(200);
    assert.ok(Date.now() - cachedAt < CACHE_MS, 'the test ran too slowly to see the cached state');
    assert.equal(shownCompanyName(stale.text), '', 'A still serves its cached copy');
    await sleep(CACHE_MS + 50);
    assert.equal(shownCompanyName((await onA.agent.get(sectionPath(link)).expect(200)).text), 'Saved On B AB');
  });

  it('When both instances autosave different answers of one response from stale copies, then both answers are kept', async () => {
    const link = await createSupplierLink(a);
    const onA = await openSection(a.app, sectionPath(link));
    const onB = await openSection(b.app, sectionPath(link));
    const autosave = (side: typeof onA, answers: Record<string, string>) =>
      side.agent.post(`${link.path}/autosave`).set('x-csrf-token', side.csrf).send({ sectionId: SECTION, answers }).expect(200);
    // Each instance holds the response at the same revision; each write finds the other's first.
    await autosave(onA, { company_name: 'From A AB' });
    await autosave(onB, { registration_number: '556677-8899' });
    await autosave(onA, { head_office_country: 'SE' });
    const stored = await responseModel(a.deps.connection).findOne({ invitationId: new ObjectId(link.invitationId) }).lean<ResponseData>();
    const answers = stored?.answers as Record<string, { value: unknown }>;
    assert.equal(answers.company_name?.value, 'From A AB');
    assert.equal(answers.registration_number?.value, '556677-8899');
    assert.equal(answers.head_office_country?.value, 'SE');
    // A's last write met B's and started again from the stored state, so A now shows B's answer without waiting.
    const page = await onA.agent.get(sectionPath(link)).expect(200);
    assert.match(page.text, /name="answers\[registration_number\]" value="556677-8899"/);
  });

  it('When instance B revokes a link, then instance A refuses it once its cached copy is older than the cache time', async () => {
    const link = await createSupplierLink(a);
    const onA = await openSection(a.app, sectionPath(link));
    const cachedAt = Date.now();
    assert.equal(await revokeInvitation(b.deps, link.invitationId, link.organisationId), true);
    await request(b.app).get(sectionPath(link)).expect(410);
    await onA.agent.get(sectionPath(link)).expect(200);
    assert.ok(Date.now() - cachedAt < CACHE_MS, 'the test ran too slowly to see the cached state');
    await sleep(CACHE_MS + 50);
    await onA.agent.get(sectionPath(link)).expect(410);
  });
});

describe('Supplier caches: SUPPLIER_CACHE_MS=0', () => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp({ label: 'supplier_cache_off', config: { supplierCacheMs: 0 } });
  });
  after(async () => {
    await t.close();
  });

  it('When an answer is written straight into the database, then the very next page shows it', async () => {
    const link = await createSupplierLink(t);
    const { agent, html } = await openSection(t.app, sectionPath(link));
    assert.equal(shownCompanyName(html), '');
    // No revision bump: with caching on, neither the response cache nor the page cache would notice this write.
    const written = await responseModel(t.deps.connection).collection.updateOne(
      { invitationId: new ObjectId(link.invitationId) },
      { $set: { 'answers.company_name': { value: 'Written Directly AB', updatedAt: new Date() } } },
    );
    assert.equal(written.modifiedCount, 1);
    assert.equal(shownCompanyName((await agent.get(sectionPath(link)).expect(200)).text), 'Written Directly AB');
  });

  it('When revokedAt is set straight in the database, then the very next request gets 410', async () => {
    const link = await createSupplierLink(t);
    const { agent } = await openSection(t.app, sectionPath(link));
    await invitationModel(t.deps.connection).collection.updateOne({ _id: new ObjectId(link.invitationId) }, { $set: { revokedAt: new Date() } });
    await agent.get(sectionPath(link)).expect(410);
  });
});

describe('Response cache (response-cache.ts)', () => {
  let connection: mongoose.Connection;
  beforeEach(() => {
    // Caches are per connection: a fresh, never opened one per test keeps them apart and does no I/O.
    connection = mongoose.createConnection();
  });
  afterEach(async () => {
    await connection.close();
  });

  /** One response per invitation, as in the database (a unique index on invitationId). */
  const responseIds = new Map<string, mongoose.Types.ObjectId>();
  function responseIdFor(invitationId: mongoose.Types.ObjectId): mongoose.Types.ObjectId {
    const key = invitationId.toHexString();
    const id = responseIds.get(key) ?? new mongoose.Types.ObjectId();
    responseIds.set(key, id);
    return id;
  }

  function response(invitationId: mongoose.Types.ObjectId, revision: number, companyName: string, id = responseIdFor(invitationId)): ResponseData {
    return {
      _id: id,
      invitationId,
      organisationId: new mongoose.Types.ObjectId(),
      campaignId: new mongoose.Types.ObjectId(),
      supplierId: new mongoose.Types.ObjectId(),
      questionnaireId: 'code-of-conduct-saq',
      questionnaireVersion: 1,
      definitionHash: 'f'.repeat(64),
      status: 'draft',
      answers: { company_name: { value: companyName, updatedAt: new Date() } },
      evidence: [],
      revision,
    };
  }

  it('When an older revision arrives after a newer one, then the newer one is kept and returned', () => {
    const invitationId = new mongoose.Types.ObjectId();
    const newer = response(invitationId, 5, 'Newer AB');
    assert.equal(rememberResponse(connection, newer, 5_000), newer);
    assert.equal(rememberResponse(connection, response(invitationId, 4, 'Older AB'), 5_000), newer);
    assert.equal(cachedResponse(connection, invitationId, 5_000), newer);
    const newest = response(invitationId, 6, 'Newest AB');
    assert.equal(rememberResponse(connection, newest, 5_000), newest);
    assert.equal(cachedResponse(connection, invitationId, 5_000), newest);
  });

  it('When the response behind an invitation was replaced (another _id), then the new one is kept whatever its revision', () => {
    const invitationId = new mongoose.Types.ObjectId();
    rememberResponse(connection, response(invitationId, 7, 'Old AB'), 5_000);
    const replacement = response(invitationId, 0, 'New AB', new mongoose.Types.ObjectId());
    assert.equal(rememberResponse(connection, replacement, 5_000), replacement);
    assert.equal(cachedResponse(connection, invitationId, 5_000), replacement);
  });

  it('When a response is cached, then it is frozen so no request can change it for the others', () => {
    const cached = rememberResponse(connection, response(new mongoose.Types.ObjectId(), 1, 'Frozen AB'), 5_000);
    assert.ok(Object.isFrozen(cached));
  });

  it('When the cache time is 0, then nothing is kept', () => {
    const invitationId = new mongoose.Types.ObjectId();
    const copy = response(invitationId, 1, 'Uncached AB');
    assert.equal(rememberResponse(connection, copy, 0), copy);
    assert.equal(cachedResponse(connection, invitationId, 5_000), undefined);
    rememberResponse(connection, copy, 5_000);
    assert.equal(cachedResponse(connection, invitationId, 0), undefined, 'a caller with cache time 0 never reads the cache');
  });

  it('When the cache time has passed or the entry was forgotten, then nothing is returned', async () => {
    const expiring = new mongoose.Types.ObjectId();
    rememberResponse(connection, response(expiring, 1, 'Short Lived AB'), 30);
    assert.ok(cachedResponse(connection, expiring, 30));
    await sleep(60);
    assert.equal(cachedResponse(connection, expiring, 30), undefined);
    // An expired copy no longer shadows an older revision read afterwards (e.g. after a restore).
    const older = response(expiring, 0, 'Read Later AB');
    assert.equal(rememberResponse(connection, older, 5_000), older);

    const forgotten = new mongoose.Types.ObjectId();
    rememberResponse(connection, response(forgotten, 3, 'Forgotten AB'), 5_000);
    forgetResponse(connection, forgotten);
    assert.equal(cachedResponse(connection, forgotten, 5_000), undefined);
  });

  it('When two connections cache the same invitation, then neither sees the other\'s copy', async () => {
    const other = mongoose.createConnection();
    try {
      const invitationId = new mongoose.Types.ObjectId();
      rememberResponse(connection, response(invitationId, 1, 'Mine AB'), 5_000);
      assert.equal(cachedResponse(other, invitationId, 5_000), undefined);
    } finally {
      await other.close();
    }
  });
});

describe('Rendered section pages (page-cache.ts)', () => {
  const key: SectionPageKey = {
    responseId: new ObjectId().toHexString(),
    revision: 3,
    sectionId: SECTION,
    lang: 'en',
    notice: undefined,
    csrfToken: 'token-of-browser-a',
    supplierName: 'Supplier 1 AB',
    linkExpiresAt: new Date('2026-03-01T00:00:00Z'),
  };

  it('When any part of the key differs, then the page is not served', () => {
    const pages = createRenderedPages(5_000);
    pages.set(key, Buffer.from('<p>page</p>'));
    assert.equal(pages.get({ ...key })?.toString(), '<p>page</p>');
    const variants: Array<Partial<SectionPageKey>> = [
      { responseId: new ObjectId().toHexString() },
      { revision: 4 },
      { sectionId: 'child_labour' },
      { lang: 'sv' },
      { notice: 'saved' },
      { csrfToken: 'token-of-browser-b' },
      { supplierName: 'Renamed AB' },
      { supplierName: undefined },
      { linkExpiresAt: new Date('2026-04-01T00:00:00Z') },
    ];
    for (const variant of variants) assert.equal(pages.get({ ...key, ...variant }), undefined, `served despite ${JSON.stringify(variant)}`);
  });

  it('When the cache time is 0 or has passed, then nothing is served', async () => {
    const off = createRenderedPages(0);
    off.set(key, Buffer.from('<p>page</p>'));
    assert.equal(off.get(key), undefined);
    const short = createRenderedPages(30);
    short.set(key, Buffer.from('<p>page</p>'));
    assert.equal(short.get(key)?.toString(), '<p>page</p>');
    await sleep(60);
    assert.equal(short.get(key), undefined);
  });
});
