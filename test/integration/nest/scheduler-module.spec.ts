import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  InvalidTriggerError,
  JobHandler,
  ScheduledJob,
  SchedulerModule,
  SchedulerService,
  ofType,
  type JobContext,
  type SchedulerModuleOptions,
  type SchedulerOptionsFactory,
} from '../../../lib/index.js';

const calls: string[] = [];

@Injectable()
class ReportService {
  @ScheduledJob({ trigger: { type: 'interval', milliseconds: 100 }, misfireGraceTime: null })
  tick(ctx: JobContext) {
    calls.push(`tick:${ctx.jobId}`);
  }

  @ScheduledJob({ id: 'nightly', trigger: { type: 'cron', hour: 3 }, name: 'Nightly report' })
  nightly() {}

  @JobHandler('reports.send')
  send(to: string, ctx: JobContext) {
    calls.push(`send:${to}:${ctx.jobName}`);
    return `sent to ${to}`;
  }

  @JobHandler()
  defaultNamed() {
    calls.push('default-named');
  }
}

@Controller()
class PingController {
  @JobHandler('ping')
  ping() {
    calls.push('ping');
  }
}

async function boot(moduleImport: ReturnType<typeof SchedulerModule.forRoot>, extra: unknown[] = []): Promise<INestApplicationContext> {
  const ref = await Test.createTestingModule({
    imports: [moduleImport],
    providers: [ReportService, ...(extra as [])],
    controllers: [PingController],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('SchedulerModule in a Nest application', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    calls.length = 0;
    jest.restoreAllMocks();
  });

  it('discovers decorated methods, starts on bootstrap and runs scheduled and dynamic jobs', async () => {
    app = await boot(SchedulerModule.forRoot({ timezone: 'UTC' }));
    const scheduler = app.get(SchedulerService);
    expect(scheduler.state).toBe('running');
    const ids = (await scheduler.getJobs()).map((j) => j.id).sort();
    expect(ids).toEqual(['ReportService.tick', 'nightly']);
    const nightly = await scheduler.getJob('nightly');
    expect(nightly).toMatchObject({ name: 'Nightly report', handler: 'ReportService.nightly' });
    expect(nightly!.nextRunTime!.getUTCHours()).toBe(3);

    const executed = firstValueFrom(scheduler.executed$.pipe(ofType('job_executed'), take(1)));
    await scheduler.addJob({ id: 'dyn', handler: 'reports.send', args: ['ops@example.com'], name: 'send-once' });
    const event = await executed;
    expect(['dyn', 'ReportService.tick']).toContain(event.jobId);
    await new Promise((r) => setTimeout(r, 350));
    expect(calls).toContain('send:ops@example.com:send-once');
    expect(calls.filter((c) => c === 'tick:ReportService.tick').length).toBeGreaterThanOrEqual(2);

    await scheduler.addJob({ handler: 'ReportService.defaultNamed' });
    await scheduler.addJob({ handler: 'ping' });
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toContain('default-named');
    expect(calls).toContain('ping');
  });

  it('stops the scheduler when the application closes, waiting for running jobs', async () => {
    app = await boot(SchedulerModule.forRoot({ timezone: 'UTC' }));
    const scheduler = app.get(SchedulerService);
    let finished = false;
    await scheduler.addJob({
      handler: async () => {
        await new Promise((r) => setTimeout(r, 200));
        finished = true;
      },
    });
    await new Promise((r) => setTimeout(r, 50));
    await app.close();
    app = undefined;
    expect(finished).toBe(true);
    expect(scheduler.state).toBe('stopped');
  });

  it('does not start with autoStart false, and starts paused with startPaused', async () => {
    app = await boot(SchedulerModule.forRoot({ autoStart: false }));
    expect(app.get(SchedulerService).state).toBe('stopped');
    expect((await app.get(SchedulerService).getJobs({ pending: true })).length).toBe(2);
    await app.close();
    app = await boot(SchedulerModule.forRoot({ startPaused: true }));
    expect(app.get(SchedulerService).state).toBe('paused');
  });

  it('takes its options from useFactory with injected providers', async () => {
    @Injectable()
    class Config {
      readonly zone = 'Asia/Tokyo';
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigModule {}
    app = await boot(
      SchedulerModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (config: Config): SchedulerModuleOptions => ({ timezone: config.zone, autoStart: false }),
      }),
    );
    const scheduler = app.get(SchedulerService);
    expect(scheduler.timezone).toBe('Asia/Tokyo');
    expect(scheduler.state).toBe('stopped');
  });

  it('takes its options from useClass and from useExisting', async () => {
    @Injectable()
    class Options implements SchedulerOptionsFactory {
      createSchedulerOptions(): SchedulerModuleOptions {
        return { timezone: 'Europe/Paris', jobDefaults: { maxInstances: 3 } };
      }
    }
    app = await boot(SchedulerModule.forRootAsync({ useClass: Options }));
    expect(app.get(SchedulerService).timezone).toBe('Europe/Paris');
    expect(app.get(SchedulerService).jobDefaults.maxInstances).toBe(3);
    await app.close();

    @Module({ providers: [Options], exports: [Options] })
    class OptionsModule {}
    app = await boot(SchedulerModule.forRootAsync({ imports: [OptionsModule], useExisting: Options }));
    expect(app.get(SchedulerService).timezone).toBe('Europe/Paris');
  });

  it('fails at bootstrap with a clear error for a bad module option', async () => {
    await expect(boot(SchedulerModule.forRoot({ timezone: 'Mars/Olympus' }))).rejects.toThrow(/timezone.*Mars\/Olympus/);
  });

  it('fails when a decorator is given a bad trigger, at class definition', () => {
    expect(() => {
      class Bad {
        @ScheduledJob({ trigger: { type: 'cron', hour: 25 } })
        run() {}
      }
      return Bad;
    }).toThrow(InvalidTriggerError);
  });

  it('collects scheduler events in order', async () => {
    app = await boot(SchedulerModule.forRoot({ autoStart: false }));
    const scheduler = app.get(SchedulerService);
    const seen = firstValueFrom(scheduler.events$.pipe(take(3), toArray()));
    await scheduler.start();
    const types = (await seen).map((e) => e.type);
    expect(types).toEqual(['job_added', 'job_added', 'scheduler_started']);
  });
});
