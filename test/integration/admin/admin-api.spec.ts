import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobView } from '../../../lib/admin/index.js';
import { bootAdmin, eventually, PLATFORMS, STORES, type AdminApp } from './admin-app.js';

/**
 * The REST routes of API.md "Admin" over real HTTP, on Express and Fastify, on the memory store
 * and on TypeOrmJobStore (SQLite file): every route's answer and every refusal with its status
 * code and message. Security (guards, read-only, content type) is in admin-security.spec.ts.
 */
const combinations = PLATFORMS.flatMap((platform) => STORES.map((store) => [platform, store] as const));

describe.each(combinations)('admin REST on %s with the %s store', (platform, store) => {
  let admin: AdminApp;
  const json = async (path: string) => {
    const response = await admin.http(path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    admin = await bootAdmin({ platform, store });
    const s = admin.scheduler;
    for (let i = 0; i < 12; i++) {
      await s.addJob({
        id: `report-${String(i).padStart(2, '0')}`,
        name: i % 4 === 0 ? `Nightly backup ${i}` : `Send report ${i}`,
        handler: 'report.send',
        args: [`team-${i}@example.com`],
        trigger: { type: 'interval', minutes: 5 },
        nextRunTime: i >= 9 ? null : undefined,
      });
    }
    await s.addJob({
      id: 'weekday',
      name: 'Weekday digest',
      handler: 'report.send',
      args: ['x'],
      trigger: { type: 'cron', hour: 9, minute: 0, dayOfWeek: 'mon-fri', timezone: 'Europe/Paris' },
    });
    await s.addJob({
      id: 'failing',
      name: 'Failing upload',
      handler: 'report.fail',
      trigger: { type: 'date', runDate: '2099-12-02T10:00:00Z' },
    });
  });

  afterAll(async () => {
    await admin.close();
  });

  it('GET state: the scheduler, its stores and executors, and the cluster instances of a shared store', async () => {
    const { status, body } = await json('/scheduler/api/state');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      state: 'running',
      instanceId: admin.scheduler.instanceId,
      timezone: 'UTC',
      stores: ['default'],
      executors: ['default'],
      readOnly: false,
    });
    const instances = body.instances as { id: string; lastHeartbeat: string; alive: boolean }[];
    if (store === 'memory') expect(instances).toEqual([]);
    else {
      expect(instances).toEqual([{ id: admin.scheduler.instanceId, lastHeartbeat: expect.any(String), alive: true }]);
      expect(Date.parse(instances[0]!.lastHeartbeat)).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it('GET jobs: a page (default 50) with the total, paused jobs last', async () => {
    const { status, body } = await json('/scheduler/api/jobs');
    expect(status).toBe(200);
    expect(body.total).toBe(14);
    const items = body.items as JobView[];
    expect(items).toHaveLength(14);
    expect(items.slice(-3).map((j) => j.id)).toEqual(['report-09', 'report-10', 'report-11']);
    expect(items.slice(-3).every((j) => j.paused && j.nextRunTime === null)).toBe(true);
  });

  it('GET jobs: q (id or name, any case), paused, limit and offset', async () => {
    const backups = await json('/scheduler/api/jobs?q=BACKUP');
    expect(backups.body.total).toBe(3);
    expect((backups.body.items as JobView[]).map((j) => j.id).sort()).toEqual(['report-00', 'report-04', 'report-08']);
    expect((await json('/scheduler/api/jobs?q=weekday')).body.total).toBe(1);
    expect((await json('/scheduler/api/jobs?paused=true')).body.total).toBe(3);
    expect((await json('/scheduler/api/jobs?paused=false&q=report')).body.total).toBe(9);
    const page = await json('/scheduler/api/jobs?paused=true&limit=2&offset=1');
    expect(page.body).toMatchObject({ total: 3 });
    expect((page.body.items as JobView[]).map((j) => j.id)).toEqual(['report-10', 'report-11']);
    expect((await json('/scheduler/api/jobs?store=default&limit=0')).body).toEqual({ items: [], total: 14 });
  });

  it.each([
    ['limit=501', 'Invalid query parameter \'limit\': "501"; allowed: a whole number from 0 to 500'],
    ['limit=-1', 'Invalid query parameter \'limit\': "-1"; allowed: a whole number from 0 to 500'],
    ['offset=1.5', 'Invalid query parameter \'offset\': "1.5"; allowed: a whole number from 0 to 2147483647'],
    ['paused=yes', 'Invalid query parameter \'paused\': "yes"; allowed: true or false'],
    ['limt=10', 'Invalid query parameter \'limt\': "10"; not a parameter of this route; allowed: q, store, paused, limit, offset'],
    ['limit=1&limit=2', `Invalid query parameter 'limit': ["1","2"]; allowed: one value (the parameter was given more than once)`],
    ['store=nope', "No job store by the alias of 'nope' (known: default)"],
  ])('GET jobs?%s: 400 with what is allowed', async (query, message) => {
    expect(await json(`/scheduler/api/jobs?${query}`)).toEqual({ status: 400, body: { statusCode: 400, error: 'Bad Request', message } });
  });

  it('GET jobs/:id: the JobView, with the trigger in words', async () => {
    const { status, body } = await json('/scheduler/api/jobs/weekday');
    expect(status).toBe(200);
    expect(body).toEqual({
      id: 'weekday',
      name: 'Weekday digest',
      handler: 'report.send',
      args: ['x'],
      trigger: expect.objectContaining({ type: 'cron', hour: 9, minute: 0, dayOfWeek: 'mon-fri', timezone: 'Europe/Paris' }),
      triggerText: 'at 09:00 on Monday–Friday (Europe/Paris)',
      store: 'default',
      executor: 'default',
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: 1000,
      retry: null,
      nextRunTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/),
      paused: false,
      pending: false,
      lastExecution: null,
    });
    expect((await json('/scheduler/api/jobs/report-01')).body.triggerText).toBe('every 5 minutes');
    expect((await json('/scheduler/api/jobs/failing')).body.triggerText).toBe('once at 2099-12-02T10:00:00Z');
  });

  it('GET jobs/:id of an unknown job: 404 naming it', async () => {
    expect(await json('/scheduler/api/jobs/nope')).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: "No job by the id of 'nope' was found" },
    });
  });

  it('POST run: 202, then the execution is in the history and in the job view', async () => {
    const response = await admin.action('POST', '/scheduler/api/jobs/report-03/run');
    expect(response.status).toBe(202);
    const execution = await eventually(async () => {
      const { body } = await json('/scheduler/api/executions?jobId=report-03&status=executed');
      return (body.items as unknown[])[0];
    });
    expect(execution).toMatchObject({ jobId: 'report-03', status: 'executed', error: null, instanceId: admin.scheduler.instanceId });
    const view = (await json('/scheduler/api/jobs/report-03')).body as unknown as JobView;
    expect(view.lastExecution).toEqual(execution);
  });

  it('POST run of a job that fails: the error run is recorded with its message', async () => {
    expect((await admin.action('POST', '/scheduler/api/jobs/failing/run')).status).toBe(202);
    const execution = await eventually(
      async () => ((await json('/scheduler/api/executions?jobId=failing&status=error')).body.items as unknown[])[0],
    );
    expect(execution).toMatchObject({ status: 'error', error: 'Error: the report server said no' });
  });

  it('POST run of an unknown job: 404', async () => {
    const response = await admin.action('POST', '/scheduler/api/jobs/nope/run');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: "No job by the id of 'nope' was found" });
  });

  it('POST pause then resume: the JobView each time', async () => {
    const paused = await admin.action('POST', '/scheduler/api/jobs/report-05/pause');
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ id: 'report-05', paused: true, nextRunTime: null });
    const resumed = await admin.action('POST', '/scheduler/api/jobs/report-05/resume');
    expect(resumed.status).toBe(200);
    const view = (await resumed.json()) as JobView;
    expect(view.paused).toBe(false);
    expect(Date.parse(view.nextRunTime!)).toBeGreaterThan(Date.now());
  });

  it('POST resume of a job whose trigger has no further fire time: 204, and the job is gone', async () => {
    await admin.scheduler.addJob({
      id: 'ending',
      handler: 'report.send',
      args: ['x'],
      trigger: { type: 'interval', hours: 1, startDate: new Date(Date.now() - 1000), endDate: new Date(Date.now() + 300) },
      nextRunTime: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const response = await admin.action('POST', '/scheduler/api/jobs/ending/resume');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await json('/scheduler/api/jobs/ending')).status).toBe(404);
  });

  it('POST reschedule: the new trigger, or 400 with the InvalidTriggerError message', async () => {
    const ok = await admin.action('POST', '/scheduler/api/jobs/report-06/reschedule', { trigger: '*/10 * * * *' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ trigger: { type: 'cron', expression: '*/10 * * * *' }, triggerText: 'every 10 minutes (UTC)' });
    const bad = await admin.action('POST', '/scheduler/api/jobs/report-06/reschedule', { trigger: { type: 'cron', hour: 25 } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { message: string };
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining("Invalid trigger field 'hour'") });
    expect(body.message).toContain('25');
    const missing = await admin.action('POST', '/scheduler/api/jobs/report-06/reschedule', {});
    expect(await missing.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: `Invalid body field 'trigger': undefined; required: a TriggerSpec, e.g. { "type": "cron", "expression": "0 9 * * 1-5" }`,
    });
    const unknown = await admin.action('POST', '/scheduler/api/jobs/nope/reschedule', { trigger: '* * * * *' });
    expect(unknown.status).toBe(404);
  });

  it('an action body with fields the action does not take: 400 naming the field', async () => {
    const response = await admin.action('POST', '/scheduler/api/jobs/report-07/pause', { force: true });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: "Invalid body field 'force': true; this action takes no fields; send {}",
    });
    const array = await admin.action('POST', '/scheduler/api/jobs/report-07/pause', [1]);
    expect(array.status).toBe(400);
    expect(((await array.json()) as { message: string }).message).toBe('Invalid body: [1]; allowed: a JSON object, {}');
  });

  it('DELETE: 204, then the job is gone; an unknown job is 404', async () => {
    const response = await admin.action('DELETE', '/scheduler/api/jobs/report-08');
    expect(response.status).toBe(204);
    expect((await json('/scheduler/api/jobs/report-08')).status).toBe(404);
    const again = await admin.action('DELETE', '/scheduler/api/jobs/report-08');
    expect(again.status).toBe(404);
    expect(((await again.json()) as { message: string }).message).toBe("No job by the id of 'report-08' was found");
  });

  it('job ids with slashes and spaces travel escaped in the path', async () => {
    await admin.scheduler.addJob({
      id: 'team a/daily report',
      handler: 'report.send',
      args: ['x'],
      trigger: { type: 'interval', hours: 1 },
    });
    const path = `/scheduler/api/jobs/${encodeURIComponent('team a/daily report')}`;
    expect((await json(path)).body.id).toBe('team a/daily report');
    expect((await admin.action('POST', `${path}/pause`)).status).toBe(200);
    expect((await admin.action('DELETE', path)).status).toBe(204);
  });

  it('GET executions: newest first, filtered, with the total', async () => {
    for (let i = 0; i < 3; i++) expect((await admin.action('POST', '/scheduler/api/jobs/report-02/run')).status).toBe(202);
    await eventually(async () =>
      (await json('/scheduler/api/executions?jobId=report-02&status=executed')).body.total === 3 ? true : null,
    );
    const { status, body } = await json('/scheduler/api/executions?jobId=report-02&limit=2');
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    const items = body.items as { scheduledRunTime: string }[];
    expect(items).toHaveLength(2);
    expect(Date.parse(items[0]!.scheduledRunTime)).toBeGreaterThan(Date.parse(items[1]!.scheduledRunTime));
    const second = (await json('/scheduler/api/executions?jobId=report-02&limit=2&offset=1')).body.items as { scheduledRunTime: string }[];
    expect(second[0]).toEqual(items[1]);
    const since = items[0]!.scheduledRunTime;
    expect((await json(`/scheduler/api/executions?jobId=report-02&since=${since}`)).body.total).toBe(1);
    expect((await json(`/scheduler/api/executions?jobId=report-02&until=${since}`)).body.total).toBe(2);
    expect((await json('/scheduler/api/executions?status=lost')).body).toEqual({ items: [], total: 0, totalExact: true });
    expect((await json('/scheduler/api/executions?jobId=report-02')).body.totalExact).toBe(true);
  });

  it.each([
    [
      'status=done',
      'Invalid query parameter \'status\': "done"; allowed: running, executed, error, missed, max_instances, lost, retry_pending',
    ],
    ['since=yesterday', 'Invalid query parameter \'since\': "yesterday"; allowed: an ISO-8601 date-time such as 2026-12-02T10:00:00Z'],
    [
      'until=2026-13-45T00:00:00Z',
      'Invalid query parameter \'until\': "2026-13-45T00:00:00Z"; allowed: an ISO-8601 date-time such as 2026-12-02T10:00:00Z',
    ],
    ['limit=1000', 'Invalid query parameter \'limit\': "1000"; allowed: a whole number from 0 to 500'],
    ['job=x', 'Invalid query parameter \'job\': "x"; not a parameter of this route; allowed: jobId, status, since, until, limit, offset'],
  ])('GET executions?%s: 400 with what is allowed', async (query, message) => {
    expect(await json(`/scheduler/api/executions?${query}`)).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message },
    });
  });
});

