import 'reflect-metadata';
import { Injectable, type DynamicModule, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { SchedulerAdminModule, type SchedulerAdminOptions } from '../../../lib/admin/index.js';
import { JobHandler, MemoryJobStore, SchedulerModule, SchedulerService, type SchedulerModuleOptions } from '../../../lib/index.js';
import { schedulerEntityList, TypeOrmJobStore } from '../../../lib/stores/typeorm/index.js';
import { TestDatabase, uniquePrefix } from '../../support/databases.js';

export type Platform = 'express' | 'fastify';
export type StoreKind = 'memory' | 'sqlite';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];
export const STORES: readonly StoreKind[] = ['memory', 'sqlite'];

/** The handlers the test jobs name. */
@Injectable()
export class AdminTestHandlers {
  readonly calls: string[] = [];

  @JobHandler('report.send')
  send(to: string): string {
    this.calls.push(to);
    return `sent to ${to}`;
  }

  @JobHandler('report.fail')
  fail(): never {
    throw new Error('the report server said no');
  }
}

/** A running application on a free port, reached over real HTTP. */
export interface AdminApp {
  app: INestApplication;
  url: string;
  scheduler: SchedulerService;
  /** `fetch` relative to the app's URL. */
  http(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON action as the page sends it. */
  action(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export interface BootOptions {
  platform: Platform;
  store?: StoreKind;
  admin?: DynamicModule;
  scheduler?: SchedulerModuleOptions;
  providers?: unknown[];
  globalPrefix?: string;
}

/** Stores are made per app; SQLite is a temp file (a shared store: it has heartbeat rows). */
async function storeOf(kind: StoreKind, cleanups: (() => Promise<void>)[]): Promise<SchedulerModuleOptions['stores']> {
  if (kind === 'memory') return { default: new MemoryJobStore() };
  const db = new TestDatabase('sqlite');
  const prefix = uniquePrefix('adm');
  const dataSource: DataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
  cleanups.push(() => db.dispose());
  return { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) };
}

export async function bootAdmin(options: BootOptions): Promise<AdminApp> {
  const cleanups: (() => Promise<void>)[] = [];
  const stores = await storeOf(options.store ?? 'memory', cleanups);
  const ref = await Test.createTestingModule({
    imports: [
      SchedulerModule.forRoot({ stores, timezone: 'UTC', ...options.scheduler }),
      options.admin ?? SchedulerAdminModule.forRoot({ allowAnonymous: true }),
    ],
    providers: [AdminTestHandlers, ...((options.providers ?? []) as [])],
  }).compile();
  const app: INestApplication =
    options.platform === 'fastify'
      ? ref.createNestApplication(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  if (options.globalPrefix) app.setGlobalPrefix(options.globalPrefix);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const http = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init);
  return {
    app,
    url,
    scheduler: app.get(SchedulerService),
    http,
    action: (method, path, body = {}) =>
      http(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    close: async () => {
      await app.close();
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

/** Boots and expects the bootstrap to fail; returns the error. */
export async function bootFailure(admin: DynamicModule): Promise<Error> {
  try {
    const ref = await Test.createTestingModule({ imports: [SchedulerModule.forRoot({ autoStart: false }), admin] }).compile();
    await ref.close();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the application booted');
}

export const adminOptions = (options: SchedulerAdminOptions): DynamicModule => SchedulerAdminModule.forRoot(options);

/** Polls until `probe` gives a value, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | null | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
