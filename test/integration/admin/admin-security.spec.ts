import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { of } from 'rxjs';
import { SchedulerAdminModule, type SchedulerAdminOptions, type SchedulerAdminOptionsFactory } from '../../../lib/admin/index.js';
import { bootAdmin, bootFailure, PLATFORMS, type AdminApp } from './admin-app.js';

const NO_GUARDS =
  'SchedulerAdminModule needs `guards` (the Nest guards that already protect your application, e.g. its JWT or ' +
  'session guard), or `allowAnonymous: true` to serve the dashboard and its REST API to anyone who can reach it. ' +
  'Without either it refuses to start, so an unprotected admin is never mounted by accident.';
const READ_ONLY = 'The scheduler admin is read-only (readOnly: true): actions are disabled';
const JSON_ONLY = "Actions need 'Content-Type: application/json' (send the body {}): a cross-site form or image cannot send it";

/** Every admin route, as [method, path]. */
const READS: [string, string][] = [
  ['GET', '/scheduler'],
  ['GET', '/scheduler/api/state'],
  ['GET', '/scheduler/api/jobs'],
  ['GET', '/scheduler/api/jobs/guarded'],
  ['GET', '/scheduler/api/executions'],
  ['GET', '/scheduler/api/events'],
];
const ACTIONS: [string, string, unknown][] = [
  ['POST', '/scheduler/api/jobs/guarded/run', {}],
  ['POST', '/scheduler/api/jobs/guarded/pause', {}],
  ['POST', '/scheduler/api/jobs/guarded/resume', {}],
  ['POST', '/scheduler/api/jobs/guarded/reschedule', { trigger: '* * * * *' }],
  ['DELETE', '/scheduler/api/jobs/guarded', {}],
];

/** The token an application's guard would check; provided by the application. */
const ADMIN_TOKEN = 'ADMIN_TOKEN';

/** A guard as an application writes one: DI, reads a header. */
@Injectable()
class TokenGuard implements CanActivate {
  constructor(@Inject(ADMIN_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers['x-admin-token'] === undefined) throw new UnauthorizedException('Log in to see the scheduler');
    return request.headers['x-admin-token'] === this.token;
  }
}

@Module({ providers: [{ provide: ADMIN_TOKEN, useValue: 's3cret' }], exports: [ADMIN_TOKEN] })
class TokenModule {}

/** Options from an application's own provider (forRootAsync useExisting). */
@Injectable()
class AdminConfig implements SchedulerAdminOptionsFactory {
  createSchedulerAdminOptions(): SchedulerAdminOptions {
    return { guards: [{ canActivate: () => false }], readOnly: true };
  }
}

@Module({ providers: [AdminConfig], exports: [AdminConfig] })
class AdminConfigModule {}

async function addGuardedJob(admin: AdminApp): Promise<void> {
  await admin.scheduler.addJob({ id: 'guarded', handler: 'report.send', args: ['x'], trigger: { type: 'interval', hours: 1 } });
}

describe('bootstrap refuses an unprotected admin', () => {
  it.each([
    ['forRoot({})', () => SchedulerAdminModule.forRoot({})],
    ['forRoot({ guards: [] })', () => SchedulerAdminModule.forRoot({ guards: [] })],
    ['forRoot({ allowAnonymous: false })', () => SchedulerAdminModule.forRoot({ allowAnonymous: false })],
    ['forRootAsync with a factory giving no guards', () => SchedulerAdminModule.forRootAsync({ useFactory: () => ({ readOnly: true }) })],
  ])('%s: fails, saying to pass guards or allowAnonymous', async (_name, make) => {
    expect((await bootFailure(make())).message).toBe(NO_GUARDS);
  });

  it('refuses bad options with the field, the value and what is allowed', async () => {
    expect(() => SchedulerAdminModule.forRoot({ allowAnonymous: true, path: 'a?b' })).toThrow(
      "Invalid SchedulerAdminModule option 'path': \"a?b\"; allowed: segments of letters, digits and '.', '_', '~', '-' separated by '/'",
    );
    const typo = SchedulerAdminModule.forRoot({ allowAnonymous: true, readonly: true } as SchedulerAdminOptions);
    expect((await bootFailure(typo)).message).toBe(
      "Invalid SchedulerAdminModule option 'readonly': true; not an option; allowed: path, guards, allowAnonymous, readOnly, heartbeatInterval",
    );
    const notAGuard = SchedulerAdminModule.forRoot({ guards: [{} as CanActivate] });
    expect((await bootFailure(notAGuard)).message).toBe(
      "Invalid SchedulerAdminModule option 'guards[0]': {}; allowed: a guard class or an object with canActivate()",
    );
    const fromFactory = SchedulerAdminModule.forRootAsync({ useFactory: () => ({ allowAnonymous: true, path: 'elsewhere' }) });
    expect((await bootFailure(fromFactory)).message).toContain('give `path` beside the factory');
  });
});