describe.each(PLATFORMS)('admin REST on %s: mounting and a stopped scheduler', (platform) => {
  it('mounts under a custom path and the global prefix', async () => {
    const { SchedulerAdminModule } = await import('../../../lib/admin/index.js');
    const admin = await bootAdmin({
      platform,
      admin: SchedulerAdminModule.forRoot({ allowAnonymous: true, path: '/ops/jobs-admin/' }),
      globalPrefix: 'internal',
    });
    try {
      expect((await admin.http('/internal/ops/jobs-admin/api/state')).status).toBe(200);
      expect((await admin.http('/scheduler/api/state')).status).toBe(404);
    } finally {
      await admin.close();
    }
  });

  it('POST run while the scheduler is stopped: 409; the pending job is listed', async () => {
    const admin = await bootAdmin({ platform, scheduler: { autoStart: false } });
    try {
      await admin.scheduler.addJob({ id: 'later', handler: 'report.send', args: ['x'], trigger: { type: 'interval', hours: 1 } });
      const list = (await (await admin.http('/scheduler/api/jobs')).json()) as { items: JobView[]; total: number };
      expect(list.total).toBe(1);
      expect(list.items[0]).toMatchObject({ id: 'later', pending: true, lastExecution: null });
      expect(((await (await admin.http('/scheduler/api/state')).json()) as { state: string }).state).toBe('stopped');
      const run = await admin.action('POST', '/scheduler/api/jobs/later/run');
      expect(run.status).toBe(409);
      expect(await run.json()).toEqual({ statusCode: 409, error: 'Conflict', message: 'The scheduler is not running' });
    } finally {
      await admin.close();
    }
  });
});

