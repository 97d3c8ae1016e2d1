/**
 * The supplier's form in a real browser (Debian's chromium through playwright-core): keyboard-only completion of the
 * whole SAQ, autosave and resume in a fresh browser context, evidence upload, submit; axe-core on every page; a
 * 320 px wide screenshot of each page under test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { findQuestion } from '../../src/responses/service';
import type { TestApp } from '../helpers/app';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';
import { createSupplierLink, SAQ, validInput, type SupplierLink } from '../responses/fixtures';
import { PDF } from '../responses/files';

describe('Supplier form in a browser (chromium)', function () {
  this.timeout(240_000);
  let session: BrowserTestApp | undefined;
  let t: TestApp;
  let origin: string;
  let browser: Browser;
  const checkedPages = new Set<string>();

  before(async function () {
    skipWithoutChromium(this);
    session = await startBrowserTestApp('browser');
    ({ t, origin, browser } = session);
  });

  after(async () => {
    await session?.close();
  });

  function newContext(): Promise<BrowserContext> {
    return browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  }

  async function checkPage(page: Page, name: string): Promise<void> {
    if (checkedPages.has(name)) return;
    checkedPages.add(name);
    await checkAccessibility(page, name);
    await screenshotAt320(page, name);
  }

  function sectionIdOf(url: string): string | undefined {
    return /\/section\/([a-z0-9_]+)/.exec(url)?.[1];
  }

  interface Focused {
    tag: string;
    type: string;
    name: string;
    value: string;
    id: string;
    checked: boolean;
    formaction: string;
  }

  async function focused(page: Page): Promise<Focused | undefined> {
    return (await page.evaluate(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return undefined;
      return {
        tag: el.tagName.toLowerCase(),
        type: el.type || '',
        name: el.name || '',
        value: el.value || '',
        id: el.id,
        checked: Boolean(el.checked),
        formaction: el.getAttribute('formaction') || '',
      };
    })()`)) as Focused | undefined;
  }

  /** Tabs forward until the focused element matches; fails after a bounded number of steps. */
  async function tabTo(page: Page, matches: (f: Focused) => boolean, what: string): Promise<Focused> {
    for (let i = 0; i < 400; i += 1) {
      await page.keyboard.press('Tab');
      const current = await focused(page);
      if (current && matches(current)) return current;
    }
    throw new Error(`could not reach ${what} with Tab`);
  }

  function questionIdOf(name: string): string | undefined {
    return /^answers\[([a-z0-9_]+)\]$/.exec(name)?.[1];
  }

  /**
   * Answers the questions of the current section page with the keyboard only: Tab between fields, type into text
   * fields, Space / arrow keys in choice groups, type-ahead in selects; then "Save and continue" with Enter.
   */
  async function answerSectionWithKeyboard(page: Page): Promise<void> {
    const definition = t.deps.questionnaires.get(SAQ.id, SAQ.version);
    if (!definition) throw new Error('SAQ not loaded');
    // Start from the top of the page (the skip link), as after loading a page without a fragment.
    await page.focus('a.skip-link');
    const handled = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (!f) continue;
      if (f.tag === 'button' && f.value === 'next') {
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
        return;
      }
      const id = questionIdOf(f.name);
      if (!id || handled.has(id)) continue;
      handled.add(id);
      const wanted = validInput(findQuestion(definition, id).question);
      if (f.type === 'radio') {
        const alreadyChecked = (await page.locator(`input[name="${f.name}"]:checked`).count()) > 0;
        if (alreadyChecked) continue;
        // Tab lands on the first option of an unanswered group; arrows move through the options and select.
        const options = await Promise.all((await page.locator(`input[name="${f.name}"]`).all()).map((option) => option.getAttribute('value')));
        const steps = options.indexOf(String(wanted));
        if (steps <= 0) await page.keyboard.press('Space');
        else for (let s = 0; s < steps; s += 1) await page.keyboard.press('ArrowDown');
      } else if (f.type === 'checkbox') {
        const wantedValues = Array.isArray(wanted) ? wanted : [wanted];
        if (!f.checked && wantedValues.includes(f.value)) await page.keyboard.press('Space');
      } else if (f.tag === 'select') {
        const label = (await page.locator(`#${f.id} option[value="${String(wanted)}"]`).textContent()) ?? '';
        if (f.value === '') await page.keyboard.type(label);
      } else if (f.value === '') {
        await page.keyboard.type(String(wanted));
      }
    }
    throw new Error(`never reached "Save and continue" on ${page.url()}`);
  }

  async function uploadEvidenceWithKeyboard(page: Page, questionId: string, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
    // Choosing the file happens in the operating system's dialog; the rest is keyboard only.
    await page.setInputFiles(`#file-${questionId}`, file);
    await page.focus(`#file-${questionId}`);
    await tabTo(page, (f) => f.tag === 'button' && f.formaction.includes(`/evidence/${questionId}`), 'the upload button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  }

  it('When a supplier fills the whole SAQ with the keyboard, autosaves, resumes elsewhere, uploads evidence and submits, then every page is accessible and reflows at 320 px', async () => {
    const link: SupplierLink = await createSupplierLink(t, { language: 'en' });
    const context = await newContext();
    const page = await context.newPage();
    const csp: string[] = [];
    page.on('console', (message) => {
      if (process.env.DEBUG_BROWSER) console.log('[browser]', message.type(), message.text());
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) csp.push(message.text());
    });
    page.on('pageerror', (error) => console.log('[pageerror]', error.message));

    await page.goto(`${origin}${link.path}`);
    assert.equal(sectionIdOf(page.url()), 'company_profile');
    await checkPage(page, 'section-company_profile');

    // Autosave: type, wait for "Saved" in the live region, then a fresh browser context sees the answer.
    await page.focus('#q-company_name');
    await page.keyboard.type('Nordisk Vårdtextil AB');
    await page.waitForSelector('#form-status:has-text("Saved")', { timeout: 5000 });
    assert.equal(await page.getAttribute('#form-status', 'role'), 'status');
    const fresh = await newContext();
    const elsewhere = await fresh.newPage();
    await elsewhere.goto(`${origin}${link.path}`);
    assert.equal(await elsewhere.inputValue('#q-company_name'), 'Nordisk Vårdtextil AB');

    // Leaving right after typing still saves (keepalive fetch on pagehide).
    await page.focus('#q-registration_number');
    await page.keyboard.type('556677-8899');
    await page.goto(`${origin}${link.path}/review`);
    await elsewhere.waitForTimeout(300);
    await elsewhere.goto(`${origin}${link.path}/section/company_profile`);
    assert.equal(await elsewhere.inputValue('#q-registration_number'), '556677-8899');
    await fresh.close();

    // An invalid answer: the error summary takes focus-able links to the field.
    await page.goto(`${origin}${link.path}/section/company_profile`);
    await page.fill('#q-workers_total', 'many');
    await Promise.all([page.waitForNavigation(), page.click('button[value="save"]')]);
    assert.equal(await page.getAttribute('#q-workers_total', 'aria-invalid'), 'true');
    await checkPage(page, 'section-with-errors');
    await page.fill('#q-workers_total', '');

    for (let step = 0; step < 40 && !page.url().includes('/review'); step += 1) {
      const sectionId = sectionIdOf(page.url()) ?? 'unknown';
      await checkPage(page, `section-${sectionId}`);
      if (sectionId === 'hours_and_wages' && !(await page.isVisible('text=payroll-march.pdf'))) {
        await uploadEvidenceWithKeyboard(page, 'payroll_sample', { name: 'payroll-march.pdf', mimeType: 'application/pdf', buffer: PDF });
        assert.ok(await page.isVisible('a:has-text("payroll-march.pdf")'));
        await checkPage(page, 'section-with-evidence');
      }
      await answerSectionWithKeyboard(page);
    }
    assert.match(page.url(), /\/review$/);
    await checkPage(page, 'review');
    const missing = await page.locator('.review-list__row--missing dt').allTextContents();
    assert.deepEqual(missing, [], 'no required answer is missing');

    await page.focus('#declaration-name');
    await page.keyboard.type('Karin Lund');
    await page.keyboard.press('Tab');
    await page.keyboard.type('CSR manager');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await tabTo(page, (f) => f.tag === 'button' && f.value === 'submit', 'the submit button');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(page.url(), /\/receipt$/);
    assert.ok(await page.isVisible('text=Karin Lund, CSR manager'));
    assert.ok(await page.isVisible('button[data-print]'), 'the print button is shown when scripts run');
    await checkPage(page, 'receipt');

    assert.deepEqual(csp, [], 'no Content-Security-Policy violations');
    await context.close();
  });

  it('When an answer makes follow-up questions apply, then autosave reveals them in place, and hides them again', async () => {
    const link = await createSupplierLink(t, { language: 'en' });
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${origin}${link.path}/section/migrant_and_agency_workers`);
    assert.equal(await page.isVisible('#q-migrant_share'), false);
    await page.focus('#q-employs_migrants-yes');
    await page.keyboard.press('Space');
    await page.waitForSelector('#q-migrant_share', { state: 'visible', timeout: 5000 });
    assert.match((await page.textContent('#form-status')) ?? '', /added questions/);
    await page.focus('#q-migrant_share');
    await page.keyboard.type('30');
    await page.focus('#q-employs_migrants-no');
    await page.keyboard.press('Space');
    await page.waitForSelector('#q-migrant_share', { state: 'hidden', timeout: 5000 });
    assert.equal(await page.inputValue('#q-migrant_share'), '', 'a hidden follow-up no longer holds an answer');
    await checkPage(page, 'section-follow-ups');
    await context.close();
  });

  it('When a link does not work, then the page explaining it is accessible too', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const response = await page.goto(`${origin}/s/${'Z'.repeat(43)}`);
    assert.equal(response?.status(), 404);
    await checkPage(page, 'link-unknown');
    await context.close();
  });

  it('When the supplier switches to Swedish with the language button, then the page is in Swedish with lang="sv" and the typed answer kept', async () => {
    const link = await createSupplierLink(t, { language: 'en' });
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${origin}${link.path}`);
    await page.focus('#q-company_name');
    await page.keyboard.type('Göta Medicinteknik AB');
    await page.focus('button[value="lang:sv"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'sv');
    assert.equal(await page.inputValue('#q-company_name'), 'Göta Medicinteknik AB');
    await checkPage(page, 'section-company_profile-sv');
    await context.close();
  });
});
