import assert from 'node:assert/strict';
import { listActivity } from '../../src/platform/activity';
import { attemptLogin } from '../../src/accounts/login';
import { LOGIN_PER_ACCOUNT, LOGIN_PER_IP, THROTTLE_CLEANUP_JOB } from '../../src/accounts/throttle';
import { agentWithCsrf, buildSecondInstance, buildTestApp, createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';

const MINUTE = 60 * 1000;

describe('login throttling (service)', () => {
  let t: TestApp;
  let org: TestOrganisation;
  beforeEach(async () => {
    t = await buildTestApp({ label: 'throttle' });
    org = await createTestOrganisation(t.deps, 'Throttle Region');
  });
  afterEach(async () => {
    await t.close();
  });

  it('When one account is guessed from many addresses, then it is blocked after the per-account limit, even for its right password', async () => {
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit - 1; attempt += 1) {
      const outcome = await attemptLogin(t.deps, { email: org.buyer.email, password: `wrong-${attempt}`, ip: `203.0.113.${attempt + 1}` });
      assert.equal(outcome.kind, 'refused');
    }
    const last = await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong-last', ip: '198.51.100.7' });
    assert.equal(last.kind, 'throttled', 'the attempt that reaches the limit says so');
    const right = await attemptLogin(t.deps, { email: org.buyer.email, password: org.buyer.password, ip: '192.0.2.99' });
    assert.equal(right.kind, 'throttled');
    assert.equal(right.kind === 'throttled' && right.retryAfterMs, LOGIN_PER_ACCOUNT.blockMs);
    // Another account from the same addresses is not affected.
    assert.equal((await attemptLogin(t.deps, { email: org.auditor.email, password: org.auditor.password, ip: '203.0.113.1' })).kind, 'success');
  });

  it('When the block has run out (by the clock), then the right password works and resets the count', async () => {
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit; attempt += 1) await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' });
    t.clock.advance(LOGIN_PER_ACCOUNT.blockMs - 1000);
    assert.equal((await attemptLogin(t.deps, { email: org.buyer.email, password: org.buyer.password, ip: '203.0.113.1' })).kind, 'throttled');
    t.clock.advance(2000);
    assert.equal((await attemptLogin(t.deps, { email: org.buyer.email, password: org.buyer.password, ip: '203.0.113.1' })).kind, 'success');
    // After a success the account starts from zero: limit - 1 failures do not block it.
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit - 1; attempt += 1) {
      assert.equal((await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' })).kind, 'refused');
    }
  });

  it('When failures are spread over more than the window, then they do not add up', async () => {
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit - 1; attempt += 1) await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' });
    t.clock.advance(LOGIN_PER_ACCOUNT.windowMs + MINUTE);
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit - 1; attempt += 1) {
      assert.equal((await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' })).kind, 'refused');
    }
  });

  it('When an unknown email is guessed, then it is throttled exactly like a known one (no account enumeration)', async () => {
    const outcomes = [];
    for (let attempt = 0; attempt <= LOGIN_PER_ACCOUNT.limit; attempt += 1) {
      outcomes.push((await attemptLogin(t.deps, { email: 'nobody@nowhere.example', password: 'wrong', ip: `203.0.113.${attempt + 1}` })).kind);
    }
    const known = [];
    for (let attempt = 0; attempt <= LOGIN_PER_ACCOUNT.limit; attempt += 1) {
      known.push((await attemptLogin(t.deps, { email: org.auditor.email, password: 'wrong', ip: `198.51.100.${attempt + 1}` })).kind);
    }
    assert.deepEqual(outcomes, known);
  });

  it('When one address guesses many accounts, then it is blocked after the per-address limit, for every account', async () => {
    for (let attempt = 0; attempt < LOGIN_PER_IP.limit; attempt += 1) {
      await attemptLogin(t.deps, { email: `guess-${attempt}@nowhere.example`, password: 'wrong', ip: '203.0.113.50' });
    }
    assert.equal((await attemptLogin(t.deps, { email: org.admin.email, password: org.admin.password, ip: '203.0.113.50' })).kind, 'throttled');
    assert.equal((await attemptLogin(t.deps, { email: org.admin.email, password: org.admin.password, ip: '203.0.113.51' })).kind, 'success');
  });

  it('When two app instances share the database, then failures on both count toward one limit', async () => {
    const second = await buildSecondInstance(t);
    try {
      for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit; attempt += 1) {
        const deps = attempt % 2 === 0 ? t.deps : second.deps;
        await attemptLogin(deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' });
      }
      assert.equal((await attemptLogin(second.deps, { email: org.buyer.email, password: org.buyer.password, ip: '203.0.113.9' })).kind, 'throttled');
    } finally {
      await second.close();
    }
  });

  it('When logins fail and succeed, then the log has both for the account (no password in it), and unknown emails are in no organisation’s log', async () => {
    await attemptLogin(t.deps, { email: org.buyer.email, password: 'secret-wrong-guess', ip: '203.0.113.1' });
    await attemptLogin(t.deps, { email: 'nobody@nowhere.example', password: 'secret-wrong-guess', ip: '203.0.113.1' });
    await attemptLogin(t.deps, { email: org.buyer.email, password: org.buyer.password, ip: '203.0.113.1' });
    const { entries } = await listActivity(t.deps.connection, org.id, { action: 'user.' });
    assert.deepEqual(entries.map((e) => e.action).reverse(), ['user.login_failed', 'user.logged_in']);
    assert.equal(entries[1]?.details.reason, 'password');
    assert.doesNotMatch(JSON.stringify(entries), /secret-wrong-guess|nobody@nowhere/);
  });

  it('When throttle entries ran out, then the cleanup job removes them', async () => {
    await attemptLogin(t.deps, { email: org.buyer.email, password: 'wrong', ip: '203.0.113.1' });
    const throttles = t.deps.connection.collection('throttles');
    assert.equal(await throttles.countDocuments(), 2);
    assert.doesNotMatch(JSON.stringify(await throttles.find().toArray()), /throttle-region|203\.0\.113/, 'keys are stored hashed');
    assert.ok(await t.deps.scheduler.find(THROTTLE_CLEANUP_JOB, 'all'));
    t.clock.advance(LOGIN_PER_ACCOUNT.windowMs + LOGIN_PER_ACCOUNT.blockMs + 61 * MINUTE);
    await t.runJobs();
    assert.equal(await throttles.countDocuments(), 0);
  });
});