describe('admin REST: a history too long to count', () => {
  it('counts up to 100,000 records and says the total is not exact, still paging beyond it', async () => {
    const { MemoryJobStore } = await import('../../../lib/index.js');
    const store = new MemoryJobStore({ maxExecutions: 200_000 });
    const admin = await bootAdmin({ platform: 'express', scheduler: { stores: { default: store } } });
    try {
      await admin.scheduler.addJob({ id: 'busy', handler: 'report.send', args: ['x'], trigger: { type: 'interval', hours: 1 } });
      const base = Date.now() - 1e9;
      for (let i = 0; i < 100_010; i++) await store.startExtraRun('busy', new Date(base + i));
      const page = (await (await admin.http('/scheduler/api/executions?limit=1&offset=100005')).json()) as {
        items: { scheduledRunTime: string }[];
        total: number;
        totalExact: boolean;
      };
      expect(page.total).toBe(100_000);
      expect(page.totalExact).toBe(false);
      // Offset 100,005 of the newest-first list is the 5th oldest record.
      expect(page.items.map((e) => Date.parse(e.scheduledRunTime) - base)).toEqual([4]);
      const counted = (await (
        await admin.http('/scheduler/api/executions?limit=0&since=' + new Date(base + 100_000).toISOString())
      ).json()) as object;
      expect(counted).toEqual({ items: [], total: 10, totalExact: true });
    } finally {
      await admin.close();
    }
  });
});
