import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { map } from 'rxjs';
import {
  AsyncExecutor,
  HandlerRegistry,
  InvalidJobOptionError,
  InvalidTriggerError,
  InvalidQueryError,
  InvalidSchedulerOptionError,
  MemoryJobStore,
  Scheduler,
  type Executor,
  type ExecutorTask,
  type JobContext,
  type JobErrorEvent,
  type Outcome,
  type StoreContext,
} from '../../../lib/index.js';
import { T0, advance, deferred, makeScheduler, silentLogger, useFakeClock } from './scheduler-fixture.js';

const every = (seconds: number) => ({ type: 'interval' as const, seconds });

/** Records left 'running' once every run is over: there must be none. */
async function stuckRunning(scheduler: Scheduler): Promise<string[]> {
  return (await scheduler.getExecutions({ status: 'running', limit: 1000 })).map((r) => `${r.jobId}@${r.scheduledRunTime.toISOString()}`);
}

describe('Scheduler: one bad value, row or handler stops nothing else', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('modifyJob with args: undefined keeps the args, and the store keeps running (defect 1)', async () => {
    const { scheduler } = makeScheduler();
    const seen: unknown[][] = [];
    scheduler.registry.register('record', (...args: unknown[]) => void seen.push(args.slice(0, -1)));
    await scheduler.start();
    for (const id of ['a', 'b', 'c']) await scheduler.addJob({ id, handler: 'record', args: [id], trigger: every(1) });
    await scheduler.modifyJob('b', { args: undefined });
    await advance(2_100);
    expect(seen.filter(([id]) => id === 'b')).toEqual([['b'], ['b']]);
    expect(seen).toHaveLength(6);
    expect(await stuckRunning(scheduler)).toEqual([]);
    await scheduler.shutdown();
  });

  it('an option given as undefined means "not given", never "erase" (defect 2)', async () => {
    const { scheduler } = makeScheduler({ jobDefaults: { coalesce: false, maxInstances: undefined, misfireGraceTime: 5000 } });
    await scheduler.start();
    const added = await scheduler.addJob({
      id: 'j',
      handler: () => {},
      trigger: every(1),
      coalesce: undefined,
      maxInstances: 3,
      timeout: 500,
      rerunOnLoss: true,
      name: undefined,
    });
    expect(added).toMatchObject({
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 5000,
      timeout: 500,
      rerunOnLoss: true,
      name: 'handler',
    });
    const modified = await scheduler.modifyJob('j', {
      maxInstances: undefined,
      coalesce: undefined,
      rerunOnLoss: undefined,
      misfireGraceTime: undefined,
      timeout: undefined,
      name: undefined,
      executor: undefined,
      args: undefined,
      handler: undefined,
      nextRunTime: undefined,
    });
    expect(modified).toMatchObject({
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 5000,
      timeout: 500,
      rerunOnLoss: true,
      name: 'handler',
      executor: 'default',
      args: [],
    });
    expect(modified.nextRunTime).toEqual(added.nextRunTime);
    // An explicit null still clears what may be null.
    expect((await scheduler.modifyJob('j', { misfireGraceTime: null })).misfireGraceTime).toBeNull();
    await scheduler.shutdown();
  });

  it('a store whose next run time is not a date is reported once; the other stores keep firing (defect 3)', async () => {
    class BrokenClockStore extends MemoryJobStore {
      override async getNextRunTime() {
        return new Date(Number.NaN);
      }
    }
    const { scheduler, of } = makeScheduler({ stores: { default: new MemoryJobStore(), broken: new BrokenClockStore() } });
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob({ handler: () => void runs++, trigger: every(1) });
    await advance(5_100);
    expect(runs).toBe(5);
    expect(of('jobstore_error').filter((e) => e.store === 'broken')).toHaveLength(1);
    // One timer, not one re-armed every millisecond.
    expect(jest.getTimerCount()).toBeLessThanOrEqual(2);
    await scheduler.shutdown();
  });

  it('a custom trigger answering an invalid date is reported once and skipped; other jobs keep their schedule (defect 8)', async () => {
    const { scheduler, of } = makeScheduler();
    let calls = 0;
    const bad = {
      getNextFireTime: (previous: Date | null) => (previous === null ? new Date(T0.getTime() + 500) : new Date(Number.NaN)),
      toJSON: () => ({ type: 'date' as const }),
      toString: () => 'bad[]',
    };
    let good = 0;
    await scheduler.start();
    await scheduler.addJob({ id: 'bad', handler: () => void calls++, trigger: bad });
    await scheduler.addJob({ id: 'good', handler: () => void good++, trigger: every(1) });
    await advance(4_100);
    expect(good).toBe(4);
    expect(calls).toBe(0);
    const reports = of('jobstore_error').filter((e) => e.jobId === 'bad');
    expect(reports).toHaveLength(1);
    expect((reports[0] as unknown as { error: Error }).error.name).toBe('UnplannableJobError');
    await scheduler.shutdown();
  });

  it('records whatever a handler throws as an error, and the job fires again (defect 5)', async () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const throwingGetters = Object.defineProperty(new Error('x'), 'message', {
      get: () => {
        throw new Error('getter');
      },
    });
    const thrown: Record<string, () => unknown> = {
      nullish: () => {
        throw null;
      },
      undef: () => Promise.reject(undefined),
      nullProto: () => {
        throw Object.create(null);
      },
      revoked: () => {
        throw revoked;
      },
      getters: () => {
        throw throwingGetters;
      },
      thenGetter: () => ({
        get then() {
          throw new Error('then getter');
        },
      }),
      thenCall: () => ({
        then() {
          throw new Error('then call');
        },
      }),
      cyclic: () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        throw o;
      },
    };
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    for (const [id, handler] of Object.entries(thrown)) await scheduler.addJob({ id, handler, trigger: every(1) });
    await advance(2_100);
    const errors = of('job_error') as JobErrorEvent[];
    for (const id of Object.keys(thrown)) {
      const mine = errors.filter((e) => e.jobId === id);
      expect(mine.map((e) => e.scheduledRunTime.getTime() - T0.getTime())).toEqual([1000, 2000]);
      expect(typeof mine[0].error.message).toBe('string');
      const records = await scheduler.getExecutions({ jobId: id });
      expect(records.map((r) => r.status)).toEqual(['error', 'error']);
      expect(records[0].error).toMatch(/\S/);
    }
    expect(await stuckRunning(scheduler)).toEqual([]);
    await scheduler.shutdown();
  });

  it('an operator that throws in a stream piped from events$ is logged, not an uncaught exception (defect 6)', async () => {
    const logged: string[] = [];
    const { scheduler } = makeScheduler({ logger: { ...silentLogger, error: (m) => void logged.push(m) } });
    scheduler.events$
      .pipe(
        map(() => {
          throw new Error('operator failed');
        }),
      )
      .subscribe();
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob({ handler: () => void runs++, trigger: every(1) });
    // RxJS reports an unhandled error with a timer that throws: running every timer would throw here.
    await advance(3_100);
    expect(runs).toBe(3);
    expect(logged.some((m) => m.includes('operator failed'))).toBe(true);
    await scheduler.shutdown();
  });

  it('refuses a trigger that can never fire at addJob and rescheduleJob, saying why (defect 11)', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await expect(scheduler.addJob({ handler: () => {}, trigger: { type: 'cron', month: 2, day: 30 } })).rejects.toThrow(
      /February has no day 30/,
    );
    await expect(scheduler.addJob({ handler: () => {}, trigger: { type: 'cron', year: 2020 } })).rejects.toThrow(InvalidTriggerError);
    await expect(
      scheduler.addJob({ handler: () => {}, trigger: { type: 'interval', seconds: 5, endDate: '2020-01-01T00:00:00Z' } }),
    ).rejects.toThrow(/endDate/);
    await expect(
      scheduler.addJob({
        handler: () => {},
        trigger: {
          type: 'and',
          triggers: [
            { type: 'cron', hour: 1 },
            { type: 'cron', hour: 2 },
          ],
        },
      }),
    ).rejects.toThrow(InvalidTriggerError);
    await scheduler.addJob({ id: 'ok', handler: () => {}, trigger: every(1) });
    await expect(scheduler.rescheduleJob('ok', { type: 'cron', month: 2, day: 30 })).rejects.toThrow(/February has no day 30/);
    expect((await scheduler.getJob('ok'))!.trigger).toMatchObject({ type: 'interval', seconds: 1 });
    // A date in the past is not "never": it fires within grace or is recorded missed.
    await expect(
      scheduler.addJob({ handler: () => {}, trigger: { type: 'date', runDate: new Date(T0.getTime() - 10_000) } }),
    ).resolves.toBeTruthy();
    await scheduler.shutdown();
  });

  it('refuses delays a Node timer would turn into 1 ms (defect 7)', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await expect(scheduler.addJob({ handler: () => {}, timeout: 2 ** 31 })).rejects.toThrow(/timeout.*2147483648.*1 to 2147483647/);
    await expect(scheduler.addJob({ handler: () => {}, timeout: 1.5 })).rejects.toThrow(InvalidJobOptionError);
    expect(() => new Scheduler({ shutdownTimeout: 2 ** 31 })).toThrow(/shutdownTimeout/);
    expect(() => new Scheduler({ pollInterval: 2 ** 31 })).toThrow(/pollInterval/);
    await scheduler.shutdown();
  });

  it('checks getExecutions queries (defect 10)', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    for (const bad of [
      { limit: -1 },
      { limit: '5' },
      { limit: 1e21 },
      { offset: -3 },
      { offset: 0.5 },
      { since: '2024-01-01' },
      { since: new Date(Number.NaN) },
      { status: 'done' },
      { jobid: 'x' },
    ]) {
      await expect(scheduler.getExecutions(bad as never)).rejects.toThrow(InvalidQueryError);
    }
    await expect(scheduler.getExecutions({ limit: 0 })).resolves.toEqual([]);
    await expect(scheduler.getExecutions({ limit: undefined, since: undefined })).resolves.toEqual([]);
    await scheduler.shutdown();
  });

  it('checks scheduler, store and executor options: unknown keys and ranges (defect 12)', () => {
    expect(() => new Scheduler({ timeZone: 'Europe/Paris' } as never)).toThrow(/timeZone.*did you mean 'timezone'/);
    expect(() => new MemoryJobStore({ maxExecutions: Number.NaN })).toThrow(InvalidSchedulerOptionError);
    expect(() => new MemoryJobStore({ maxExecution: 5 } as never)).toThrow(/maxExecution/);
    expect(() => new AsyncExecutor({ maxConcurrency: 0 })).toThrow(InvalidSchedulerOptionError);
    expect(() => new AsyncExecutor({ concurrency: 5 } as never)).toThrow(/concurrency/);
    expect(() => new Scheduler({ jobDefaults: { maxInstances: 0 } })).toThrow(/maxInstances/);
    expect(() => new Scheduler({ instanceId: 'a\u0000b' })).toThrow(/instanceId/);
    // undefined is "not given" for options too.
    expect(new Scheduler({ timezone: undefined, instanceId: undefined, logger: silentLogger }).timezone).toBeTruthy();
    expect(new AsyncExecutor({ maxConcurrency: undefined }).maxConcurrency).toBe(Infinity);
  });

  it('says how many records it could not write at shutdown, those in flight included (defect 13)', async () => {
    class StuckStore extends MemoryJobStore {
      override async finishExecutions(): Promise<void> {
        throw new Error('database gone');
      }
    }
    const warnings: string[] = [];
    const { scheduler } = makeScheduler({
      stores: { default: new StuckStore() },
      shutdownTimeout: 100,
      logger: { ...silentLogger, warn: (m) => void warnings.push(m) },
    });
    await scheduler.start();
    for (let i = 0; i < 5; i++)
      await scheduler.addJob({ id: `j${i}`, handler: () => {}, trigger: { type: 'date', runDate: new Date(T0.getTime() + 100) } });
    await advance(200);
    const stopping = scheduler.shutdown();
    await advance(1_000);
    await stopping;
    expect(warnings.find((w) => w.includes('could not be written'))).toMatch(/^5 execution record/);
  });

  it('with coalesce off and no grace, a backlog after a blocked event loop runs one after another, not as max_instances (defect 14)', async () => {
    // Records are written a few ms after a run, as a database store writes them.
    class SlowWrites extends MemoryJobStore {
      override async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return super.finishExecutions(items);
      }
    }
    const { scheduler, of } = makeScheduler({ stores: { default: new SlowWrites() } });
    const ran: number[] = [];
    await scheduler.start();
    await scheduler.addJob({
      id: 'tick',
      coalesce: false,
      misfireGraceTime: null,
      handler: (ctx: JobContext) => void ran.push(ctx.scheduledRunTime.getTime() - T0.getTime()),
      trigger: { type: 'interval', milliseconds: 100 },
    });
    // Another job blocks the event loop for 600 ms: the clock moves, no timer runs.
    await scheduler.addJob({
      handler: () => void jest.setSystemTime(Date.now() + 600),
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 250) },
    });
    await advance(1_500);
    expect(of('job_max_instances')).toEqual([]);
    const until = Math.max(...ran);
    expect(ran).toEqual(Array.from({ length: until / 100 }, (_, k) => (k + 1) * 100));
    expect(until).toBeGreaterThanOrEqual(2000);
    // Its last records are written on a timer: let the clock run while it shuts down.
    const stopping = scheduler.shutdown();
    await advance(100);
    await stopping;
  });

  it('shutdown() during start() waits for it, then releases what it acquired, in order (structural)', async () => {
    const order: string[] = [];
    const opened = deferred();
    class SlowStore extends MemoryJobStore {
      override async start(ctx: StoreContext) {
        await opened.promise;
        order.push('store started');
        return super.start(ctx);
      }
      override async shutdown() {
        order.push('store shut down');
      }
    }
    const { scheduler, events } = makeScheduler({ stores: { default: new SlowStore() } });
    const starting = scheduler.start();
    const stopping = scheduler.shutdown();
    // The store takes a while to open (a database connection), longer than shutdown's own steps.
    await advance(100);
    opened.resolve();
    await starting;
    await stopping;
    expect(order).toEqual(['store started', 'store shut down']);
    expect(events.map((e) => e.type)).toEqual(['scheduler_started', 'scheduler_shutdown']);
    expect(scheduler.state).toBe('stopped');
  });

  it('a start that fails releases the stores it had started', async () => {
    const order: string[] = [];
    class Recording extends MemoryJobStore {
      constructor(
        private readonly label: string,
        private readonly fails = false,
      ) {
        super();
      }
      override async start(ctx: StoreContext) {
        if (this.fails) throw new Error(`${this.label} cannot start`);
        order.push(`${this.label} started`);
        return super.start(ctx);
      }
      override async shutdown() {
        order.push(`${this.label} shut down`);
      }
    }
    const { scheduler } = makeScheduler({ stores: { a: new Recording('a'), b: new Recording('b', true) } });
    await expect(scheduler.start()).rejects.toThrow('b cannot start');
    expect(order).toEqual(['a started', 'a shut down']);
    expect(scheduler.state).toBe('stopped');
  });
});

