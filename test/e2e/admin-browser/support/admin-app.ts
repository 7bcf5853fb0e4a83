import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import {
  JobHandler,
  SCHEDULER_ENTITIES,
  SchedulerModule,
  SchedulerService,
  TypeOrmJobStore,
  type JobStore,
} from '../../../../lib/index.js';
import { SchedulerAdminModule } from '../../../../lib/admin/index.js';

/** The job named like markup: the page must show these characters, never parse them. */
export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const XSS_ARG = '<script>window.__xss = true</script>';
export const FAILURE = 'upstream API returned 503 <b>bold?</b>';
export const SPECIAL_ID = 'exports/daily #1?x=%2F';

/** The handlers the stored jobs name: a report that takes a few ms, a sync that fails. */
@Injectable()
class DemoHandlers {
  private calls = 0;

  /** Durations that vary, and the 3rd and 7th runs fail, so the chart has a shape. */
  @JobHandler('reports.build')
  async build(): Promise<number> {
    const call = ++this.calls;
    await new Promise((resolve) => setTimeout(resolve, 5 + ((call * 37) % 60)));
    if (call === 3 || call === 7) throw new Error('warehouse query timed out');
    return call;
  }

  @JobHandler('sync.pull')
  pull(): void {
    throw new Error(FAILURE);
  }

  @JobHandler('noop')
  noop(): void {}
}

export interface AdminApp {
  app: INestApplication;
  scheduler: SchedulerService;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export interface AdminAppOptions {
  readOnly?: boolean;
  /** Default: the TypeORM store over a SQLite file. */
  store?: 'typeorm' | 'memory';
  /** Extra jobs after the demo ones. */
  fillers?: number;
  platform?: 'express' | 'fastify';
  /** The admin module's path; default 'scheduler'. */
  path?: string;
  globalPrefix?: string;
}

/**
 * A Nest application (Express unless told) with its jobs on the TypeORM store over a SQLite file,
 * the admin module mounted at `/scheduler`, listening on a free port.
 */
export async function startAdminApp(options: AdminAppOptions = {}): Promise<AdminApp> {
  const dir = mkdtempSync(join(tmpdir(), 'admin-browser-'));
  let dataSource: DataSource | null = null;
  let store: JobStore | undefined;
  if (options.store !== 'memory') {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      entities: [...SCHEDULER_ENTITIES],
      synchronize: true,
    });
    await dataSource.initialize();
    store = new TypeOrmJobStore({ dataSource });
  }
  const scheduler: DynamicModule = SchedulerModule.forRoot({ timezone: 'UTC', ...(store ? { stores: { default: store } } : {}) });
  @Module({
    imports: [scheduler, SchedulerAdminModule.forRoot({ allowAnonymous: true, readOnly: options.readOnly ?? false, path: options.path })],
    providers: [DemoHandlers],
  })
  class AdminTestModule {}

  const app =
    options.platform === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(AdminTestModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AdminTestModule, { logger: false });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.listen(0, '127.0.0.1');
  const service = app.get(SchedulerService);
  await seedJobs(service, options.fillers ?? 0);
  return {
    app,
    scheduler: service,
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    close: async () => {
      await app.close();
      if (dataSource?.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedJobs(scheduler: SchedulerService, fillers: number): Promise<void> {
  await scheduler.addJob({ id: 'nightly-report', name: 'Nightly sales report', handler: 'reports.build', trigger: '0 3 * * *' });
  await scheduler.addJob({
    id: 'crm-sync',
    name: 'Pull contacts from the CRM',
    handler: 'sync.pull',
    trigger: { type: 'interval', hours: 1 },
  });
  await scheduler.addJob({
    id: 'xss-job',
    name: XSS_NAME,
    handler: 'noop',
    args: [XSS_ARG],
    trigger: { type: 'cron', dayOfWeek: 'mon-fri', hour: 9, minute: 30 },
  });
  await scheduler.addJob({
    id: 'archive',
    name: 'Archive old invoices',
    handler: 'noop',
    trigger: { type: 'interval', days: 1 },
    nextRunTime: null,
    retry: { attempts: 3, delay: 2000, backoff: 'exponential', maxDelay: 60_000 },
  });
  // An id with characters that must be escaped in a URL path and in the page's hash.
  await scheduler.addJob({ id: SPECIAL_ID, name: 'Daily export', handler: 'reports.build', trigger: { type: 'interval', days: 3 } });
  // Later than the jobs above (the list is in next-run order), so those stay on the first page.
  for (let i = 1; i <= fillers; i++) {
    const id = `batch-${String(i).padStart(3, '0')}`;
    await scheduler.addJob({ id, name: `Batch import ${i}`, handler: 'noop', trigger: { type: 'interval', days: 30 + i } });
  }
}

/** Waits until `check` holds (polling the process, not the page), or fails after `timeout` ms. */
export async function until(check: () => Promise<boolean> | boolean, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
