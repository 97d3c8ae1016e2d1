/**
 * The supplier register in a real browser (Debian's chromium): a buyer imports suppliers from a Swedish Excel CSV
 * through the preview and confirms, then finds them, opens one, adds one by hand and edits it; axe-core and the
 * 320 px reflow check on every page of the register.
 */
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { searchSuppliers } from '../../src/suppliers';
import { createTestOrganisation, type TestApp, type TestOrganisation } from '../helpers/app';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';
import { organisationNumberFor } from '../helpers/suppliers';
import { csvWindows1252 } from '../suppliers/import-files';

describe('Supplier register in a browser (chromium)', function () {
  this.timeout(240_000);
  let running: BrowserTestApp | undefined;
  let t: TestApp;
  let org: TestOrganisation;
  let origin: string;
  let browser: Browser;

  before(async function () {
    skipWithoutChromium(this);
    running = await startBrowserTestApp('browser_register');
    ({ t, origin, browser } = running);
    org = await createTestOrganisation(t.deps, 'Region Browser');
  });

  after(async () => {
    await running?.close();
  });

  async function checkPage(page: Page, name: string): Promise<void> {
    await checkAccessibility(page, name);
    await screenshotAt320(page, name);
  }

  async function submitAndWait(page: Page, selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  it('When a buyer imports a CSV through the preview and confirms, then the suppliers are in the register, and every page passes axe-core', async () => {
    const context = await browser.newContext({ locale: 'sv-SE', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/login`);
    await page.fill('#email', org.buyer.email);
    await page.fill('#password', org.buyer.password);
    await submitAndWait(page, 'button[type="submit"]:not(.button--secondary)');

    // The test users are English; this buyer works in Swedish (kept in the session).
    await page.goto(`${origin}/suppliers?lang=sv`);
    await checkPage(page, 'suppliers-register-empty');
    await submitAndWait(page, 'a[href="/suppliers/import"]');
    await checkPage(page, 'suppliers-import');

    const csv = csvWindows1252([
      'Namn;Organisationsnummer;Land;Bransch;Kontaktperson;E-post;Anläggning;Tillverkar',
      `Ölandsgården Kött AB;${organisationNumberFor(3001)};SE;Livsmedel;Åsa Öberg;asa@olandsgarden.example;Slakteri;Charkuterier – 5 €`,
      `Göta Stål AB;${organisationNumberFor(3002)};SE;Metall;Per Ek;per@gotastal.example;;`,
      'Fel Nummer AB;556677-8898;SE;;Bo;bo@fel.example;;',
      `Ölandsgården igen;${organisationNumberFor(3001)};SE;;Åsa;asa2@olandsgarden.example;;`,
    ]);
    await page.setInputFiles('#file', { name: 'leverantörer.csv', mimeType: 'text/csv', buffer: csv });
    await submitAndWait(page, 'form[enctype="multipart/form-data"] button[type="submit"]');
    assert.match(page.url(), /\/suppliers\/import\/[0-9a-f]{24}$/);
    assert.match((await page.textContent('main')) ?? '', /leverantörer\.csv/);
    const preview = await page.textContent('main');
    assert.match(preview ?? '', /Organisationsnummer: Organisationsnumrets sista siffra/);
    assert.match(preview ?? '', /Samma leverantör som rad 2/);
    await checkPage(page, 'suppliers-import-preview');
    assert.equal((await searchSuppliers(t.deps.connection, org.id, {})).total, 0, 'nothing imported before confirming');

    await submitAndWait(page, 'form[action$="/confirm"] button');
    assert.match((await page.textContent('main')) ?? '', /2 leverantörer importerades/);
    await checkPage(page, 'suppliers-import-done');

    await page.goto(`${origin}/suppliers`);
    await page.fill('#filter-q', 'olandsgarden');
    await submitAndWait(page, 'form[role="search"] button[type="submit"]');
    const rows = await page.locator('table.supplier-table tbody tr').count();
    assert.equal(rows, 1);
    await checkPage(page, 'suppliers-register');
    await submitAndWait(page, 'table.supplier-table tbody a');
    assert.match((await page.textContent('main')) ?? '', /Charkuterier – 5 €/);
    assert.match((await page.textContent('main')) ?? '', /lade till leverantören/);
    await checkPage(page, 'suppliers-show');

    await page.goto(`${origin}/suppliers/new`);
    await checkPage(page, 'suppliers-new');
    await page.fill('#name', 'Handlagd AB');
    await page.fill('#organisationNumber', organisationNumberFor(3003).replace('-', ''));
    await page.fill('#contacts-0-name', 'Karin Lund');
    await page.fill('#contacts-0-email', 'not-an-email');
    await submitAndWait(page, 'p.actions button[type="submit"]');
    await checkPage(page, 'suppliers-new-with-errors');
    await page.fill('#contacts-0-email', 'karin@handlagd.example');
    // Enter in a text field saves (it must not press "add another contact").
    await Promise.all([page.waitForNavigation(), page.press('#contacts-0-email', 'Enter')]);
    assert.match(page.url(), /\/suppliers\/[0-9a-f]{24}\?notice=created$/);
    assert.match((await page.textContent('main')) ?? '', new RegExp(organisationNumberFor(3003)));

    await submitAndWait(page, 'a[href$="/edit"]');
    await checkPage(page, 'suppliers-edit');
    await submitAndWait(page, 'button[value="site"]');
    await page.fill('#sites-0-name', 'Fabriken');
    await page.fill('#sites-0-products', 'Skyddshandskar');
    await submitAndWait(page, 'p.actions button[type="submit"]');
    assert.match((await page.textContent('main')) ?? '', /Skyddshandskar/);
    await context.close();
  });
});
