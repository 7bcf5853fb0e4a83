import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import { FAILURE, XSS_ARG, XSS_NAME, startAdminApp, until, type AdminApp } from './support/admin-app.js';
import { describeInChromium, eventually, launchChromium, openPage, screenshot, type PageRecord } from './support/chromium.js';

/**
 * The dashboard in real Chromium against a Nest application (Express) whose jobs are on the
 * TypeORM store (SQLite file). The tests run in order on one page, as an operator would use it.
 */
describeInChromium('admin dashboard in Chromium', () => {
  let server: AdminApp;
  let browser: Browser;
  let record: PageRecord;
  let page: Page;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startAdminApp({ fillers: 55 }), launchChromium()]);
    // History for the chart and the screenshot: a few successful runs and a failure.
    // (one at a time: maxInstances is 1, so a run started while another runs would be max_instances).
    const runs = async (jobId: string): Promise<number> =>
      (await server.scheduler.getExecutions({ jobId })).filter((e) => e.status !== 'running').length;
    for (let i = 1; i <= 8; i++) {
      await server.scheduler.runJobNow('nightly-report');
      await until(async () => (await runs('nightly-report')) >= i);
    }
    await server.scheduler.runJobNow('crm-sync');
    await until(async () => (await runs('crm-sync')) >= 1);
    record = await openPage(browser, `${server.url}/scheduler`);
    page = record.page;
  }, 30_000);

  afterAll(async () => {
    await record?.context.close();
    await browser?.close();
    await server?.close();
  });

  const jobsTable = (): Locator => page.getByRole('table', { name: 'Jobs' });
  const jobRow = (id: string): Locator =>
    jobsTable()
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: id, exact: true }) });
  const confirm = async (): Promise<void> => {
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: /^(Confirm|Run it|Pause it|Resume it|Remove it)$/ }).click();
    await dialog.waitFor({ state: 'detached' });
  };

  it('is served with a strict Content-Security-Policy and nosniff, its files with their types', async () => {
    const response = await fetch(`${server.url}/scheduler`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    const script = await fetch(`${server.url}/scheduler/assets/app.mjs`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${server.url}/scheduler/assets/style.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await fetch(`${server.url}/scheduler/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/scheduler/assets/..%2Fadmin-page.assets.ts`)).status).toBe(404);
  });

  it('shows the jobs, one row per job with its id first, a page at a time, and the scheduler state', async () => {
    await expectExact(jobRow('nightly-report').getByRole('cell').first(), 'nightly-report');
    await jobRow('nightly-report').waitFor();
    const report = jobRow('nightly-report');
    await expectText(report, 'Nightly sales report');
    await expectText(report, 'executed');
    await expectMatch(report.getByRole('cell').nth(2), /\S/);
    await report.getByRole('button', { name: 'Run now' }).waitFor();
    await report.getByRole('button', { name: 'Pause' }).waitFor();
    await report.getByRole('button', { name: 'Remove' }).waitFor();
    await expectText(jobRow('crm-sync'), 'error');
    // 60 jobs, pages of 50.
    expect(await jobsTable().locator('tbody tr').count()).toBe(50);
    await expectText(page.locator('.pager'), '1–50 of 60');
    await expectText(page.getByTestId('scheduler-state'), 'running');
    await expectText(page.locator('.cards'), 'default');
    await screenshot(page, 'jobs.png');
    await page.getByRole('button', { name: 'Next' }).click();
    await expectText(page.locator('.pager'), '51–60 of 60');
    // Paused jobs come last.
    await jobRow('archive').getByRole('button', { name: 'Resume' }).waitFor();
    await expectText(jobRow('archive'), 'paused');
    await page.getByRole('button', { name: 'Previous' }).click();
    await expectText(page.locator('.pager'), '1–50 of 60');
  });

  it('renders a job named like markup as text: no element made, no script run, no dialog', async () => {
    const row = jobRow('xss-job');
    await expectExact(row.getByRole('cell').nth(1), XSS_NAME);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await row.getByRole('link', { name: 'xss-job' }).click();
    await expectText(page.locator('.job-view'), XSS_NAME);
    await expectText(page.locator('.facts'), XSS_ARG);
    expect(await page.locator('.job-view script, .job-view img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: boolean }).__xss)).toBeUndefined();
    expect(record.dialogs).toEqual([]);
    await page.getByRole('link', { name: '← All jobs' }).click();
    await jobsTable().waitFor();
  });

  it('searches on the server and filters paused jobs', async () => {
    const answered = page.waitForResponse((r) => r.url().includes('/api/jobs?') && r.url().includes('q=report'));
    await page.getByLabel('Search jobs').fill('report');
    await answered;
    await until(async () => (await jobsTable().locator('tbody tr').count()) === 1);
    await expectExact(jobsTable().locator('tbody tr').first().getByRole('cell').first(), 'nightly-report');
    await page.getByLabel('Search jobs').fill('no such job');
    await expectText(jobsTable(), 'No job matches “no such job”.');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectText(page.locator('.pager'), '1–50 of 60');
    await page.getByLabel('Show').selectOption('true');
    await until(async () => (await jobsTable().locator('tbody tr').count()) === 1);
    await expectExact(jobsTable().locator('tbody tr').first().getByRole('cell').first(), 'archive');
    await page.getByLabel('Show').selectOption('');
    await expectText(page.locator('.pager'), '1–50 of 60');
  });

  it('opens a job: its executions with status, lateness, duration and a chart; a run now appears live', async () => {
    await page.evaluate(() => ((globalThis as { __noReload?: boolean }).__noReload = true));
    await jobRow('nightly-report').getByRole('cell').nth(2).click();
    const view = page.locator('.job-view');
    await expectText(view.getByRole('heading', { level: 2 }), 'nightly-report');
    const executions = page.getByRole('table', { name: 'Executions' });
    await expectCount(executions.locator('tbody tr'), 8);
    await expectExact(executions.locator('tbody tr').first().getByRole('cell').nth(1), 'executed');
    await expectMatch(executions.locator('tbody tr').first().getByRole('cell').nth(3), /\d+ ms|s$/);
    await expectMatch(executions.locator('tbody tr').first().getByRole('cell').nth(4), /\d+ ms/);
    await expectCount(view.locator('svg.chart-svg .bar'), 8);
    await expectText(view.locator('.legend'), 'executed 6');
    await expectText(view.locator('.legend'), 'error 2');
    await expectText(executions, 'warehouse query timed out');

    await view.locator('.view-head').getByRole('button', { name: 'Run now' }).click();
    await expectText(page.getByRole('dialog'), 'Run nightly-report now?');
    await confirm();
    await expectCount(executions.locator('tbody tr'), 9, 10_000);
    await expectText(view.locator('.legend'), 'executed 7');
    expect(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload)).toBe(true);
    await dismissToasts(page);
    await screenshot(page, 'job-executions.png', { fullPage: true });
  });

  it('pauses and resumes the job, each after a confirmation', async () => {
    const head = page.locator('.job-view .view-head').first();
    await head.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect((await server.scheduler.getJob('nightly-report'))!.nextRunTime).not.toBeNull();
    await head.getByRole('button', { name: 'Pause' }).click();
    await confirm();
    await head.getByRole('button', { name: 'Resume' }).waitFor();
    await expectText(head, 'paused');
    expect((await server.scheduler.getJob('nightly-report'))!.nextRunTime).toBeNull();
    await head.getByRole('button', { name: 'Resume' }).click();
    await confirm();
    await head.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await server.scheduler.getJob('nightly-report'))!.nextRunTime).not.toBeNull();
  });

  it('reschedules the job from the form, and shows the API refusal of a bad trigger in it', async () => {
    const head = page.locator('.job-view .view-head').first();
    await head.getByRole('button', { name: 'Reschedule' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Trigger type').selectOption('cron');
    await dialog.getByLabel('Cron expression').fill('every tuesday');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await expectMatch(dialog.getByRole('alert'), /every tuesday|cron|expression/i);
    await dialog.getByLabel('Cron expression').fill('*/30 * * * *');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => (await server.scheduler.getJob('nightly-report'))!.trigger !== '0 3 * * *');
    const job = await server.scheduler.getJob('nightly-report');
    expect(JSON.stringify(job!.trigger)).toContain('*/30 * * * *');

    await head.getByRole('button', { name: 'Reschedule' }).click();
    await dialog.getByLabel('Trigger type').selectOption('interval');
    await dialog.getByLabel('minutes').fill('15');
    await dialog.getByRole('button', { name: 'Save schedule' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => JSON.stringify((await server.scheduler.getJob('nightly-report'))!.trigger).includes('"minutes":15'));
  });

  it('shows the error text of a failed run', async () => {
    await page.getByRole('link', { name: '← All jobs' }).click();
    await jobRow('crm-sync').getByRole('link', { name: 'crm-sync' }).click();
    const executions = page.getByRole('table', { name: 'Executions' });
    await executions.locator('tbody tr').first().waitFor();
    const before = await executions.locator('tbody tr').count();
    await page.locator('.job-view .view-head').first().getByRole('button', { name: 'Run now' }).click();
    await confirm();
    await expectCount(executions.locator('tbody tr'), before + 1, 10_000);
    const latest = executions.locator('tbody tr').first();
    await expectExact(latest.getByRole('cell').nth(1), 'error');
    await expectText(latest, FAILURE);
    expect(await executions.locator('b').count()).toBe(0);
  });

  it('shows a job added elsewhere without a reload (event stream)', async () => {
    await page.getByRole('link', { name: '← All jobs' }).click();
    await jobsTable().waitFor();
    await page.getByLabel('Search jobs').fill('added-live');
    await expectText(jobsTable(), 'No job matches');
    await server.scheduler.addJob({
      id: 'added-live',
      name: 'Added while watching',
      handler: 'noop',
      trigger: { type: 'interval', hours: 2 },
    });
    await jobRow('added-live').waitFor({ timeout: 10_000 });
  });

  it('removes a job only after confirmation', async () => {
    await page.getByLabel('Search jobs').fill('');
    await expectText(page.locator('.pager'), 'of 61');
    await jobRow('batch-001').getByRole('button', { name: 'Remove' }).click();
    await expectText(page.getByRole('dialog'), 'Remove batch-001?');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await server.scheduler.getJob('batch-001')).not.toBeNull();
    await jobRow('batch-001').getByRole('button', { name: 'Remove' }).click();
    await confirm();
    await expectCount(jobRow('batch-001'), 0);
    expect(await server.scheduler.getJob('batch-001')).toBeNull();
    await expectText(page.locator('.pager'), 'of 60');
  });

  it("shows a job's retry policy in words", async () => {
    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/job/archive'));
    const view = page.locator('.job-view');
    await expectText(view.getByRole('heading', { level: 2 }), 'archive');
    await expectText(view, '3 × after 2 s, doubling up to 1 min 0 s');
    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/job/crm-sync'));
    await expectText(view.getByRole('heading', { level: 2 }), 'crm-sync');
    await expectMatch(view, /Retries\s*none/);
  });

  it('logged no error, no CSP violation and opened no browser dialog along the way', () => {
    expect(record.pageErrors).toEqual([]);
    // Chromium logs every 4xx answer; the one expected is the refused trigger.
    const unexpected = record.consoleErrors.filter((e) => !/status of 400 .*\/api\/jobs\/nightly-report\/reschedule/.test(e));
    expect(unexpected).toEqual([]);
    expect(record.dialogs).toEqual([]);
  });
});

const textOf = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? '';

async function dismissToasts(page: Page): Promise<void> {
  for (const button of await page.getByRole('button', { name: 'Dismiss' }).all()) await button.click();
}

async function expectText(locator: Locator, text: string, timeout?: number): Promise<void> {
  await eventually(async () => expect(await textOf(locator)).toContain(text), timeout);
}

async function expectExact(locator: Locator, text: string): Promise<void> {
  await eventually(async () => expect((await textOf(locator)).trim()).toBe(text));
}

async function expectMatch(locator: Locator, pattern: RegExp): Promise<void> {
  await eventually(async () => expect(await textOf(locator)).toMatch(pattern));
}

async function expectCount(locator: Locator, count: number, timeout?: number): Promise<void> {
  await eventually(async () => expect(await locator.count()).toBe(count), timeout);
}
