import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Inject, Injectable, Logger, Module, Scope, type INestApplicationContext } from '@nestjs/common';
import { ContextIdFactory, REQUEST, type ContextId, type ContextIdStrategy, type HostComponentInfo } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { firstValueFrom, filter, take } from 'rxjs';
import {
  InvalidJobOptionError,
  InvalidSchedulerOptionError,
  JobHandler,
  MemoryJobStore,
  ScheduledJob,
  SchedulerModule,
  SchedulerService,
  type JobContext,
  type SchedulerModuleOptions,
} from '../../../lib/index.js';

const calls: string[] = [];
const nextTick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

async function boot(
  options: SchedulerModuleOptions | ReturnType<typeof SchedulerModule.forRoot>,
  providers: unknown[],
): Promise<INestApplicationContext> {
  const imported = 'module' in options ? options : SchedulerModule.forRoot(options);
  const ref = await Test.createTestingModule({ imports: [imported], providers: providers as [] }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

@Injectable()
class NightlyReport {
  @ScheduledJob({ trigger: { type: 'cron', hour: 3 } })
  send() {
    calls.push('nightly');
  }
}

@Injectable()
class ConfiguredReport {
  /** No trigger in code: it comes from configuration. */
  @ScheduledJob({ id: 'report' })
  send(ctx: JobContext) {
    calls.push(`report:${ctx.jobId}`);
  }
}

@Injectable()
class Heartbeat {
  @ScheduledJob({ trigger: { type: 'interval', milliseconds: 50 }, misfireGraceTime: null })
  beat() {
    calls.push('beat');
  }
}

describe('decorated jobs from configuration, disabled, paused, run on start, orphaned', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    calls.length = 0;
    jest.restoreAllMocks();
  });

  it("takes a decorated job's trigger and options from forRootAsync configuration", async () => {
    @Injectable()
    class Config {
      readonly reportSchedule = { type: 'interval', milliseconds: 50 } as const;
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    app = await boot(
      SchedulerModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (config: Config) => ({
          jobs: { report: { trigger: config.reportSchedule, name: 'Report from config', misfireGraceTime: null } },
        }),
      }),
      [ConfiguredReport],
    );
    const job = await app.get(SchedulerService).getJob('report');
    expect(job).toMatchObject({ name: 'Report from config', trigger: { type: 'interval', milliseconds: 50 }, misfireGraceTime: null });
    await nextTick(200);
    expect(calls.filter((c) => c === 'report:report').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses at bootstrap a configuration for a job no decorator declares, and a job with no trigger anywhere', async () => {
    await expect(boot({ jobs: { 'NightlyReport.sned': { enabled: false } } }, [NightlyReport])).rejects.toThrow(
      InvalidSchedulerOptionError,
    );
    await expect(boot({ jobs: { 'NightlyReport.sned': { enabled: false } } }, [NightlyReport])).rejects.toThrow(/NightlyReport\.send/);
    await expect(boot({}, [ConfiguredReport])).rejects.toThrow(InvalidJobOptionError);
    await expect(boot({}, [ConfiguredReport])).rejects.toThrow(/jobs\['report'\]\.trigger/);
    await expect(
      boot({ jobs: { report: { trigger: { type: 'interval', seconds: 1 }, maxInstances: 0 } } }, [ConfiguredReport]),
    ).rejects.toThrow(/maxInstances/);
    await expect(
      boot({ jobs: { report: { trigger: { type: 'interval', seconds: 1 }, paused: true, runOnStart: true } } }, [ConfiguredReport]),
    ).rejects.toThrow(/runOnStart/);
  });

  it('refuses bad declaration flags at class definition', () => {
    expect(() => ScheduledJob({ trigger: { type: 'interval', seconds: 1 }, enabled: 'no' as unknown as boolean })).toThrow(
      InvalidJobOptionError,
    );
    expect(() => ScheduledJob({ trigger: { type: 'interval', seconds: 1 }, paused: true, runOnStart: true })).toThrow(/runOnStart/);
    expect(() => ScheduledJob({ trigger: { type: 'interval', seconds: 1 }, enabeld: false } as never)).toThrow(/enabled/);
  });

  it('leaves a disabled job out, and removes the copy an earlier deployment stored before it can fire', async () => {
    const store = new MemoryJobStore();
    app = await boot({ stores: { default: store } }, [Heartbeat]);
    expect(await app.get(SchedulerService).getJob('Heartbeat.beat')).not.toBeNull();
    await app.close();
    calls.length = 0;
    const events: string[] = [];
    app = await boot({ stores: { default: store }, jobs: { 'Heartbeat.beat': { enabled: false } } }, [Heartbeat]);
    const scheduler = app.get(SchedulerService);
    scheduler.events$.subscribe((e) => events.push(e.type));
    expect(await scheduler.getJob('Heartbeat.beat')).toBeNull();
    expect(scheduler.state).toBe('running');
    await nextTick(200);
    expect(calls).toEqual([]);
    // The handler stays registered: a dynamic job may still name it.
    expect(scheduler.registry.has('Heartbeat.beat')).toBe(true);
  });

  it('stores a paused job paused at every start, even after it was resumed', async () => {
    @Injectable()
    class PausedJob {
      @ScheduledJob({ trigger: { type: 'interval', milliseconds: 50 }, paused: true })
      run() {
        calls.push('paused-ran');
      }
    }
    const store = new MemoryJobStore();
    app = await boot({ stores: { default: store } }, [PausedJob]);
    const scheduler = app.get(SchedulerService);
    expect((await scheduler.getJob('PausedJob.run'))!.nextRunTime).toBeNull();
    await nextTick(150);
    expect(calls).toEqual([]);
    await scheduler.resumeJob('PausedJob.run');
    await nextTick(150);
    expect(calls).toContain('paused-ran');
    await app.close();
    app = await boot({ stores: { default: store } }, [PausedJob]);
    expect((await app.get(SchedulerService).getJob('PausedJob.run'))!.nextRunTime).toBeNull();
  });

  it('runs a runOnStart job once when the scheduler starts, then on its trigger; with startPaused, at the first resume', async () => {
    @Injectable()
    class Warmup {
      @ScheduledJob({ trigger: { type: 'cron', hour: 3 }, runOnStart: true })
      warm(ctx: JobContext) {
        calls.push(`warm:${ctx.jobId}`);
      }
    }
    app = await boot({ timezone: 'UTC' }, [Warmup]);
    const scheduler = app.get(SchedulerService);
    await nextTick(100);
    expect(calls).toEqual(['warm:Warmup.warm']);
    expect((await scheduler.getJob('Warmup.warm'))!.nextRunTime!.getUTCHours()).toBe(3);
    await app.close();
    calls.length = 0;

    app = await boot({ timezone: 'UTC', startPaused: true }, [Warmup]);
    await nextTick(100);
    expect(calls).toEqual([]);
    app.get(SchedulerService).resume();
    await nextTick(100);
    expect(calls).toEqual(['warm:Warmup.warm']);
  });

  it('reports stored jobs whose handler no provider has, and removes them with removeOrphanedJobs', async () => {
    const store = new MemoryJobStore();
    app = await boot({ stores: { default: store }, timezone: 'UTC' }, [NightlyReport]);
    await app.close();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    // The next deployment renamed the method: NightlyReport.send is gone.
    app = await boot({ stores: { default: store }, timezone: 'UTC' }, [Heartbeat]);
    expect(warn.mock.calls.some(([m]) => String(m).includes('NightlyReport.send') && String(m).includes('removeOrphanedJobs'))).toBe(true);
    expect(await app.get(SchedulerService).getJob('NightlyReport.send')).not.toBeNull();
    await app.close();
    app = await boot({ stores: { default: store }, timezone: 'UTC', removeOrphanedJobs: true }, [Heartbeat]);
    expect(await app.get(SchedulerService).getJob('NightlyReport.send')).toBeNull();
    expect(await app.get(SchedulerService).getJob('Heartbeat.beat')).not.toBeNull();
  });
});

