import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ScheduledJob, SchedulerModule, type SchedulerModuleOptions } from '../../../lib/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The application's logger: Nest sends every Logger('SchedulerModule') line here, with its context last. */
class CapturingLogger implements LoggerService {
  readonly lines: { level: string; args: unknown[] }[] = [];
  log(...args: unknown[]) {
    this.lines.push({ level: 'log', args });
  }
  error(...args: unknown[]) {
    this.lines.push({ level: 'error', args });
  }
  warn(...args: unknown[]) {
    this.lines.push({ level: 'warn', args });
  }
  debug(...args: unknown[]) {
    this.lines.push({ level: 'debug', args });
  }
  verbose(...args: unknown[]) {
    this.lines.push({ level: 'verbose', args });
  }
  fromScheduler() {
    return this.lines.filter((l) => l.args[l.args.length - 1] === 'SchedulerModule');
  }
}

@Injectable()
class Jobs {
  @ScheduledJob({ id: 'busy', trigger: { type: 'interval', milliseconds: 20 } })
  busy(): string {
    return 'ok';
  }

  /** Its trigger comes from the module options (`jobs`), so that each test's app runs it once. */
  @ScheduledJob({ id: 'failing' })
  failing(): void {
    throw new Error('the report server said no');
  }
}

async function run(options: SchedulerModuleOptions): Promise<CapturingLogger> {
  const logger = new CapturingLogger();
  const jobs = { failing: { trigger: { type: 'date' as const, runDate: new Date(Date.now() + 200) } } };
  @Module({ imports: [SchedulerModule.forRoot({ timezone: 'UTC', jobs, ...options })], providers: [Jobs] })
  class AppModule {}
  const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = ref.createNestApplication({ logger });
  await app.init();
  await sleep(500);
  await app.close();
  return logger;
}

describe('logging through Nest', () => {
  it("logs a failing job once through Nest's Logger, at error with its stack, and none of the successes", async () => {
    const logger = await run({});
    const lines = logger.fromScheduler();
    expect(lines).toEqual([
      {
        level: 'error',
        args: [
          expect.stringMatching(/^Job 'failing' failed \(run of .*Z, store 'default'\): Error: the report server said no$/),
          expect.stringContaining('at Jobs.failing'),
          'SchedulerModule',
        ],
      },
    ]);
  });

  it('logs at the level given, and not at all with logging: false', async () => {
    const warned = (await run({ logging: { events: { job_error: 'warn' } } })).fromScheduler();
    expect(warned.map((l) => [l.level, String(l.args[0]).slice(0, 20)])).toEqual([['warn', "Job 'failing' failed"]]);
    expect((await run({ logging: false })).fromScheduler()).toEqual([]);
  });

  it('refuses a bad logging option at bootstrap, naming it', async () => {
    await expect(run({ logging: { events: { job_error: 'loud' } } } as never)).rejects.toThrow(
      /Invalid scheduler option 'logging.events.job_error': "loud"; allowed: 'error', 'warn', 'log', 'debug', 'verbose' or false/,
    );
  });
});
