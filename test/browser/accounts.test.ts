/**
 * The accounts pages in a real browser (Debian's chromium): an admin invites a colleague, who joins through the link
 * in the mail; password reset through its mail; every accounts page checked with axe-core and at 320 px.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createApiToken } from '../../src/accounts';
import { recordActivity, ref } from '../../src/platform/activity';
import { createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';

describe('Accounts pages in a browser (chromium)', function () {
  this.timeout(240_000);
  let t: TestApp;
  let org: TestOrganisation;
  let harness: BrowserTestApp;
  let origin: string;

  before(async function () {
    skipWithoutChromium(this);
    harness = await startBrowserTestApp('browser_accounts');
    ({ t, origin } = harness);
    org = await createTestOrganisation(t.deps, 'Browser Region');
    await createApiToken(t.deps.connection, { organisationId: org.id, name: 'Procurement system' }, t.clock.now());
    await recordActivity(t.deps.connection, { organisationId: org.id, actor: { kind: 'system', name: 'system' }, action: 'reminder.sent', subject: ref('invitation', 'i1'), at: t.clock.now() });
  });

  after(async () => {
    await harness?.close();
  });

  const newContext = () => harness.browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });

  async function checkPage(page: Page, name: string): Promise<void> {
    await checkAccessibility(page, name);
    await screenshotAt320(page, name);
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${origin}/login?lang=en`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(`${origin}/`), page.click('button[type=submit]:has-text("Log in")')]);
  }

  /** The link in the newest mail to `to`, made local to the test server. */
  async function linkInMail(to: string, pattern: RegExp): Promise<string> {
    await t.runJobs();
    const mail = [...t.mailer.messages].reverse().find((m) => m.to === to);
    const match = pattern.exec(mail?.text ?? '');
    assert.ok(match?.[0], `a link in the mail to ${to}`);
    return match[0].replace('http://127.0.0.1:3000', origin);
  }

  it('When an admin invites a colleague, the colleague joins from the mail, and every admin page passes axe-core', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await logIn(page, org.admin.email, org.admin.password);

    await page.goto(`${origin}/admin/users/invite?lang=en`);
    await checkPage(page, 'accounts-invite');
    await page.click('button[type=submit]:has-text("Send the invitation")');
    await page.waitForSelector('.error-summary');
    await checkPage(page, 'accounts-invite-errors');
    await page.fill('#email', 'colleague@browser-region.example');
    await page.uncheck('#role-buyer');
    await page.check('#role-auditor');
    await Promise.all([page.waitForURL(/\/admin\/users\?notice=invited/), page.click('button[type=submit]:has-text("Send the invitation")')]);
    await checkPage(page, 'accounts-users');

    await page.click(`a[href="/admin/users/${org.buyer.id}"]`);
    await checkPage(page, 'accounts-user');
    await page.goto(`${origin}/admin/organisation`);
    await checkPage(page, 'accounts-organisation');
    await page.goto(`${origin}/admin/api-tokens`);
    await checkPage(page, 'accounts-api-tokens');
    await page.fill('#name', 'Data warehouse');
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]:has-text("Create the token")')]);
    assert.match(await page.inputValue('#new-token'), /^ssa_/);
    assert.equal(await page.isVisible('button[data-copy-target="new-token"]'), true, 'the copy button shows where the clipboard API exists');
    await checkPage(page, 'accounts-api-token-created');
    await page.goto(`${origin}/admin/activity`);
    await checkPage(page, 'accounts-activity');
    await page.goto(`${origin}/account`);
    await checkPage(page, 'accounts-preferences');
    await page.goto(`${origin}/account/password`);
    await checkPage(page, 'accounts-change-password');
    await context.close();

    const joinUrl = await linkInMail('colleague@browser-region.example', /http:\/\/127\.0\.0\.1:3000\/join\/[A-Za-z0-9_-]+/);
    const invitee = await (await newContext()).newPage();
    await invitee.goto(`${joinUrl}?lang=en`);
    await checkPage(invitee, 'accounts-join');
    await invitee.fill('#name', 'Cecilia Colleague');
    await invitee.fill('#password', 'cecilia chooses a password');
    await invitee.fill('#confirm', 'cecilia chooses a password');
    await Promise.all([invitee.waitForURL(`${origin}/`), invitee.click('button[type=submit]')]);
    assert.match(await invitee.textContent('.site-nav__user') ?? '', /Cecilia Colleague \(auditor\)/);
    await invitee.context().close();
  });

  it('When a user has forgotten their password, the reset pages pass axe-core and the link in the mail sets a new one', async () => {
    const page = await (await newContext()).newPage();
    await page.goto(`${origin}/login?lang=en`);
    await checkPage(page, 'accounts-login');
    await page.click('a[href="/password/forgot"]');
    await checkPage(page, 'accounts-forgot');
    await page.fill('#email', org.buyer.email);
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    assert.match(await page.textContent('h1') ?? '', /Check your email/);
    await checkPage(page, 'accounts-forgot-sent');
    const resetUrl = await linkInMail(org.buyer.email, /http:\/\/127\.0\.0\.1:3000\/password\/reset\/[A-Za-z0-9_-]+/);
    await page.goto(resetUrl);
    await checkPage(page, 'accounts-reset');
    await page.fill('#password', 'the buyer has a new one');
    await page.fill('#confirm', 'the buyer has a new one');
    await Promise.all([page.waitForURL(/\/login\?notice=passwordReset/), page.click('button[type=submit]')]);
    await logIn(page, org.buyer.email, 'the buyer has a new one');
    await page.goto(resetUrl);
    await checkPage(page, 'accounts-link-problem');
    await page.context().close();
  });
});
