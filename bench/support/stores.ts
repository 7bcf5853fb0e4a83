/**
 * Our scheduler on each store the store scenarios compare: PostgreSQL, MariaDB and SQLite through
 * TypeOrmJobStore (tables under a fresh prefix, dropped at the end), and the memory store as the
 * reference. Also the variant list and availability check those scenarios share.
 */
import type { DataSource } from 'typeorm';
import { Scheduler } from '../../lib/core/scheduler.js';
import type { Outcome } from '../../lib/core/runs/execution.js';
import { AsyncExecutor } from '../../lib/executors/async.executor.js';
import type { JobStore } from '../../lib/stores/job-store.js';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';
import { TypeOrmJobStore } from '../../lib/stores/typeorm/typeorm.job-store.js';
import { wallNow } from './clock.js';
import { BenchDatabase, probeOnce, quietLogger, type DatabaseKind } from './databases.js';

export type StoreKind = DatabaseKind | 'memory';

export const STORE_LABEL: Record<StoreKind, string> = {
  postgres: 'PostgreSQL',
  mariadb: 'MariaDB',
  sqlite: 'SQLite file',
  memory: 'memory store',
};

/** `ours-postgres` -> 'postgres'; null for a variant that is not one of ours on a store. */
export function storeOf(variant: string): StoreKind | null {
  const kind = variant.replace(/^ours-/, '');
  return variant.startsWith('ours-') && kind in STORE_LABEL ? (kind as StoreKind) : null;
}

/** For `variantAvailable`: the database of an `ours-<kind>` or `…-postgres`/pg-boss variant must answer. */
export function databaseAvailable(variant: string): Promise<string | null> | null {
  if (variant.startsWith('peer-pgboss') || variant.startsWith('pgboss')) return probeOnce('postgres');
  const kind = storeOf(variant) ?? (variant.startsWith('ours') ? 'postgres' : null);
  return kind === null || kind === 'memory' ? null : probeOnce(kind);
}

export interface StoreScheduler {
  scheduler: Scheduler;
  store: JobStore;
  db: BenchDatabase | null;
  dataSource: DataSource | null;
  /** Resolves once `count` execution records have been written by finishExecution (history complete). */
  recorded(count: number): Promise<number>;
  /** Shuts the scheduler down (not waiting for runs) and drops the tables. */
  close(): Promise<void>;
}

/**
 * A started-or-not scheduler on one store. `maxConcurrency` configures the default AsyncExecutor
 * (omitted: its default, 10). The store's finishExecution is wrapped to time when the history of
 * every run has been written (the scheduler writes it after the handler, without waiting).
 */
export async function createStoreScheduler(
  kind: StoreKind,
  tag: string,
  options: { maxConcurrency?: number; pollInterval?: number; instanceId?: string } = {},
): Promise<StoreScheduler> {
  let db: BenchDatabase | null = null;
  let dataSource: DataSource | null = null;
  let store: JobStore;
  if (kind === 'memory') {
    store = new MemoryJobStore();
  } else {
    db = new BenchDatabase(kind, tag);
    dataSource = await db.create();
    store = new TypeOrmJobStore({ dataSource, tablePrefix: db.prefix });
  }
  let written = 0;
  let waiting: { count: number; resolve: (at: number) => void } | null = null;
  const counted = (n: number) => {
    written += n;
    if (waiting && written >= waiting.count) {
      waiting.resolve(wallNow());
      waiting = null;
    }
  };
  // The scheduler writes outcomes in batches (finishExecutions); both entry points are counted.
  const finish = store.finishExecution.bind(store);
  store.finishExecution = async (id: string, outcome: Outcome) => {
    await finish(id, outcome);
    counted(1);
  };
  const finishMany = store.finishExecutions.bind(store);
  store.finishExecutions = async (items) => {
    await finishMany(items);
    counted(items.length);
  };
  const scheduler = new Scheduler({
    instanceId: options.instanceId ?? `bench-${process.pid}`,
    timezone: 'UTC',
    pollInterval: options.pollInterval,
    stores: { default: store },
    executors: { default: new AsyncExecutor(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}) },
    logger: quietLogger,
  });
  return {
    scheduler,
    store,
    db,
    dataSource,
    recorded: (count) => (written >= count ? Promise.resolve(wallNow()) : new Promise<number>((resolve) => (waiting = { count, resolve }))),
    async close() {
      if (scheduler.state !== 'stopped')
        await scheduler.shutdown({ wait: false }).catch((e: unknown) => console.error(`[bench] shutdown: ${String(e)}`));
      await db?.drop();
    },
  };
}
