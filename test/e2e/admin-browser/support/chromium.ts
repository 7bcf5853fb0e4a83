import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's `chromium` package (`.ci/run` installs it when missing); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/**
 * Where the suite saves its screenshots: test-output/screenshots/ (git-ignored), so a test run
 * leaves the tree clean; UPDATE_SCREENSHOTS=1 writes the README's, docs/screenshots/, instead.
 */
export const SCREENSHOTS = join(REPO, ...(process.env.UPDATE_SCREENSHOTS === '1' ? ['docs'] : ['test-output']), 'screenshots');

/**
 * `describe` when Chromium is installed. Without it: under CI=true a failing test (the browser
 * suite must run in CI), elsewhere a skipped suite and a message saying how to get it.
 */
export function describeInChromium(name: string, body: () => void): void {
  if (existsSync(CHROMIUM_PATH)) return describe(name, body);
  if (process.env.CI === 'true') {
    return describe(name, () => {
      it('has Chromium to run in', () => {
        throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
      });
    });
  }
  console.warn(`${name}: skipped, no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  describe.skip(name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
}

/** What a page did that a test may assert on: console errors, uncaught errors, dialogs, navigations. */
export interface PageRecord {
  page: Page;
  context: BrowserContext;
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
}

export async function openPage(browser: Browser, url: string): Promise<PageRecord> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light', timezoneId: 'UTC' });
  context.setDefaultTimeout(5000);
  const page = await context.newPage();
  const record: PageRecord = { page, context, consoleErrors: [], pageErrors: [], dialogs: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') record.consoleErrors.push(`${message.text()} ${message.location().url}`.trim());
  });
  page.on('pageerror', (error) => record.pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    record.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return record;
}

/** Saves a screenshot under SCREENSHOTS (the viewport, unless fullPage). */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, name);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  return path;
}

/**
 * Retries an assertion until it passes or `timeout` ms have gone by (playwright-core has no
 * auto-retrying `expect`; this is its small equivalent for Jest's).
 */
export async function eventually(assertion: () => Promise<void> | void, timeout = 5000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