describe('login throttling (pages)', () => {
  let t: TestApp;
  let org: TestOrganisation;
  before(async () => {
    t = await buildTestApp({ label: 'throttle_pages' });
    org = await createTestOrganisation(t.deps, 'Throttle Pages Region');
  });
  after(async () => {
    await t.close();
  });

  it(`When ${LOGIN_PER_ACCOUNT.limit} logins for an account failed, then the next is refused with 429, a clear message and Retry-After, even with the right password`, async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    for (let attempt = 0; attempt < LOGIN_PER_ACCOUNT.limit - 1; attempt += 1) {
      await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: `wrong-${attempt}` }).expect(401);
    }
    await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: 'wrong-last' }).expect(429);
    const refused = await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.buyer.email, password: org.buyer.password }).expect(429);
    assert.match(refused.text, /Too many failed login attempts for this account or from your network\. Wait 15 minutes/);
    assert.equal(refused.headers['retry-after'], String(LOGIN_PER_ACCOUNT.blockMs / 1000));
    await agent.get('/').expect(302);
    // The same address may still log in to another account: the limit was the account's.
    await agent.post('/login').type('form').send({ _csrf: csrfToken, email: org.auditor.email, password: org.auditor.password }).expect(303);
  });

  it('When an unknown email is guessed as often, then the answers are the same as for a real account', async () => {
    const { agent, csrfToken } = await agentWithCsrf(t.app, '/login?lang=en');
    const statuses = [];
    for (let attempt = 0; attempt <= LOGIN_PER_ACCOUNT.limit; attempt += 1) {
      statuses.push((await agent.post('/login').type('form').send({ _csrf: csrfToken, email: 'nobody@nowhere.example', password: 'wrong' })).status);
    }
    assert.deepEqual(statuses, [...Array<number>(LOGIN_PER_ACCOUNT.limit - 1).fill(401), 429, 429]);
  });
});
