import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Browser } from 'playwright-core';
import { SchedulerAdminModule } from '../../lib/admin/index.js';
import type { JobSpec } from '../../lib/core/jobs/job.js';
import { JobHandler } from '../../lib/decorators/index.js';
import { SchedulerModule } from '../../lib/scheduler.module.js';
import type { JobStore } from '../../lib/stores/job-store.js';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';
import { TypeOrmJobStore } from '../../lib/stores/typeorm/typeorm.job-store.js';
import { wallNow } from '../support/clock.js';
import { BenchDatabase } from '../support/databases.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';
import { median } from '../support/stats.js';
import { STORE_LABEL, storeOf } from '../support/stores.js';

// Sizes (RESULTS.md is comparable at the defaults only):
//   BENCH_ADMIN_PAGE_JOBS   jobs in the store (default 10,000)
//   BENCH_ADMIN_PAGE_LOADS  timed page loads, each in a fresh browser context (default 7)
const JOBS = Number(process.env.BENCH_ADMIN_PAGE_JOBS ?? 10_000);
const LOADS = Number(process.env.BENCH_ADMIN_PAGE_LOADS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The page's first screen: the default page size of the jobs table. */
const ROWS = Math.min(50, JOBS);

function* storedJobs(): Generator<JobSpec> {
  const later = Date.now() + 86_400_000;
  for (let i = 0; i < JOBS; i++) {
    yield {
      id: `job-${String(i).padStart(5, '0')}`,
      name: i % 10 === 0 ? `Nightly backup ${i}` : `Send report ${i}`,
      handler: 'noop',
      args: [i],
      trigger: { type: 'interval', minutes: 5 + (i % 50), startDate: new Date(later).toISOString(), timezone: 'UTC' },
      executor: 'default',
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: 1000,
      timeout: null,
      rerunOnLoss: false,
      retry: null,
      // A tenth paused; the rest due tomorrow, so nothing fires while the page is timed.
      nextRunTime: i % 10 === 9 ? null : new Date(later + (i % 1000) * 1000),
    };
  }
}

@Injectable()
class NoopHandler {
  @JobHandler('noop')
  noop(): void {}
}

async function boot(store: JobStore): Promise<INestApplication> {
  @Module({
    imports: [
      SchedulerModule.forRoot({ stores: { default: store }, timezone: 'UTC' }),
      SchedulerAdminModule.forRoot({ allowAnonymous: true }),
    ],
    providers: [NoopHandler],
  })
  class BenchAdminPageApp {}
  const app = await NestFactory.create(BenchAdminPageApp, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

/**
 * One cold load in a fresh context (no cache): from navigation start to the jobs table holding its
 * first page of rows, read in the page (performance.now() when the rows are there, polled per frame).
 */
async function timeLoad(browser: Browser, url: string): Promise<{ rowsMs: number; wallMs: number; searchMs: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    const page = await context.newPage();
    const t0 = wallNow();
    await page.goto(url, { waitUntil: 'commit' });
    // Functions, not strings: the page's CSP forbids eval, which string predicates need. (`globalThis`:
    // they run in the page, and this project compiles without the DOM library.)
    const rows = await page.waitForFunction(
      (n) => (globalThis as any).document.querySelectorAll('table.jobs tbody tr.job').length >= n && performance.now(),
      ROWS,
      { timeout: 30_000 },
    );
    const rowsMs = (await rows.jsonValue()) as number;
    const wallMs = wallNow() - t0;
    // Then a server-side search, typed: keystroke to the one matching row.
    const id = `job-${String(JOBS - 2).padStart(5, '0')}`;
    const s0 = wallNow();
    await page.getByLabel('Search jobs').fill(id);
    await page.waitForFunction(
      (wanted) => {
        const found = (globalThis as any).document.querySelectorAll('table.jobs tbody tr.job');
        return found.length === 1 && found[0].getAttribute('data-job-id') === wanted;
      },
      id,
      { timeout: 30_000 },
    );
    return { rowsMs, wallMs, searchMs: wallNow() - s0 };
  } finally {
    await context.close();
  }
}

async function run(kind: 'sqlite' | 'memory'): Promise<ChildResult> {
  const { chromium } = await import('playwright-core');
  const db = kind === 'sqlite' ? new BenchDatabase('sqlite', 'p') : null;
  let app: INestApplication | null = null;
  let browser: Browser | null = null;
  try {
    const i0 = wallNow();
    let store: JobStore;
    if (db) {
      await db.create();
      await db.insertJobs(storedJobs());
      store = new TypeOrmJobStore({ dataSource: db.dataSource, tablePrefix: db.prefix });
    } else {
      store = new MemoryJobStore();
    }
    app = await boot(store);
    if (!db) {
      const { SchedulerService } = await import('../../lib/scheduler.service.js');
      const scheduler = app.get(SchedulerService);
      for (const job of storedJobs()) {
        await scheduler.addJob({
          id: job.id,
          name: job.name,
          handler: 'noop',
          args: job.args,
          trigger: job.trigger,
          nextRunTime: job.nextRunTime,
        });
      }
    }
    const insertMs = wallNow() - i0;
    const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/scheduler`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
    await timeLoad(browser, url); // warms the server, the browser and the store's statement cache
    const loads = [];
    for (let k = 0; k < LOADS; k++) loads.push(await timeLoad(browser, url));
    const rows = loads.map((l) => l.rowsMs);
    return {
      metrics: {
        firstRenderMs: median(rows),
        firstRenderMaxMs: Math.max(...rows),
        wallMs: median(loads.map((l) => l.wallMs)),
        searchMs: median(loads.map((l) => l.searchMs)),
      },
      info: { jobs: JOBS, loads: LOADS, rowsRendered: ROWS, setupMs: Math.round(insertMs), chromium: CHROMIUM },
    };
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    if (app) await app.close().catch(() => undefined);
    await db?.drop();
  }
}

const KINDS = ['sqlite', 'memory'] as const;

export const scenario: ScenarioDefinition = {
  name: 'admin-page',
  title: `Dashboard first render: ${JOBS.toLocaleString('en')} jobs in Chromium`,
  order: 61,
  description:
    `A Nest application (Express) with \`SchedulerAdminModule\` over a store holding ${JOBS.toLocaleString('en')} jobs (a tenth ` +
    "paused), and Debian's Chromium (headless, through playwright-core). Each load is cold, in a fresh browser context (no " +
    `cache): **first render** is from navigation start to the jobs table holding its first ${ROWS} rows (the document, its ` +
    'modules and stylesheet, `GET api/state` and `GET api/jobs?limit=50` on the server, the rows built), read in the page ' +
    `with \`performance.now()\` polled per frame; the median of ${LOADS} loads after one warm-up (target < 1 s), and the ` +
    'slowest. Also: the same from the test process (navigation to rows seen), and a server-side search typed into ' +
    '"Search jobs" until the one matching row is shown (250 ms of it is the input debounce).',
  variants: KINDS.map((kind) => ({ id: `ours-${kind}`, role: 'ours' as const, label: `ours (${STORE_LABEL[kind]})` })),
  metrics: [
    {
      key: 'firstRenderMs',
      label: 'first render (navigation → 50 rows)',
      unit: 'ms',
      better: 'lower',
      digits: 1,
      target: { text: '< 1000 ms', lessThan: 1000 },
    },
    { key: 'firstRenderMaxMs', label: 'slowest first render', unit: 'ms', better: 'lower', digits: 1, aggregate: 'max' },
    { key: 'wallMs', label: 'goto → rows seen by the test', unit: 'ms', better: 'lower', digits: 1 },
    { key: 'searchMs', label: 'search typed → matching row', unit: 'ms', better: 'lower', digits: 1 },
  ],
  timeoutMs: 180_000,
  available: () => (existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`),
  run: (variant) => run(storeOf(variant) as 'sqlite' | 'memory'),
};

runIfMain(import.meta.url, scenario);