describe('Scheduler: a failure between claim and outcome never leaves a record running', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('preparing one run of a batch fails: that run is an error, the others of the batch run (prepare)', async () => {
    class PoisonedRegistry extends HandlerRegistry {
      override get(name: string) {
        if (name === 'poison') throw new Error('registry exploded');
        return super.get(name);
      }
    }
    const registry = new PoisonedRegistry();
    const ran: string[] = [];
    registry.register('ok', (id: string) => void ran.push(id));
    registry.register('poison', () => void ran.push('poison'));
    const { scheduler, of } = makeScheduler({ registry });
    await scheduler.start();
    for (const id of ['a', 'b', 'c', 'd']) await scheduler.addJob({ id, handler: 'ok', args: [id], trigger: every(1) });
    await scheduler.addJob({ id: 'p', handler: 'poison', trigger: every(1) });
    await advance(2_100);
    expect(ran.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd']);
    const errors = (of('job_error') as JobErrorEvent[]).filter((e) => e.jobId === 'p');
    expect(errors).toHaveLength(2);
    expect(errors[0].error.message).toBe('registry exploded');
    expect(of('job_max_instances')).toEqual([]);
    expect(await stuckRunning(scheduler)).toEqual([]);
    await scheduler.shutdown();
  });

  it('an executor that throws on submit: the runs are errors, the next fire runs (start)', async () => {
    class FaultyExecutor implements Executor {
      private readonly inner = new AsyncExecutor();
      failing = true;
      get running() {
        return this.inner.running;
      }
      get queued() {
        return this.inner.queued;
      }
      start() {
        this.inner.start();
      }
      submit(task: ExecutorTask) {
        if (this.failing) throw new Error('executor exploded');
        this.inner.submit(task);
      }
      shutdown() {
        return this.inner.shutdown();
      }
    }
    const faulty = new FaultyExecutor();
    const { scheduler, of } = makeScheduler({ executors: { default: new AsyncExecutor(), faulty } });
    let good = 0;
    let bad = 0;
    await scheduler.start();
    await scheduler.addJob({ id: 'good', handler: () => void good++, trigger: every(1) });
    await scheduler.addJob({ id: 'bad', executor: 'faulty', handler: () => void bad++, trigger: every(1) });
    await advance(2_100);
    expect(good).toBe(2);
    expect(bad).toBe(0);
    expect((of('job_error') as JobErrorEvent[]).map((e) => [e.jobId, e.error.message])).toEqual([
      ['bad', 'executor exploded'],
      ['bad', 'executor exploded'],
    ]);
    expect(await stuckRunning(scheduler)).toEqual([]);
    faulty.failing = false;
    await advance(1_000);
    expect(bad).toBe(1);
    await scheduler.shutdown();
  });

  it('an outcome the store refuses is written in a minimal form and holds up no other (outcome write)', async () => {
    // Like a latin1 column: it cannot hold the skull.
    class PickyStore extends MemoryJobStore {
      override async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]) {
        // eslint-disable-next-line no-control-regex -- a column that takes Latin-1 only, NUL included
        if (items.some((i) => /[^\x00-\xff]/.test(`${i.outcome.error}${i.outcome.traceback}`))) throw new Error('Incorrect string value');
        return super.finishExecutions(items);
      }
    }
    const store = new PickyStore();
    const { scheduler, of } = makeScheduler({ stores: { default: store } });
    await scheduler.start();
    for (const id of ['a', 'b', 'c']) await scheduler.addJob({ id, handler: () => {}, trigger: every(1) });
    await scheduler.addJob({
      id: 'p',
      handler: () => {
        throw new Error('POISON ☠');
      },
      trigger: every(1),
    });
    await advance(1_010);
    // At once, without waiting out a back-off (the first is 100 ms).
    await advance(50);
    const records = await scheduler.getExecutions();
    expect(records.map((r) => [r.jobId, r.status]).sort()).toEqual([
      ['a', 'executed'],
      ['b', 'executed'],
      ['c', 'executed'],
      ['p', 'error'],
    ]);
    const poisoned = records.find((r) => r.jobId === 'p')!;
    expect(poisoned.error).toBe('Error: POISON ? [the store refused the full text]');
    expect(poisoned.traceback).toBeNull();
    expect(of('jobstore_error').map((e) => (e as unknown as { error: Error }).error.name)).toContain('OutcomeRefusedError');
    await advance(1_000);
    expect(of('job_max_instances')).toEqual([]);
    expect(await stuckRunning(scheduler)).toEqual([]);
    await scheduler.shutdown();
  });
});

