import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { SPECIAL_ID, startAdminApp, type AdminApp } from './support/admin-app.js';
import { describeInChromium, eventually, launchChromium, openPage, type PageRecord } from './support/chromium.js';

/**
 * The same page on Fastify, mounted at a nested path under a global prefix (its files and API are
 * found relative to where it is), with an id that needs escaping; and read-only, without buttons.
 */
describeInChromium('admin page on Fastify, under a prefix, and read-only', () => {
  let browser: Browser;
  let fastify: AdminApp;
  let readOnly: AdminApp;
  const pages: PageRecord[] = [];

  beforeAll(async () => {
    [browser, fastify, readOnly] = await Promise.all([
      launchChromium(),
      startAdminApp({ platform: 'fastify', store: 'memory', path: 'ops/scheduler', globalPrefix: 'internal' }),
      startAdminApp({ store: 'memory', readOnly: true }),
    ]);
  }, 30_000);

  afterAll(async () => {
    for (const record of pages) await record.context.close();
    await browser?.close();
    await fastify?.close();
    await readOnly?.close();
  });

  const open = async (url: string): Promise<Page> => {
    const record = await openPage(browser, url);
    pages.push(record);
    return record.page;
  };
  const rows = (page: Page): Locator => page.getByRole('table', { name: 'Jobs' }).locator('tbody tr');

  it('on Fastify at /internal/ops/scheduler: headers, the jobs, and an escaped id opened and run live', async () => {
    const response = await fetch(`${fastify.url}/internal/ops/scheduler`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${fastify.url}/internal/ops/scheduler/assets/app.mjs`)).headers.get('content-type')).toMatch(/^text\/javascript/);

    const page = await open(`${fastify.url}/internal/ops/scheduler`);
    await eventually(async () => expect(await rows(page).count()).toBe(5));
    await page.getByRole('link', { name: SPECIAL_ID, exact: true }).click();
    await eventually(async () => expect(await page.locator('.job-view h2').textContent()).toBe(SPECIAL_ID));
    await eventually(async () => expect(await page.locator('#live').textContent()).toContain('Live'));
    await page.locator('.job-view .view-head').first().getByRole('button', { name: 'Run now' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Run it' }).click();
    const executions = page.getByRole('table', { name: 'Executions' }).locator('tbody tr.execution');
    await eventually(async () => expect(await executions.count()).toBe(1), 10_000);
    // 'running' first (the page reloads after the action), then 'executed' when the stream says so.
    await eventually(async () => expect(await executions.first().getByRole('cell').nth(1).textContent()).toBe('executed'), 10_000);
    expect(pages[0]!.pageErrors).toEqual([]);
    expect(pages[0]!.consoleErrors).toEqual([]);
  });

  it('has deliberate loading, error and empty states', async () => {
    const record = await openPage(browser, 'about:blank');
    pages.push(record);
    const page = record.page;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answer: 'hold' | 'fail' | 'empty' = 'hold';
    await page.route('**/scheduler/api/jobs?*', async (route) => {
      if (answer === 'hold') await held;
      if (answer === 'empty') return route.fulfill({ json: { items: [], total: 0 } });
      return route.fulfill({ status: 503, json: { statusCode: 503, error: 'Service Unavailable', message: 'store unreachable' } });
    });
    await page.goto(`${readOnly.url}/scheduler`);
    await eventually(async () => expect(await rows(page).first().textContent()).toContain('Loading jobs…'));
    answer = 'fail';
    release();
    await eventually(async () =>
      expect(await rows(page).first().textContent()).toContain('The jobs could not be loaded: store unreachable'),
    );
    answer = 'empty';
    await page.getByRole('button', { name: 'Retry' }).click();
    await eventually(async () => expect(await rows(page).first().textContent()).toContain('No jobs yet.'));
  });

  it('read-only: the jobs and their runs, no action button anywhere', async () => {
    const page = await open(`${readOnly.url}/scheduler`);
    await eventually(async () => expect(await rows(page).count()).toBe(5));
    await eventually(async () => expect(await page.locator('.cards').textContent()).toContain('Read-only'));
    for (const name of ['Run now', 'Pause', 'Resume', 'Remove', 'Reschedule']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    await page.getByRole('link', { name: 'nightly-report', exact: true }).click();
    await page.getByRole('table', { name: 'Executions' }).waitFor();
    for (const name of ['Run now', 'Pause', 'Remove', 'Reschedule']) expect(await page.getByRole('button', { name }).count()).toBe(0);
  });
});
