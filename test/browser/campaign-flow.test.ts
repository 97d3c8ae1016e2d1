/**
 * A campaign from end to end in a real browser (Debian's chromium): a buyer (who is also the admin, so the dev
 * mailbox is theirs) creates a draft, chooses suppliers, previews and sends it, opens the invitation in the dev
 * mailbox, answers as the supplier, submits, and sees the progress; then closes the campaign and the link says so.
 * axe-core (WCAG 2.1 AA) and the 320 px reflow check run on every page of the way.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { createUser, TEST_PASSWORD_HASHING } from '../../src/accounts';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';
import { campaignWorld, shortQuestionnaires, type CampaignWorld } from '../campaigns/fixtures';

describe('A campaign in a browser (chromium)', function () {
  this.timeout(240_000);
  let session: BrowserTestApp | undefined;
  let origin: string;
  let world: CampaignWorld;
  let context: BrowserContext;
  let page: Page;
  const csp: string[] = [];
  const buyer = { email: 'inkopare-admin@region-browser.example', password: 'browser-buyer-password' };

  before(async function () {
    skipWithoutChromium(this);
    session = await startBrowserTestApp('browser_campaigns', { questionnaires: shortQuestionnaires() });
    origin = session.origin;
    world = await campaignWorld(session.t, 'Region Webbläsare');
    await createUser(
      session.t.deps.connection,
      { email: buyer.email, name: 'Anna Inköpare', password: buyer.password, roles: ['buyer', 'admin'], organisationId: world.org.id, locale: 'en' },
      { hashing: TEST_PASSWORD_HASHING },
    );
    context = await session.browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) csp.push(message.text());
    });
  });

  after(async () => {
    await session?.close();
  });

  async function check(name: string): Promise<void> {
    await checkAccessibility(page, name);
    await screenshotAt320(page, name);
  }

  async function clickAndWait(selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  it('When a buyer sends a campaign, the supplier answers from the mailed link and submits, then the buyer sees the progress, and every page is accessible', async () => {
    await page.goto(`${origin}/login?lang=en`);
    await page.fill('#email', buyer.email);
    await page.fill('#password', buyer.password);
    await clickAndWait('button[type="submit"]');
    await check('campaigns-home');

    await clickAndWait('a[href="/campaigns/new"]');
    await check('campaign-form');
    await page.fill('#name', '');
    await clickAndWait('.campaign-form button[type="submit"]');
    assert.equal(await page.getAttribute('#name', 'aria-invalid'), 'true');
    await check('campaign-form-errors');
    await page.fill('#name', 'Leverantörskontroll 2026');
    await clickAndWait('.campaign-form button[type="submit"]');
    assert.match(page.url(), /\/suppliers\/add\?notice=created$/);
    await check('campaign-add-suppliers');

    const [karin, johan] = world.suppliers;
    await page.check(`#choose-${karin!.id}`);
    await page.check(`#choose-${johan!.id}`);
    await clickAndWait('button:has-text("Add the chosen suppliers")');
    assert.ok(await page.isVisible('text=2 suppliers added.'));
    await clickAndWait('a:has-text("Done")');
    await check('campaign-draft');

    await clickAndWait('a:has-text("Preview the email in Swedish")');
    assert.ok(await page.isVisible('text=Region Webbläsare ber'));
    await check('campaign-preview');
    await page.goBack();

    await clickAndWait('button:has-text("Send to 2 suppliers")');
    assert.ok(await page.isVisible('text=Sent to 2 suppliers.'));
    assert.equal(await page.locator('.chart svg[role="img"]').count(), 1, 'the chart is drawn on the server');
    await check('campaign-progress');

    // The dev mailbox: the invitation to Karin, with its link.
    await page.goto(`${origin}/admin/mailbox?lang=en`);
    await clickAndWait(`tr:has-text("${karin!.contacts[0]!.email}") a`);
    const href = await page.getAttribute('.mail-text a[href*="/s/"]', 'href');
    assert.ok(href, 'the invitation holds the supplier link');

    // The supplier, in a browser of their own.
    const supplier = await session!.browser.newContext({ locale: 'sv-SE', viewport: { width: 1280, height: 900 } });
    const form = await supplier.newPage();
    form.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) csp.push(message.text());
    });
    const previous = page;
    page = form;
    await form.goto(`${origin}${new URL(href).pathname}`);
    assert.equal(await form.getAttribute('html', 'lang'), 'sv');
    await check('supplier-welcome');
    await clickAndWait('.welcome__start a');
    await form.fill('#q-company_name', 'Nordisk Textil AB');
    await form.check('#q-has_policy-yes');
    await form.waitForSelector('[data-evidence-for="has_policy"]', { state: 'visible', timeout: 5000 });
    assert.equal(await form.isVisible('[data-evidence-for="risk_analysis"]'), false, 'no risk analysis is asked for before it is answered "yes"');
    await clickAndWait('button[value="next"]');
    assert.match(form.url(), /\/section\/labour\?notice=incomplete&from=profile$/);
    await check('supplier-incomplete');
    await clickAndWait('.incomplete-notice a');
    await form.check('#q-risk_analysis-no');
    await clickAndWait('button[value="next"]');
    await form.check('#q-employs_migrants-no');
    await clickAndWait('button[value="next"]');
    assert.match(form.url(), /\/review$/);
    await form.fill('#declaration-name', 'Karin Lund');
    await form.fill('#declaration-role', 'Hållbarhetsansvarig');
    await form.check('#declaration-confirm');
    await clickAndWait('button[value="submit"]');
    assert.match(form.url(), /\/receipt$/);
    page = previous;

    await page.goto(`${origin}/campaigns?lang=en`);
    await check('campaigns-list');
    await clickAndWait('a:has-text("Leverantörskontroll 2026")');
    assert.match((await page.textContent('.chart desc')) ?? '', /Submitted: 1/);
    await check('campaign-progress-submitted');
    await clickAndWait(`a:has-text("${karin!.name}")`);
    assert.ok(await page.isVisible('text=Submitted'));
    await check('campaign-supplier');

    await page.goBack();
    await page.check('#confirm');
    await clickAndWait('button:has-text("Close the campaign")');
    assert.ok(await page.isVisible('text=The campaign is closed.'));
    await form.goto(`${origin}${new URL(href).pathname}`);
    page = form;
    assert.ok(await form.isVisible('text=Frågeformuläret är stängt'));
    await check('supplier-closed');
    await supplier.close();

    assert.deepEqual(csp, [], 'no Content-Security-Policy violations');
  });
});
