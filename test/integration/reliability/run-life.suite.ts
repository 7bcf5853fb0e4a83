import { afterAll, describe, expect, it } from '@jest/globals';
import { filter, map, mergeMap } from 'rxjs';
import { ofType, type JobContext } from '../../../lib/index.js';
import { FaultyBatchExecutor, FaultyExecutor } from './faulty-executor.js';
import { NARROW_TEXT_CHARS, unwritableText } from './faulty-store.js';
import { HOSTILE_RETURNED, HOSTILE_THROWN, readError, revokedProxy } from './hostile-values.js';
import { INTERVAL, each, sleepUntil, stopAllRigs, withRig, type Rig, type RigOptions, type StoreKit } from './rig.js';

/** `+400:max_instances` read as executed: allowed where an outcome could not be written before that fire was claimed. */
const maybeRefused = (timeline: readonly string[]) => timeline.map((s) => s.replace(`+${INTERVAL}:max_instances`, `+${INTERVAL}:executed`));

/**
 * DESIGN.md, invariants 2 and 3, on one store: one claim's failure is that claim's alone, and no
 * 'running' record of a live instance outlives its run. A failure is injected at each step of a
 * run's life (claim, prepare, start, settle, outcome write, event, hand-back); in each test a
 * burst of jobs fires at the same instants (T, T+400...) and one of them, or one step for all of
 * them, is faulty. Every test also checks, in withRig, that nothing reached the process as an
 * uncaught exception or unhandled rejection and that no fire time ran twice.
 */
