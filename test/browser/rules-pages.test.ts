/**
 * The published rules pages in a real browser (Debian's chromium): axe-core (WCAG 2.1 AA) and reflow at 320 px on
 * every page in both languages, and the skip link and rule anchors working from the keyboard.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { checkAccessibility, screenshotAt320, skipWithoutChromium, startBrowserTestApp, type BrowserTestApp } from '../helpers/browser';

describe('The published rules pages in a browser (chromium)', function () {
  this.timeout(180_000);
  let session: BrowserTestApp | undefined;
  let origin: string;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    session = await startBrowserTestApp('browser_rules');
    origin = session.origin;
    page = await (await session.browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } })).newPage();
  });

  after(async () => {
    await session?.close();
  });

  const pages: Array<[name: string, url: string]> = [
    ['rules-index-en', '/rules?lang=en'],
    ['rules-index-sv', '/rules?lang=sv'],
    ['rules-saq2-en', '/rules/code-of-conduct-saq/2?lang=en'],
    ['rules-saq2-sv', '/rules/code-of-conduct-saq/2?lang=sv'],
    ['rules-saq1-en', '/rules/code-of-conduct-saq/1/rules/1?lang=en'],
    ['rules-minimum-working-age-en', '/rules/minimum-working-age?lang=en'],
    ['rules-minimum-working-age-sv', '/rules/minimum-working-age?lang=sv'],
  ];
  for (const [name, url] of pages) {
    it(`When ${url} is opened, then it passes axe-core (WCAG 2.1 AA) and reflows at 320 px`, async () => {
      const response = await page.goto(`${origin}${url}`);
      assert.equal(response?.status(), 200);
      await checkAccessibility(page, name);
      await screenshotAt320(page, name);
    });
  }

  it('When a keyboard user follows the skip link and a rule from the contents, then focus and scroll land on them', async () => {
    await page.goto(`${origin}/rules/code-of-conduct-saq/2?lang=en`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.className'), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('location.hash'), '#main');
    await page.click('.rules-contents a[href="#group-3"]');
    assert.equal(await page.evaluate('location.hash'), '#group-3');
    const top = (await page.evaluate(`document.getElementById('group-3').getBoundingClientRect().top`)) as number;
    assert.ok(Math.abs(top) < 5, `the section heading is at the top of the viewport (${top})`);
  });
});