describe('Outcome writes after a dropped connection', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('a write that fails only because the connection dropped keeps its full error text (found by the soak)', async () => {
    // The batch write and the first write of one item land on the dead connection; then it is back.
    class DroppedConnection extends MemoryJobStore {
      failures = 0;
      override async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]) {
        if (this.failures > 0) {
          this.failures--;
          throw new Error('terminating connection due to administrator command');
        }
        return super.finishExecutions(items);
      }
    }
    const store = new DroppedConnection();
    const { scheduler, of } = makeScheduler({ stores: { default: store } });
    await scheduler.start();
    await scheduler.addJob({
      id: 'fails',
      handler: () => {
        throw new Error('upstream 503');
      },
      trigger: every(1),
    });
    await scheduler.addJob({ id: 'ok', handler: () => {}, trigger: every(1) });
    await advance(900);
    store.failures = 2;
    await advance(200);
    const [record] = await scheduler.getExecutions({ jobId: 'fails' });
    expect(record).toMatchObject({ status: 'error', error: 'Error: upstream 503' });
    expect(record.traceback).toContain('upstream 503');
    expect(of('jobstore_error').map((e) => (e as unknown as { error: Error }).error.name)).not.toContain('OutcomeRefusedError');
    await scheduler.shutdown();
  });
});

