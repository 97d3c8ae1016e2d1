/**
 * The buyer's response pages in a real browser (Debian's chromium): a buyer logs in, opens a campaign's responses and
 * a response whose red flags are visibly marked, compares it, opens the printable version and requests changes; the
 * supplier sees the request on the form. axe-core on every page, and each reflows at 320 px.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { TestApp } from '../helpers/app';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';
import { answerQuestionnaire } from '../responses/buyer-fixtures';
import { PDF } from '../responses/files';
import { createSupplierLink, type SupplierLink } from '../responses/fixtures';

describe('Buyer response pages in a browser (chromium)', function () {
  this.timeout(120_000);
  let session: BrowserTestApp | undefined;
  let t: TestApp;
  let origin: string;
  let browser: Browser;
  let link: SupplierLink;
  let responseId: string;

  before(async function () {
    skipWithoutChromium(this);
    session = await startBrowserTestApp('browser_responses');
    ({ t, origin, browser } = session);
    const earlier = await createSupplierLink(t, { supplierName: 'Shenzhen Bright Gloves Co., Ltd.', campaignName: 'Code of conduct 2025' });
    await answerQuestionnaire(t, earlier, { answers: { free_to_resign: 'yes', workers_total: '80' } });
    t.clock.advance(86_400_000);
    link = await createSupplierLink(t, { organisation: earlier.organisation, supplierId: earlier.supplierId, campaignName: 'Code of conduct 2026' });
    responseId = (
      await answerQuestionnaire(t, link, {
        answers: { id_documents_retained: 'yes', workers_total: '95' },
        files: [{ questionId: 'payroll_sample', buffer: PDF, name: 'payroll-march.pdf' }],
      })
    ).response._id.toHexString();
  });

  after(async () => {
    await session?.close();
  });

  async function checkPage(page: Page, name: string): Promise<void> {
    await checkAccessibility(page, name);
    await screenshotAt320(page, name);
  }

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${origin}/login`);
    await page.fill('#email', link.organisation.buyer.email);
    await page.fill('#password', link.organisation.buyer.password);
    await Promise.all([page.waitForURL(`${origin}/`), page.click('button[type="submit"]:not(.button--secondary)')]);
  }

  it('When a buyer reads a response, then its red flags are visibly marked and every page passes axe; requesting changes reaches the supplier\'s form', async () => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await logIn(page);

    await page.goto(`${origin}/campaigns/${link.campaignId}/responses`);
    await checkPage(page, 'buyer-campaign-responses');
    await Promise.all([page.waitForURL(`${origin}/responses/${responseId}`), page.click('text=Shenzhen Bright Gloves Co., Ltd.')]);

    const flagged = page.locator('#answer-id_documents_retained');
    assert.ok(await flagged.isVisible());
    assert.match((await flagged.getAttribute('class')) ?? '', /answers__row--critical/);
    assert.match(await flagged.innerText(), /Red flag – Critical: Workers' identity documents are held by the employer or an agent\./);
    assert.match(await flagged.innerText(), /ILO forced-labour indicator 7: Retention of identity documents/);
    // The mark is more than colour: a thick border set by the stylesheet (the CSP allows no inline style).
    const border = await page.evaluate(`getComputedStyle(document.getElementById('answer-id_documents_retained')).borderLeftWidth`);
    assert.equal(border, '6px');
    await page.click('a[href="#answer-id_documents_retained"]');
    assert.ok(page.url().endsWith('#answer-id_documents_retained'));
    await checkPage(page, 'buyer-response');

    await page.click('text=Compare with the supplier\'s earlier answers');
    await page.waitForURL(/\/compare$/);
    assert.match(await page.locator('#changes-title').locator('..').innerText(), /80 people\s+95 people/);
    await checkPage(page, 'buyer-compare');

    await page.goto(`${origin}/responses/${responseId}/print`);
    assert.ok(await page.locator('[data-print-button]').isVisible(), 'the print button shows where scripts run');
    await checkPage(page, 'buyer-print');

    await page.goto(`${origin}/responses/${responseId}`);
    await Promise.all([page.waitForURL(/\/request-changes$/), page.click('#request-changes-title ~ form button[type="submit"]')]);
    assert.match(await page.locator('.error-summary').innerText(), /Write a message to the supplier/);
    await checkPage(page, 'buyer-request-changes-error');
    await page.fill('#change-message', 'Please upload the payroll for April as well.');
    await Promise.all([page.waitForURL(/notice=changesRequested$/), page.click('#request-changes-title ~ form button[type="submit"]')]);
    assert.match(await page.locator('.notice--warning').first().innerText(), /asked for changes/);
    await checkPage(page, 'buyer-response-changes-requested');
    await page.goto(`${origin}/responses/${responseId}/submissions/1`);
    await checkPage(page, 'buyer-submission');

    const mail = (await t.deliverMail()).find((m) => m.subject.startsWith('Changes requested'));
    const sentLink = /(\/s\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
    assert.ok(sentLink);
    const supplier = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    const form = await supplier.newPage();
    await form.goto(`${origin}${sentLink}`);
    assert.match(await form.locator('.change-request').innerText(), /Please upload the payroll for April as well\./);
    await checkPage(form, 'supplier-changes-requested');
    await supplier.close();
    await context.close();
  });
});
