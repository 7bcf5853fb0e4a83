import 'reflect-metadata';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { MemoryJobStore, TypeOrmJobStore } from '../../../lib/index.js';
import type { Claim } from '../../../lib/core/loop/claim.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import { describeDatabase, uniquePrefix } from '../../support/databases.js';
import { canControlPostgres as canControl, postgresCluster, postgresReady } from '../../support/postgres-server.js';
import { eventually, startObservabilityApp, type ObservabilityApp } from './observability-app.js';

interface HealthBody {
  status: string;
  info?: Record<string, { status: string; [key: string]: unknown }>;
  error?: Record<string, { status: string; message?: string; problems?: string[] }>;
}

const apps: ObservabilityApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function health(app: ObservabilityApp): Promise<{ status: number; body: HealthBody }> {
  const response = await app.get('/health');
  return { status: response.status, body: response.json() as HealthBody };
}

describe('SchedulerHealthIndicator through /health (terminus, Express)', () => {
  it('is up for a running scheduler', async () => {
    const app = await startObservabilityApp({ timezone: 'UTC' });
    apps.push(app);
    const { status, body } = await health(app);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info?.scheduler).toMatchObject({
      status: 'up',
      state: 'running',
      instanceId: app.scheduler.instanceId,
      stores: [{ alias: 'default', failing: false, lastError: null }],
    });
  });

  it('is down once the scheduler is stopped', async () => {
    const app = await startObservabilityApp({ timezone: 'UTC' });
    apps.push(app);
    await app.scheduler.shutdown();
    const { status, body } = await health(app);
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error?.scheduler).toMatchObject({ status: 'down', message: 'the scheduler is not running (stopped)' });
  });

  it('is down while the loop is stuck on a claim that never answers, and up again once it does', async () => {
    const store = new MemoryJobStore();
    const claim = store.claimDueJobs.bind(store);
    let release: (() => void) | undefined;
    let hang = false;
    store.claimDueJobs = (...args) => {
      if (!hang) return claim(...args);
      return new Promise<Claim[]>((resolve) => (release = () => resolve([])));
    };
    const app = await startObservabilityApp({ timezone: 'UTC', stores: { default: store } }, { health: { stuckAfter: 300 } });
    apps.push(app);
    app.scheduler.registry.register('noop', () => undefined);
    expect((await health(app)).status).toBe(200);
    hang = true;
    await app.scheduler.addJob({ id: 'soon', handler: 'noop', trigger: { type: 'interval', milliseconds: 50 } });
    expect(await eventually(async () => (await health(app)).status === 503, 3000)).toBe(true);
    const { body } = await health(app);
    expect(body.error?.scheduler.message).toMatch(
      /^the scheduler loop is stuck: a pass started \d+ ms ago and has not ended \(limit 300 ms\)$/,
    );
    hang = false;
    release?.();
    expect(await eventually(async () => (await health(app)).status === 200, 3000)).toBe(true);
  });
});

/** Stops and starts the machine's PostgreSQL cluster, as an outage would (see test/integration/persistence/outage.spec.ts). */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await describeDatabase('postgres', (db) => {
  afterAll(async () => {
    // Whatever happened, leave the server running for the suites after this one (and other agents' tests).
    if (canControl && !postgresReady()) postgresCluster('start');
    for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
  });

  (canControl ? it : it.skip)(
    'is down while PostgreSQL is stopped, and up again once it is back',
    async () => {
      const prefix = uniquePrefix('obs');
      db.dropTablesAfterAll(prefix);
      const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, heartbeatInterval: 500, instanceTimeout: 3000 });
      const app = await startObservabilityApp({ timezone: 'UTC', pollInterval: 200, stores: { default: store } });
      apps.push(app);
      app.scheduler.registry.register('noop', () => undefined);
      await app.scheduler.addJob({ id: 'tick', handler: 'noop', trigger: { type: 'interval', milliseconds: 300 } });
      expect(await eventually(async () => (await health(app)).status === 200, 3000)).toBe(true);
      expect((await health(app)).body.info?.scheduler).toMatchObject({
        stores: [{ alias: 'default', heartbeatAgeMs: expect.any(Number) }],
      });

      let down: HealthBody | undefined;
      // How long after the stop health turned down.
      let downAfter: number | undefined;
      try {
        const stoppedAt = Date.now();
        postgresCluster('stop');
        // Kept short: other suites may be using the server. The next pass (200 ms) or heartbeat (500 ms) fails.
        const wentDown = await eventually(async () => {
          const { status, body } = await health(app);
          if (status === 503) down = body;
          return status === 503;
        }, 5000);
        downAfter = Date.now() - stoppedAt;
        expect(wentDown).toBe(true);
      } finally {
        if (!postgresReady()) postgresCluster('start');
        for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
      }
      expect(downAfter).toBeLessThan(6000);
      expect(down?.error?.scheduler.message).toMatch(/store 'default' has failed since its last success/);
      // Back at the loop's next retry (back-off from 0.5 s) or the next heartbeat that lands.
      expect(await eventually(async () => (await health(app)).status === 200, 20_000)).toBe(true);
    },
    60_000,
  );
});