describe.each(PLATFORMS)('admin security on %s', (platform) => {
  describe('a guard that says no', () => {
    let admin: AdminApp;
    beforeAll(async () => {
      admin = await bootAdmin({ platform, admin: SchedulerAdminModule.forRoot({ guards: [{ canActivate: () => false }] }) });
      await addGuardedJob(admin);
    });
    afterAll(() => admin.close());

    it.each(READS)('%s %s: 403', async (method, path) => {
      const response = await admin.http(path, { method });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Forbidden resource' });
    });

    it.each(ACTIONS)('%s %s: 403, before the content type is even looked at, and nothing happens', async (method, path, body) => {
      const response = await admin.action(method as 'POST', path, body);
      expect(response.status).toBe(403);
      expect((await admin.http(path, { method, body: 'x=1', headers: { 'Content-Type': 'text/plain' } })).status).toBe(403);
      const job = await admin.scheduler.getJob('guarded');
      expect(job).toMatchObject({ id: 'guarded', trigger: { type: 'interval', hours: 1 } });
      expect(job!.nextRunTime).not.toBeNull();
      expect(await admin.scheduler.getExecutions({ jobId: 'guarded' })).toEqual([]);
    });
  });

  it("forRootAsync({ useExisting }) takes the options from the application's provider", async () => {
    const admin = await bootAdmin({
      platform,
      admin: SchedulerAdminModule.forRootAsync({ imports: [AdminConfigModule], useExisting: AdminConfig, path: 'ops' }),
    });
    try {
      expect((await admin.http('/ops/api/state')).status).toBe(403);
    } finally {
      await admin.close();
    }
  });

  describe('an application guard class with its own dependencies', () => {
    let admin: AdminApp;
    beforeAll(async () => {
      admin = await bootAdmin({
        platform,
        admin: SchedulerAdminModule.forRootAsync({
          imports: [TokenModule],
          inject: [ADMIN_TOKEN],
          useFactory: (token: string) => ({ guards: [TokenGuard, { canActivate: () => of(token === 's3cret') }] }),
        }),
      });
      await addGuardedJob(admin);
    });
    afterAll(() => admin.close());

    it('lets the right token through on every route', async () => {
      const headers = { 'x-admin-token': 's3cret' };
      for (const [method, path] of READS.filter(([, p]) => !p.endsWith('/events'))) {
        expect([method, path, (await admin.http(path, { method, headers })).status]).toEqual([method, path, 200]);
      }
      const pause = await admin.http('/scheduler/api/jobs/guarded/pause', {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
        body: '{}',
      });
      expect(pause.status).toBe(200);
    });

    it("answers the guard's own refusals: 401 without a token, 403 with a wrong one", async () => {
      const missing = await admin.http('/scheduler/api/jobs');
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Log in to see the scheduler' });
      const wrong = await admin.http('/scheduler/api/jobs', { headers: { 'x-admin-token': 'guess' } });
      expect(wrong.status).toBe(403);
      const wrongAction = await admin.http('/scheduler/api/jobs/guarded', {
        method: 'DELETE',
        headers: { 'x-admin-token': 'guess', 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(wrongAction.status).toBe(403);
      expect(await admin.scheduler.getJob('guarded')).not.toBeNull();
    });
  });

  describe('actions need Content-Type: application/json', () => {
    let admin: AdminApp;
    beforeAll(async () => {
      admin = await bootAdmin({ platform, admin: SchedulerAdminModule.forRoot({ allowAnonymous: true }) });
      await addGuardedJob(admin);
    });
    afterAll(() => admin.close());

    it.each(ACTIONS)('%s %s without it: 415, and nothing happens', async (method, path) => {
      const plain = await admin.http(path, { method, body: '{}', headers: { 'Content-Type': 'text/plain' } });
      expect(plain.status).toBe(415);
      expect(await plain.json()).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: JSON_ONLY });
      const none = await admin.http(path, { method });
      expect(none.status).toBe(415);
      // What a cross-site form sends. Fastify refuses the type itself (its own message), Express reaches the guard.
      const form = await admin.http(path, { method, body: 'trigger=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(415);
      expect(await form.json()).toMatchObject({ statusCode: 415 });
      const job = await admin.scheduler.getJob('guarded');
      expect(job?.nextRunTime).not.toBeNull();
      expect(await admin.scheduler.getExecutions({ jobId: 'guarded' })).toEqual([]);
    });
  });

  describe('readOnly', () => {
    let admin: AdminApp;
    beforeAll(async () => {
      class Options implements SchedulerAdminOptionsFactory {
        createSchedulerAdminOptions(): SchedulerAdminOptions {
          return { allowAnonymous: true, readOnly: true };
        }
      }
      admin = await bootAdmin({ platform, admin: SchedulerAdminModule.forRootAsync({ useClass: Options }) });
      await addGuardedJob(admin);
    });
    afterAll(() => admin.close());

    it.each(ACTIONS)('%s %s: 404, and the job is unchanged', async (method, path, body) => {
      const response = await admin.action(method as 'POST', path, body);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: READ_ONLY });
      expect(await admin.scheduler.getJob('guarded')).toMatchObject({ trigger: { type: 'interval', hours: 1 } });
      expect(await admin.scheduler.getExecutions({ jobId: 'guarded' })).toEqual([]);
    });

    it('still answers the reads, and says readOnly in the state', async () => {
      const state = (await (await admin.http('/scheduler/api/state')).json()) as { readOnly: boolean };
      expect(state.readOnly).toBe(true);
      expect((await admin.http('/scheduler/api/jobs/guarded')).status).toBe(200);
    });
  });
});