export function describeRunLife(kit: StoreKit): void {
  const healthy = (step: string, n = 4) => Array.from({ length: n }, (_, i) => `${step}-ok-${i + 1}`);
  const test = (name: string, body: (rig: Rig) => Promise<void>, options: RigOptions = {}) => it(name, () => withRig(kit, options, body));

  afterAll(() => stopAllRigs());

  describe('claim', () => {
    test('claimDueJobs throwing once is reported, retried, and every job of the burst runs by the misfire rules', async (rig) => {
      const jobs = healthy('claim', 5);
      // The claim that would take the burst's first fire fails, as a dropped connection would.
      rig.store.failClaims((now) => now.getTime() >= rig.T, 1);
      await rig.add(...jobs.map((id) => rig.job(id, 'ok', [], { coalesce: false })));
      await rig.settle(jobs);

      expect(rig.store.injected.claims).toBe(1);
      expect(rig.of('jobstore_error').map((e) => e.error.message)).toContain('claim failed: connection reset by peer');
      // The retry comes within misfireGraceTime: the first fire runs late, none is lost or doubled.
      expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
      expect(await rig.running()).toEqual([]);
    });

    test(
      'claimDueJobs failing after its transaction committed (the answer lost): those records do not stay running, maxInstances is freed',
      async (rig) => {
        const jobs = healthy('lost', 5);
        rig.store.loseClaimAnswer(1);
        await rig.add(...jobs.map((id) => rig.job(id)));
        await rig.settle(jobs);

        expect(rig.store.injected.lostAnswers).toBe(1);
        expect(rig.of('jobstore_error').length).toBeGreaterThan(0);
        // The first fire's records were written 'running' by a claim this process never heard back
        // from: they must be finished or handed back, not left to block the job's next fires.
        const timelines = await rig.timelines(jobs);
        expect(
          Object.fromEntries(
            jobs.map((id) => [
              id,
              {
                first: timelines[id]!.find((s) => s.startsWith('+0:')) ?? 'handed back',
                last: timelines[id]!.find((s) => s.startsWith(`+${rig.last}:`)),
              },
            ]),
          ),
        ).toEqual(
          Object.fromEntries(
            jobs.map((id) => [
              id,
              {
                // Finished (error, lost...) or handed back and claimed again; never still running.
                first: expect.not.stringMatching(/running/),
                last: `+${rig.last}:executed`,
              },
            ]),
          ),
        );
        expect(await rig.running()).toEqual([]);
      },
      { fires: 3 },
    );

    test("a plan that throws for one job of the batch fails that job's claim alone", async (rig) => {
      const jobs = healthy('plan');
      rig.store.failPlanOf('plan-bad');
      await rig.add(rig.job('plan-bad'), ...jobs.map((id) => rig.job(id)));
      await rig.settle(jobs);

      expect(rig.store.injected.plans).toBeGreaterThan(0);
      expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
      expect(await rig.lateRuns(jobs)).toEqual([]);
      // Reported, naming the job.
      const reports = rig.events.filter((e) => (e.type === 'jobstore_error' || e.type === 'job_error') && e.jobId === 'plan-bad');
      expect(reports.length).toBeGreaterThan(0);
      expect(await rig.running()).toEqual([]);
    });
  });

  describe('prepare', () => {
    test("resolving a job's handler throws: that run is an error with the cause, the batch runs, its next fire runs", async (rig) => {
      const jobs = healthy('prepare');
      rig.registry.register('prepare.once', () => 'ok');
      rig.registry.register('prepare.always', () => 'ok');
      rig.registry.register('prepare.corrupt', () => 'ok');
      rig.registry.poison('prepare.once');
      rig.registry.poison('prepare.always');
      rig.registry.corrupt('prepare.corrupt');
      await rig.add(
        rig.job('prepare-once', 'prepare.once'),
        rig.job('prepare-always', 'prepare.always'),
        rig.job('prepare-corrupt', 'prepare.corrupt'),
        ...jobs.map((id) => rig.job(id)),
      );
      // The first fire's handler was resolved (ahead of T or at T); for the next, the registry works again.
      await sleepUntil(rig.T + 200);
      rig.registry.cure('prepare.once');
      await rig.settle(['prepare-once', 'prepare-always', 'prepare-corrupt', ...jobs]);

      expect(rig.registry.failures).toBeGreaterThan(0);
      expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
      expect(await rig.lateRuns(jobs)).toEqual([]);
      // Not 'max_instances' at the next fire: the failed run's record did not stay 'running'.
      expect(await rig.timelines(['prepare-once', 'prepare-always', 'prepare-corrupt'])).toEqual({
        'prepare-once': rig.failedOnce,
        'prepare-always': rig.offsets.map((offset) => `+${offset}:error`),
        // The registry answers with a string instead of a function.
        'prepare-corrupt': rig.offsets.map((offset) => `+${offset}:error`),
      });
      expect((await rig.record('prepare-once', 0))?.error).toContain('lookup table corrupted');
      expect(rig.errorEvent('prepare-once', 0)).toBeDefined();
      expect(await rig.running()).toEqual([]);
    });
  });

  describe('start', () => {
    for (const claimAhead of [undefined, 0]) {
      const how = claimAhead === 0 ? 'claimed at the fire time (claimAhead 0)' : 'claimed ahead and staged';
      const executor = new FaultyExecutor();
      test(
        `executor.submit throws for one job, ${how}: that run is an error, the others run, its next fire runs`,
        async (rig) => {
          const jobs = healthy('start');
          executor.refuse('start-bad', 1);
          await rig.add(rig.job('start-bad'), ...jobs.map((id) => rig.job(id)));
          await rig.settle(['start-bad', ...jobs]);

          expect(executor.refused).toBe(1);
          expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
          expect(await rig.lateRuns(jobs)).toEqual([]);
          expect((await rig.timelines(['start-bad']))['start-bad']).toEqual(rig.failedOnce);
          expect((await rig.record('start-bad', 0))?.error).toContain('worker pool exhausted');
          expect(rig.errorEvent('start-bad', 0)).toBeDefined();
          expect(await rig.running()).toEqual([]);
        },
        { executor, claimAhead },
      );
    }

    const batch = new FaultyBatchExecutor();
    test(
      'executor.submitMany throws once for a whole burst: each run is finished (run or error), every next fire runs',
      async (rig) => {
        const jobs = healthy('burst', 5);
        batch.failBursts(1);
        await rig.add(...jobs.map((id) => rig.job(id)));
        await rig.settle(jobs);

        expect(batch.refusedBursts).toBe(1);
        const firsts = await Promise.all(jobs.map((id) => rig.record(id, 0)));
        // The scheduler may run them another way or record them as errors with the cause; not leave them.
        const verdict = (r: (typeof firsts)[number]) =>
          r?.status === 'executed'
            ? 'executed'
            : r?.status === 'error' && r.error?.includes('worker pool exhausted')
              ? 'error with the cause'
              : (r?.status ?? 'no record');
        expect(firsts.map(verdict)).toEqual(firsts.map((r) => (r?.status === 'executed' ? 'executed' : 'error with the cause')));
        const later = await rig.timelines(jobs);
        expect(Object.fromEntries(jobs.map((id) => [id, later[id]!.slice(1)]))).toEqual(each(jobs, rig.allExecuted.slice(1)));
        expect(await rig.running()).toEqual([]);
      },
      { executor: batch },
    );

    const partial = new FaultyBatchExecutor();
    test(
      'executor.submitMany starts part of a burst, then throws at one job: the rest are finished with the cause, none runs twice',
      async (rig) => {
        const jobs = healthy('partial', 5);
        partial.failBurstAt('partial-ok-3');
        await rig.add(...jobs.map((id) => rig.job(id)));
        await rig.settle(jobs);

        expect(partial.refusedBursts).toBe(1);
        const firsts = await Promise.all(jobs.map((id) => rig.record(id, 0)));
        const verdict = (r: (typeof firsts)[number]) =>
          r?.status === 'executed'
            ? 'executed'
            : r?.status === 'error' && r.error?.includes('worker pool exhausted')
              ? 'error with the cause'
              : (r?.status ?? 'no record');
        // Those the executor started ran (once: withRig checks); the others are errors, not 'running'.
        expect(firsts.map(verdict)).toEqual(firsts.map((r) => (r?.status === 'executed' ? 'executed' : 'error with the cause')));
        expect(firsts.filter((r) => r?.status === 'executed').length).toBeGreaterThan(0);
        const later = await rig.timelines(jobs);
        expect(Object.fromEntries(jobs.map((id) => [id, later[id]!.slice(1)]))).toEqual(each(jobs, rig.allExecuted.slice(1)));
        expect(await rig.running()).toEqual([]);
      },
      { executor: partial },
    );
  });

  describe('settle', () => {
    type Mode = 'throw' | 'reject' | 'return';
    const cases = [
      ...HOSTILE_THROWN.flatMap((value) => (['throw', 'reject'] as const).map((mode) => ({ mode: mode as Mode, value }))),
      ...HOSTILE_RETURNED.map((value) => ({ mode: 'return' as Mode, value })),
    ].map((c) => ({ ...c, id: `settle-${c.mode}-${c.value.key}` }));

    // 'burst': one run per submission, claimed ahead (the fast path). 'backlog': two run times due
    // at once with coalesce off, one submission running them one after the other (the other path).
    for (const path of ['burst', 'backlog'] as const) {
      test(`handlers throwing, rejecting with or returning values that are no Error (${path}): an error record with a message, a job_error, the next fire runs`, async (rig) => {
        const jobs = healthy(`settle-${path}`, 2);
        const first = path === 'burst' ? rig.T : rig.T - INTERVAL;
        rig.registry.register('misbehave', (mode: Mode, key: string, ctx: JobContext) => {
          if (ctx.scheduledRunTime.getTime() !== first) return 'fine';
          const value = cases.find((c) => c.mode === mode && c.value.key === key)!.value.make();
          if (mode === 'throw') throw value;
          if (mode === 'reject')
            return (async () => {
              throw value;
            })();
          return value;
        });
        const backlog = path === 'backlog' ? { coalesce: false, nextRunTime: new Date(first) } : {};
        const options = (c: (typeof cases)[number]) => ({
          ...backlog,
          ...('timeout' in c.value ? { timeout: c.value.timeout as number } : {}),
        });
        if (path === 'backlog') rig.scheduler.pause();
        await rig.add(
          ...cases.map((c) => rig.job(c.id, 'misbehave', [c.mode, c.value.key], options(c))),
          ...jobs.map((id) => rig.job(id, 'ok', [], backlog)),
        );
        if (path === 'backlog') {
          await sleepUntil(rig.T + 5);
          rig.scheduler.resume();
        }
        await rig.settle([...cases.map((c) => c.id), ...jobs]);

        const firstAt = path === 'burst' ? 0 : -INTERVAL;
        const expectedTimeline = path === 'burst' ? rig.failedOnce : [`${firstAt}:error`, ...rig.allExecuted];
        const timelines = await rig.timelines(cases.map((c) => c.id));
        const report: Record<string, unknown> = {};
        const expected: Record<string, unknown> = {};
        for (const c of cases) {
          const record = await rig.record(c.id, firstAt);
          const event = rig.errorEvent(c.id, firstAt);
          let eventVerdict = 'no job_error event';
          if (event) {
            const read = readError(event.error);
            if (read.problems.length > 0) eventVerdict = `job_error whose error: ${read.problems.join(', ')}`;
            else if (!read.isError) eventVerdict = 'job_error whose error is not an Error';
            else if (typeof read.message !== 'string') eventVerdict = `job_error whose error.message is ${typeof read.message}`;
            else if (typeof event.traceback !== 'string') eventVerdict = `job_error whose traceback is ${typeof event.traceback}`;
            else eventVerdict = 'job_error with a readable Error';
          }
          const label = `${c.id} (${c.value.description})`;
          report[label] = {
            timeline: timelines[c.id],
            message:
              typeof record?.error === 'string' && record.error.length > 0 ? 'a message' : `error = ${JSON.stringify(record?.error)}`,
            event: eventVerdict,
          };
          expected[label] = { timeline: expectedTimeline, message: 'a message', event: 'job_error with a readable Error' };
        }
        expect(report).toEqual(expected);
        expect(await rig.timelines(jobs)).toEqual(
          each(jobs, path === 'burst' ? rig.allExecuted : [`${firstAt}:executed`, ...rig.allExecuted]),
        );
        if (path === 'burst') expect(await rig.lateRuns(jobs)).toEqual([]);
        expect(await rig.running()).toEqual([]);
      });
    }
  });

  describe('outcome write', () => {
    test(
      'finishExecutions failing once: reported, retried until written, and maxInstances is freed',
      async (rig) => {
        const jobs = healthy('write', 5);
        rig.store.failFinishes(1);
        await rig.add(...jobs.map((id) => rig.job(id)));
        await rig.settle(jobs, 3000);

        expect(rig.store.injected.finishes).toBe(1);
        expect(rig.of('jobstore_error').map((e) => e.error.message)).toContain(
          'writing outcomes failed: connection terminated unexpectedly',
        );
        const timelines = await rig.timelines(jobs);
        // While the first outcomes wait for the retry their records still count, so the second fire
        // may be max_instances; once written, the third runs.
        expect(Object.fromEntries(jobs.map((id) => [id, maybeRefused(timelines[id]!)]))).toEqual(each(jobs, rig.allExecuted));
        expect(await rig.running()).toEqual([]);
      },
      { fires: 3 },
    );

    test(
      `an outcome the store refuses for good (U+0000, text over its ${NARROW_TEXT_CHARS}-character column): the others are written at once, it is written in a safe form, maxInstances is freed`,
      async (rig) => {
        const jobs = healthy('refused');
        rig.store.refuseOutcomes(unwritableText);
        rig.registry.register('unwritable', (ctx: JobContext) => {
          if (ctx.scheduledRunTime.getTime() === rig.T) throw new Error(`poison-marker\u0000${'x'.repeat(70_000)}`);
          return 'fine';
        });
        await rig.add(rig.job('refused-bad', 'unwritable'), ...jobs.map((id) => rig.job(id)));

        // Before the burst's next fire is claimed, the healthy outcomes of the first are in the store.
        await sleepUntil(rig.T + 300);
        // Checked after the rest, so that a failure shows the whole picture.
        const early = (await Promise.all(jobs.map((id) => rig.record(id, 0)))).map((r) => r?.status ?? 'no record');
        await rig.settle(['refused-bad', ...jobs], 3500);

        expect(rig.store.injected.refusals).toBeGreaterThan(0);
        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        const bad = await rig.record('refused-bad', 0);
        expect({
          status: bad?.status,
          hasCause: bad?.error?.includes('poison-marker') ?? false,
          writable: bad ? unwritableText({ executionId: bad.id, outcome: { ...bad, status: 'error' } }) : 'no record',
        }).toEqual({ status: 'error', hasCause: true, writable: null });
        expect(maybeRefused((await rig.timelines(['refused-bad']))['refused-bad']!)).toEqual(rig.failedOnce);
        expect({ 'first outcomes written by T+300': early }).toEqual({ 'first outcomes written by T+300': jobs.map(() => 'executed') });
        expect(await rig.running()).toEqual([]);
      },
      { fires: 3 },
    );

    test(
      "one job's outcome refused for a while (its row locked elsewhere): the others are not held up, it is written once the lock goes",
      async (rig) => {
        const jobs = healthy('locked');
        await rig.add(rig.job('locked-bad'), ...jobs.map((id) => rig.job(id)));
        await sleepUntil(rig.T - 50);
        rig.store.lockOutcomesOf('locked-bad', 650);

        await sleepUntil(rig.T + 300);
        // Checked after the rest, so that a failure shows the whole picture.
        const early = (await Promise.all(jobs.map((id) => rig.record(id, 0)))).map((r) => r?.status ?? 'no record');
        await rig.settle(['locked-bad', ...jobs], 3500);

        expect(rig.store.injected.locked).toBeGreaterThan(0);
        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        const timeline = (await rig.timelines(['locked-bad']))['locked-bad']!;
        // Its later fires may be max_instances until the record is written; the first one ran.
        expect(timeline[0]).toBe('+0:executed');
        expect(timeline.every((s) => /:(executed|max_instances)$/.test(s))).toBe(true);
        expect({ 'first outcomes written by T+300': early }).toEqual({ 'first outcomes written by T+300': jobs.map(() => 'executed') });
        expect(await rig.running()).toEqual([]);
      },
      { fires: 3 },
    );

    test(
      "the database's own limits (U+0000, 200 KB, astral and lone-surrogate text in an error): every outcome is written, none held up",
      async (rig) => {
        const jobs = healthy('values', 3);
        // Made by the handler: the args of a job are limited to 64 KB of JSON.
        const messages: Record<string, () => string> = {
          'values-nul': () => 'nul-marker\u0000after the NUL',
          'values-long': () => `long-marker ${'y'.repeat(200_000)}`,
          'values-astral': () => 'astral-marker \u{1F600} and a lone surrogate \uD800 here',
        };
        rig.registry.register('throws-text', (id: string, ctx: JobContext) => {
          if (ctx.scheduledRunTime.getTime() === rig.T) throw new Error(messages[id]!());
          return 'fine';
        });
        const poisoned = Object.keys(messages);
        await rig.add(...poisoned.map((id) => rig.job(id, 'throws-text', [id])), ...jobs.map((id) => rig.job(id)));

        await sleepUntil(rig.T + 300);
        // Checked after the rest, so that a failure shows the whole picture.
        const early = (await Promise.all(jobs.map((id) => rig.record(id, 0)))).map((r) => r?.status ?? 'no record');
        await rig.settle([...poisoned, ...jobs], 3500);

        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        const firsts = await Promise.all(poisoned.map((id) => rig.record(id, 0)));
        const marker = (id: string) => `${id.replace('values-', '')}-marker`;
        expect(
          firsts.map(
            (r, i) => `${poisoned[i]}: ${r?.status} ${r?.error?.includes(marker(poisoned[i]!)) ? 'with its cause' : 'without its cause'}`,
          ),
        ).toEqual(poisoned.map((id) => `${id}: error with its cause`));
        const timelines = await rig.timelines(poisoned);
        expect(Object.fromEntries(poisoned.map((id) => [id, maybeRefused(timelines[id]!)]))).toEqual(each(poisoned, rig.failedOnce));
        expect({ 'first outcomes written by T+300': early }).toEqual({ 'first outcomes written by T+300': jobs.map(() => 'executed') });
        expect(await rig.running()).toEqual([]);
      },
      { fires: 3 },
    );
  });

  describe('event', () => {
    const failing = (rig: Rig) =>
      rig.registry.register('fails', () => {
        throw new Error('handler failed as planned');
      });

    test('events$ subscribers that throw (Errors, null, a revoked Proxy) crash nothing, and every job keeps firing', async (rig) => {
      const jobs = healthy('subscriber');
      failing(rig);
      const proxy = revokedProxy();
      const subscriptions = [
        rig.scheduler.events$.subscribe(() => {
          throw new Error('subscriber exploded');
        }),
        rig.scheduler.executed$.subscribe(() => {
          throw null;
        }),
        rig.scheduler.error$.subscribe({
          next: () => {
            throw proxy;
          },
        }),
        rig.scheduler.events$.subscribe((event) => {
          if (event.jobId === 'subscriber-bad') throw Object.create(null);
        }),
      ];
      try {
        await rig.add(rig.job('subscriber-bad', 'fails'), ...jobs.map((id) => rig.job(id)));
        await rig.settle(['subscriber-bad', ...jobs]);

        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        expect(await rig.lateRuns(jobs)).toEqual([]);
        expect((await rig.timelines(['subscriber-bad']))['subscriber-bad']).toEqual(rig.offsets.map((o) => `+${o}:error`));
        expect(await rig.running()).toEqual([]);
      } finally {
        for (const s of subscriptions) s.unsubscribe();
      }
    });

    test('operators that throw in pipes with no error callback crash nothing, and every job keeps firing', async (rig) => {
      const jobs = healthy('operator');
      failing(rig);
      const proxy = revokedProxy();
      const { events$, executed$, error$ } = rig.scheduler;
      const subscriptions = [
        events$
          .pipe(
            map(() => {
              throw new Error('x');
            }),
          )
          .subscribe(),
        events$
          .pipe(
            ofType('job_executed'),
            map(() => {
              throw new Error('ofType then map exploded');
            }),
          )
          .subscribe(),
        executed$
          .pipe(
            mergeMap(async () => {
              throw new Error('async operator rejected');
            }),
          )
          .subscribe(),
        error$
          .pipe(
            filter(() => {
              throw proxy;
            }),
          )
          .subscribe(),
      ];
      try {
        await rig.add(rig.job('operator-bad', 'fails'), ...jobs.map((id) => rig.job(id)));
        await rig.settle(['operator-bad', ...jobs]);

        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        expect(await rig.lateRuns(jobs)).toEqual([]);
        expect((await rig.timelines(['operator-bad']))['operator-bad']).toEqual(rig.offsets.map((o) => `+${o}:error`));
        expect(await rig.running()).toEqual([]);
      } finally {
        for (const s of subscriptions) s.unsubscribe();
      }
    });

    // SchedulerLogger is public: a user's logger may throw (its transport down). The scheduler logs
    // where it cannot throw to a caller, so a throwing logger must not stop anything either.
    test(
      'a logger that throws while a claim fails once: reported, retried, every job keeps firing',
      async (rig) => {
        const jobs = healthy('logger-store');
        rig.store.failClaims((now) => now.getTime() >= rig.T, 1);
        await rig.add(...jobs.map((id) => rig.job(id, 'ok', [], { coalesce: false })));
        await rig.settle(jobs);

        expect(rig.store.injected.claims).toBe(1);
        expect(rig.logs.length).toBeGreaterThan(0);
        expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
        expect(await rig.running()).toEqual([]);
      },
      { loggerThrows: true },
    );

    test(
      'a logger that throws while an events$ subscriber throws: nothing crashes, every job keeps firing',
      async (rig) => {
        const jobs = healthy('logger-event');
        failing(rig);
        const subscription = rig.scheduler.events$.subscribe(() => {
          throw new Error('subscriber exploded');
        });
        try {
          await rig.add(rig.job('logger-event-bad', 'fails'), ...jobs.map((id) => rig.job(id)));
          await rig.settle(['logger-event-bad', ...jobs]);

          expect(rig.logs.length).toBeGreaterThan(0);
          expect(await rig.timelines(jobs)).toEqual(each(jobs, rig.allExecuted));
          expect((await rig.timelines(['logger-event-bad']))['logger-event-bad']).toEqual(rig.offsets.map((o) => `+${o}:error`));
          expect(await rig.running()).toEqual([]);
        } finally {
          subscription.unsubscribe();
        }
      },
      { loggerThrows: true },
    );
  });

  describe('hand-back', () => {
    test('shutdown while a burst is claimed ahead and releaseRuns throws: no record is left running', async (rig) => {
      const jobs = healthy('release', 5);
      await rig.add(...jobs.map((id) => rig.job(id)));
      // The burst is claimed ahead of T (claimAhead 100 ms) and waits for its instant.
      await sleepUntil(rig.T - 40);
      const staged = await rig.running();
      expect(staged.sort()).toEqual(jobs.map((id) => `${id}+0`).sort());
      rig.store.failReleases(1);
      expect(await rig.stop()).toBeNull();

      expect(rig.store.injected.releases).toBe(1);
      const left = await rig.store.getExecutions({ status: 'running', limit: 1000 });
      expect(left.map((r) => r.jobId)).toEqual([]);
      // Finished as missed (the scheduler could not give them back), given back after all, or run and recorded.
      const firsts = await Promise.all(jobs.map((id) => rig.record(id, 0)));
      const outcomes = firsts.map((r) => r?.status ?? 'handed back');
      expect(outcomes.filter((s) => !['missed', 'handed back', 'executed'].includes(s))).toEqual([]);
    });
  });
}