describe('jobs on request-scoped and durable providers', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    calls.length = 0;
  });

  it('builds a request-scoped provider anew for every run, with the run as its REQUEST', async () => {
    let instances = 0;
    @Injectable({ scope: Scope.REQUEST })
    class PerRun {
      private readonly serial = ++instances;
      constructor(@Inject(REQUEST) private readonly run: JobContext) {}

      @ScheduledJob({ trigger: { type: 'interval', milliseconds: 50 }, misfireGraceTime: null })
      tick(ctx: JobContext) {
        calls.push(`${this.serial}:${this.run === ctx}:${ctx.jobId}`);
      }

      @JobHandler('per-run.send')
      send(to: string, ctx: JobContext) {
        calls.push(`send:${to}:${this.serial}:${this.run.jobId === ctx.jobId}`);
        return to.toUpperCase();
      }
    }
    app = await boot({}, [PerRun]);
    const scheduler = app.get(SchedulerService);
    await nextTick(220);
    const ticks = calls.filter((c) => c.endsWith(':PerRun.tick'));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.every((c) => c.includes(':true:'))).toBe(true);
    expect(new Set(ticks.map((c) => c.split(':')[0])).size).toBe(ticks.length);

    const executed = firstValueFrom(
      scheduler.executed$.pipe(
        filter((e) => e.jobId === 'mail'),
        take(1),
      ),
    );
    await scheduler.addJob({ id: 'mail', handler: 'per-run.send', args: ['ops'] });
    expect((await executed).returnValue).toBe('OPS');
    expect(calls.some((c) => /^send:ops:\d+:true$/.test(c))).toBe(true);
  });

  it('shares a durable sub-tree between runs as the ContextIdStrategy says', async () => {
    const tenants = new Map<string, ContextId>();
    class ByJob implements ContextIdStrategy {
      attach(contextId: ContextId, request: unknown) {
        const key = (request as JobContext).jobId;
        const durable = tenants.get(key) ?? ContextIdFactory.create();
        tenants.set(key, durable);
        return (info: HostComponentInfo) => (info.isTreeDurable ? durable : contextId);
      }
    }
    ContextIdFactory.apply(new ByJob());
    try {
      let instances = 0;
      @Injectable({ scope: Scope.REQUEST, durable: true })
      class PerTenant {
        private readonly serial = ++instances;
        @ScheduledJob({ trigger: { type: 'interval', milliseconds: 50 }, misfireGraceTime: null })
        tick() {
          calls.push(`tenant:${this.serial}`);
        }
      }
      app = await boot({}, [PerTenant]);
      await nextTick(220);
      expect(calls.length).toBeGreaterThanOrEqual(2);
      // One durable instance per job id: every run of the job got the same one.
      expect(new Set(calls)).toEqual(new Set(['tenant:1']));
    } finally {
      // Back to no strategy, for the suites after this one.
      ContextIdFactory.apply(undefined as unknown as ContextIdStrategy);
    }
  });
});