describe('Executor limits and claims (defect 19)', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('the default executor has no limit: a thousand jobs awaiting I/O all start on time', async () => {
    const { scheduler, of } = makeScheduler();
    const lateness: number[] = [];
    await scheduler.start();
    for (let i = 0; i < 1000; i++) {
      await scheduler.addJob({
        handler: async (ctx: JobContext) => {
          lateness.push(Date.now() - ctx.scheduledRunTime.getTime());
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
        trigger: every(1),
      });
    }
    await advance(3_100);
    expect(lateness).toHaveLength(3000);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(5);
    expect(of('job_missed')).toEqual([]);
    await scheduler.shutdown();
  });

  it('with a limit, quick handlers that free their slots at once do not wait for the next poll', async () => {
    const { scheduler } = makeScheduler({ executors: { default: new AsyncExecutor({ maxConcurrency: 100 }) } });
    let ran = 0;
    await scheduler.start();
    for (let i = 0; i < 5000; i++) {
      await scheduler.addJob({
        misfireGraceTime: null,
        handler: () => void ran++,
        trigger: { type: 'date', runDate: new Date(T0.getTime() + 500) },
      });
    }
    await advance(600);
    // A pass claims 100, they end at once, and the next pass follows without waiting pollInterval (1 s).
    expect(ran).toBe(5000);
    await scheduler.shutdown();
  });

  it('with a limit, a job is claimed only when a slot is free, so queued runs do not miss', async () => {
    const executor = new AsyncExecutor({ maxConcurrency: 10 });
    const { scheduler, of } = makeScheduler({ executors: { default: executor } });
    let maxRunning = 0;
    let maxRecords = 0;
    let ran = 0;
    await scheduler.start();
    for (let i = 0; i < 30; i++) {
      await scheduler.addJob({
        misfireGraceTime: 1000,
        handler: async () => {
          ran++;
          maxRunning = Math.max(maxRunning, executor.running);
          maxRecords = Math.max(maxRecords, (await scheduler.getExecutions({ status: 'running' })).length);
          await new Promise((resolve) => setTimeout(resolve, 100));
        },
        trigger: { type: 'date', runDate: new Date(T0.getTime() + 500) },
      });
    }
    await advance(1_000);
    expect(ran).toBe(30);
    expect(maxRunning).toBeLessThanOrEqual(10);
    expect(of('job_missed')).toEqual([]);
    // Never more 'running' records than slots: what waited was not claimed (another replica could take it).
    expect(maxRecords).toBeLessThanOrEqual(10);
    expect(await stuckRunning(scheduler)).toEqual([]);
    await scheduler.shutdown();
  });
});
