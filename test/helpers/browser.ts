/**
 * Driving Debian's chromium (playwright-core, never a downloaded browser) in browser tests: launch options, axe-core
 * on a page, and the 320 px reflow check with a screenshot under test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { paths } from '../../src/platform/paths';
import { buildTestApp, type TestApp } from './app';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(paths.root, 'test-output', 'screenshots');
const AXE_SOURCE_FILE = require.resolve('axe-core/axe.min.js');
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown }>;
}

/** In a `before` hook: skips the file's tests, saying why, when chromium is not installed. */
export function skipWithoutChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  console.warn(`    Skipping browser tests: ${CHROMIUM} is not installed (apt-get install -y chromium).`);
  context.skip();
}

export interface BrowserTestApp {
  t: TestApp;
  /** Where the app listens, e.g. http://127.0.0.1:41234. */
  origin: string;
  browser: Browser;
  close(): Promise<void>;
}

/** A test app on a fresh database, listening on a free localhost port, and a chromium to drive it. */
export async function startBrowserTestApp(label: string): Promise<BrowserTestApp> {
  const t = await buildTestApp({ label });
  const server = await new Promise<http.Server>((resolve) => {
    const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  return {
    t,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}

/** axe-core (WCAG 2.1 A/AA rules) on the current page; serious and critical violations fail the test. */
export async function checkAccessibility(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, so the page's strict CSP (no inline script) stays untouched.
  await page.evaluate(readFileSync(AXE_SOURCE_FILE, 'utf8'));
  // In-page code is passed as source text: this project's TypeScript has no DOM typings.
  const violations = (await page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${name}: ${JSON.stringify(serious, null, 2)}`);
}

/** A 320 px wide full-page screenshot; content must reflow without horizontal scrolling (WCAG 1.4.10). */
export async function screenshotAt320(page: Page, name: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: 320, height: 640 });
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  if (overflow > 0) {
    const culprits = await page.evaluate(`[...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(-5).map((el) => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right))`);
    assert.fail(`${name}: ${overflow}px of horizontal scrolling at 320 px: ${JSON.stringify(culprits)}`);
  }
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(original);
}
