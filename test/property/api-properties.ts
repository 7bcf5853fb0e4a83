/**
 * Properties of the scheduler's public calls, for one store: addJob, modifyJob, rescheduleJob,
 * getExecutions and misbehaving handlers. Each property partitions one kind of input, so one defect
 * does not hide the others behind its shrunk counterexample.
 */
import { afterAll, beforeAll, it } from '@jest/globals';
import fc from 'fast-check';
import { createTrigger, type Job, type JobErrorEvent, type SchedulerEvent } from '../../lib/index.js';
import {
  anyArgs,
  anyTrigger,
  executionQuery,
  futureIso,
  hostileArgs,
  hostileQuery,
  hostileTrigger,
  hostileValue,
  jsonArgs,
  lit,
  misbehavingHandler,
  numberOption,
  oddQuery,
  oddValue,
  optionsOf,
  QUIET_TRIGGER,
  STATUSES,
  stringOption,
  val,
  weirdBoolean,
  weirdDate,
  weirdNumber,
  weirdString,
  type OptionsCase,
  type Val,
} from './arbitraries.js';
import {
  CANARY_BOUND_MS,
  checkProperty,
  describeThrown,
  Harness,
  isValidDate,
  runsFor,
  sameData,
  SETTLE_BOUND_MS,
  show,
  SIDE,
  timeLimitFor,
  UNDER_TEST,
  type StoreFactory,
} from './harness.js';

const DEFAULTS = { coalesce: true, maxInstances: 1, misfireGraceTime: 1000 };
let sequence = 0;

/** What a Job reads back as, for comparisons. */
function project(job: Job) {
  return {
    id: job.id,
    name: job.name,
    handler: job.handler,
    args: job.args,
    trigger: job.trigger,
    store: job.store,
    executor: job.executor,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    misfireGraceTime: job.misfireGraceTime,
    timeout: job.timeout,
    rerunOnLoss: job.rerunOnLoss,
    nextRunTime: job.nextRunTime === null ? null : job.nextRunTime instanceof Date ? job.nextRunTime.getTime() : Number.NaN,
  };
}

type Projection = ReturnType<typeof project>;

function fail(message: string): never {
  throw new Error(message);
}

function same(field: string, actual: unknown, expected: unknown, where: string): void {
  if (!sameData(actual, expected)) fail(`${where}: ${field} reads back as ${show(actual)}, expected ${show(expected)}`);
}

/** The instant a DateInput given as nextRunTime must read back as, when it can be known without parsing text. */
function expectedInstant(input: unknown): number | undefined {
  if (input instanceof Date) return input.getTime();
  if (typeof input === 'number') return new Date(input).getTime();
  if (typeof input === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(input)) return Date.parse(input);
  return undefined;
}

/**
 * addJob succeeded: what it returned and what getJob reads back are what was given, with an
 * option passed as undefined meaning "not given" (the default).
 */
async function checkAdded(h: Harness, given: Record<string, unknown>, returned: Job, mayHaveFinished: boolean): Promise<void> {
  if (!(returned && typeof returned === 'object' && typeof returned.id === 'string'))
    fail(`addJob resolved with ${show(returned)}, not a Job`);
  const handler = given.handler;
  const expected: Partial<Projection> = {
    name:
      given.name !== undefined
        ? (given.name as string)
        : typeof handler === 'string'
          ? handler
          : (handler as { name?: string }).name || 'anonymous',
    handler: handler as string,
    args: given.args !== undefined ? (given.args as unknown[]) : [],
    store: (given.store as string | undefined) ?? UNDER_TEST,
    executor: (given.executor as string | undefined) ?? 'default',
    coalesce: (given.coalesce as boolean | undefined) ?? DEFAULTS.coalesce,
    maxInstances: (given.maxInstances as number | undefined) ?? DEFAULTS.maxInstances,
    misfireGraceTime: given.misfireGraceTime !== undefined ? (given.misfireGraceTime as number | null) : DEFAULTS.misfireGraceTime,
    timeout: (given.timeout as number | undefined) ?? null,
    rerunOnLoss: (given.rerunOnLoss as boolean | undefined) ?? false,
  };
  if (given.id !== undefined) expected.id = given.id as string;
  const instant = given.nextRunTime === null ? null : expectedInstant(given.nextRunTime);

  const check = (job: Job, where: string, atAdd: boolean) => {
    const actual = project(job);
    for (const [field, value] of Object.entries(expected)) {
      if (field === 'handler' && typeof value === 'function') {
        if (job.handler !== value) fail(`${where}: handler is not the function given`);
        continue;
      }
      same(field, actual[field as keyof Projection], value, where);
    }
    if (typeof job.id !== 'string' || job.id === '') fail(`${where}: id reads back as ${show(job.id)}`);
    if (!(job.nextRunTime === null || isValidDate(job.nextRunTime)))
      fail(`${where}: nextRunTime is ${show(job.nextRunTime)}, not a valid Date or null`);
    if (atAdd || (instant !== undefined && instant !== null && instant > Date.now() + 1000)) {
      if (instant !== undefined) same('nextRunTime', actual.nextRunTime, instant, where);
    }
    if (given.nextRunTime === undefined && given.trigger === undefined && atAdd && job.nextRunTime === null) {
      fail(`${where}: a job added to run now has no nextRunTime`);
    }
  };
  check(returned, 'the Job addJob returned', true);
  const read = await h.getJob(returned.id);
  if (read === null) {
    if (!mayHaveFinished) fail(`getJob(${show(returned.id)}) is null right after addJob, with a trigger that cannot have finished`);
    return;
  }
  check(read, 'getJob', false);
  if (read.id !== returned.id) fail(`getJob finds ${show(read.id)} for id ${show(returned.id)}`);
}

/** Adds the job a modifyJob / rescheduleJob case works on. */
async function addBase(h: Harness): Promise<Job> {
  const id = `base-${++sequence}`;
  return h.expect('adding the base job', () =>
    h.scheduler.addJob({
      id,
      name: 'base',
      handler: 'noop',
      args: ['a', 1],
      trigger: QUIET_TRIGGER(),
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 500,
      timeout: 10_000,
      rerunOnLoss: false,
      executor: 'default',
    }),
  );
}

/** A refused change leaves the job as it was. */
async function checkUnchanged(h: Harness, before: Job, what: string): Promise<void> {
  const after = await h.getJob(before.id);
  if (after === null) fail(`${what} was refused, yet the job is gone`);
  const a = project(after);
  const b = project(before);
  for (const field of Object.keys(b) as (keyof Projection)[]) {
    if (field === 'trigger' && !sameData(a.trigger, b.trigger)) fail(`${what} was refused, yet the trigger changed to ${show(a.trigger)}`);
    else if (field !== 'trigger') same(field, a[field], b[field], `after the refused ${what}`);
  }
}

/** modifyJob succeeded: given fields changed, everything else (and undefined ones) as before. */
async function checkModified(h: Harness, before: Job, changes: Record<string, unknown>, returned: Job): Promise<void> {
  if (!(returned && typeof returned === 'object' && returned.id === before.id)) fail(`modifyJob resolved with ${show(returned)}`);
  const b = project(before);
  const check = (job: Job, where: string, atChange: boolean) => {
    const a = project(job);
    for (const field of Object.keys(b) as (keyof Projection)[]) {
      const given = field in changes ? changes[field] : undefined;
      if (field === 'nextRunTime') {
        if (!(job.nextRunTime === null || isValidDate(job.nextRunTime))) fail(`${where}: nextRunTime is ${show(job.nextRunTime)}`);
        if (!atChange) continue;
        if (given === undefined) same(field, a.nextRunTime, b.nextRunTime, `${where} (nextRunTime passed as undefined or not at all)`);
        else if (given === null) same(field, a.nextRunTime, null, where);
        else if (expectedInstant(given) !== undefined) same(field, a.nextRunTime, expectedInstant(given), where);
        continue;
      }
      if (field === 'trigger') {
        if (!sameData(a.trigger, b.trigger)) fail(`${where}: modifyJob changed the trigger to ${show(a.trigger)}`);
        continue;
      }
      if (given === undefined) same(field, a[field], b[field], `${where} (${field} passed as undefined or not at all)`);
      else same(field, a[field], given, where);
    }
  };
  check(returned, 'the Job modifyJob returned', true);
  const read = await h.getJob(before.id);
  if (read === null) fail('the job is gone after modifyJob');
  check(read, 'getJob after modifyJob', false);
}

export interface ApiSuiteOptions {
  factory: () => Promise<StoreFactory> | StoreFactory;
}

/** Declares every API property for one store (call inside a describe). */
export function defineApiProperties({ factory }: ApiSuiteOptions): void {
  let h: Harness;
  let name: StoreFactory['name'];
  beforeAll(async () => {
    const f = await factory();
    name = f.name;
    h = new Harness(f);
    await h.start();
  }, 30_000);
  afterAll(async () => {
    await h?.stop();
  }, 30_000);

  /** One property: `check` per generated value; cheap ones get more runs. */
  const property = <T>(title: string, arb: fc.Arbitrary<T>, check: (h: Harness, value: T) => Promise<void>, cheap = false) => {
    it(
      title,
      async () => {
        await checkProperty(arb, (value) => h.runCase((harness) => check(harness, value)), runsFor(name, cheap), timeLimitFor(name));
      },
      Number(process.env.PROPERTY_SWEEP) ? 600_000 : 120_000,
    );
  };

  // ---- addJob --------------------------------------------------------------------------------

  const addWith = async (hh: Harness, options: OptionsCase, extra: () => Record<string, unknown>, mayHaveFinished = false) => {
    const spec = { handler: 'noop', trigger: QUIET_TRIGGER(), ...extra(), ...options.make() };
    const outcome = await hh.call(`addJob(${options.label})`, () => hh.scheduler.addJob(spec as never));
    if (outcome.ok) await checkAdded(hh, spec, outcome.value, mayHaveFinished);
  };

  property(
    'addJob: string options (id, name, store, executor) succeed and read back, or throw a SchedulerError',
    optionsOf(
      {
        id: stringOption,
        name: stringOption,
        store: fc.oneof(fc.constantFrom(lit(UNDER_TEST), lit(SIDE), lit('nope')), stringOption),
        executor: fc.oneof(fc.constantFrom(lit('default'), lit('nope')), stringOption),
      },
      'addJob',
    ),
    (hh, options) => addWith(hh, options, () => ({})),
    true,
  );

  property(
    'addJob: numeric and boolean options succeed and read back, or throw a SchedulerError',
    optionsOf(
      {
        coalesce: weirdBoolean,
        maxInstances: numberOption,
        misfireGraceTime: numberOption,
        timeout: numberOption,
        rerunOnLoss: weirdBoolean,
        replaceExisting: weirdBoolean,
      },
      'addJob',
    ),
    (hh, options) => addWith(hh, options, () => ({})),
    true,
  );

  property(
    'addJob: nextRunTime (DateInput, null, out of range, invalid) succeeds and reads back, or throws a SchedulerError',
    optionsOf({ nextRunTime: weirdDate }, 'addJob'),
    (hh, options) => addWith(hh, options, () => ({})),
    true,
  );

  property(
    'addJob: args (JSON data and values JSON cannot keep) succeed and read back equal, or throw a SchedulerError',
    optionsOf({ args: anyArgs }, 'addJob'),
    (hh, options) => addWith(hh, options, () => ({})),
  );

  property(
    'addJob: every option passed as undefined means "not given" (defaults), alongside valid values',
    optionsOf(
      {
        id: fc.constantFrom(lit(undefined)),
        name: fc.constantFrom(lit(undefined), lit('named')),
        store: fc.constantFrom(lit(undefined), lit(SIDE)),
        executor: fc.constantFrom(lit(undefined), lit('default')),
        coalesce: fc.constantFrom(lit(undefined), lit(false)),
        maxInstances: fc.constantFrom(lit(undefined), lit(4)),
        misfireGraceTime: fc.constantFrom(lit(undefined), lit(null), lit(0), lit(2500)),
        timeout: fc.constantFrom(lit(undefined), lit(60_000)),
        rerunOnLoss: fc.constantFrom(lit(undefined), lit(true)),
        replaceExisting: fc.constantFrom(lit(undefined), lit(false)),
        nextRunTime: fc.constantFrom(
          lit(undefined),
          lit(null),
          val('in 1 hour (Date)', () => new Date(Date.now() + 3_600_000)),
        ),
        args: fc.oneof(fc.constantFrom(lit(undefined)), jsonArgs),
        trigger: fc.constantFrom(
          val('undefined', () => undefined),
          val("{ type: 'interval', hours: 1 }", QUIET_TRIGGER),
        ),
      },
      'addJob',
    ),
    async (hh, options) => {
      const spec: Record<string, unknown> = { handler: 'noop', ...options.make() };
      const outcome = await hh.call(`addJob(${options.label})`, () => hh.scheduler.addJob(spec as never));
      if (!outcome.ok) fail(`addJob(${options.label}) refused valid options: ${describeThrown(outcome.error)}`);
      // Without a trigger the job runs once, now, and may be gone before getJob.
      await checkAdded(hh, spec, outcome.value, spec.trigger === undefined);
    },
    true,
  );

  property(
    'addJob: trigger specs (valid, bad fields, bad shapes, custom triggers) succeed or throw a SchedulerError',
    optionsOf({ trigger: anyTrigger }, 'addJob'),
    async (hh, options) => {
      const spec = { handler: 'noop', ...options.make() };
      const outcome = await hh.call(`addJob(${options.label})`, () => hh.scheduler.addJob(spec as never));
      if (!outcome.ok) return;
      const job = outcome.value;
      if (!(job.nextRunTime === null || isValidDate(job.nextRunTime)))
        fail(`addJob accepted the trigger and gave nextRunTime ${show(job.nextRunTime)}`);
      if (!(typeof job.trigger === 'string' || (typeof job.trigger === 'object' && job.trigger !== null)))
        fail(`job.trigger is ${show(job.trigger)}`);
      // Each store keeps the trigger in a form createTrigger accepts again (a database reads it back on every claim).
      const again = await hh.attempt('createTrigger(job.trigger)', () => createTrigger(job.trigger, { timezone: 'UTC' }));
      if (!again.ok) fail(`the stored trigger ${show(job.trigger)} is refused by createTrigger: ${describeThrown(again.error)}`);
    },
  );

  property(
    'addJob: handler values succeed or throw a SchedulerError',
    optionsOf(
      {
        handler: fc.oneof(
          fc.constantFrom(lit('noop'), lit('unregistered'), lit('throw null')),
          weirdString,
          fc.constantFrom(
            val('function noop() {}', () => function noop() {}),
            val('async () => {}', () => async () => {}),
            val('class {}', () => class {}),
          ),
          oddValue,
        ),
      },
      'addJob',
    ),
    async (hh, options) => {
      const spec = { trigger: QUIET_TRIGGER(), ...options.make() };
      const outcome = await hh.call(`addJob(${options.label})`, () => hh.scheduler.addJob(spec as never));
      if (outcome.ok) await checkAdded(hh, spec, outcome.value, false);
    },
    true,
  );

  const OPTION_KEYS = [
    'id',
    'name',
    'store',
    'executor',
    'coalesce',
    'maxInstances',
    'misfireGraceTime',
    'nextRunTime',
    'replaceExisting',
    'timeout',
    'rerunOnLoss',
    'handler',
    'trigger',
    'args',
    'hourz',
    '__proto__',
    'constructor',
  ] as const;

  /** A valid spec with `key` set to `value` (defined, so even '__proto__' is an own key). */
  const specWith = (key: string, value: Val): Val =>
    val(`{ handler: 'noop', trigger: interval 1 h, ${key}: ${value.label} }`, () => {
      const spec: Record<string, unknown> = { handler: 'noop', trigger: QUIET_TRIGGER() };
      Object.defineProperty(spec, key, { value: value.make(), enumerable: true, writable: true, configurable: true });
      return spec;
    });

  /** A spec that is not a plain object, or a plain one with one odd (non-JSON, non-plain) value. */
  const oddSpec: fc.Arbitrary<Val> = fc.oneof(
    fc.constantFrom<Val>(
      lit(undefined),
      lit(null),
      lit('noop'),
      lit(42),
      val('[]', () => []),
      val("Object.create(null) with { handler: 'noop' }", () =>
        Object.assign(Object.create(null), { handler: 'noop', trigger: QUIET_TRIGGER() }),
      ),
      val("{ handler: 'noop', [Symbol()]: 1 }", () => ({ handler: 'noop', trigger: QUIET_TRIGGER(), [Symbol('k')]: 1 })),
      val("Object.freeze({ handler: 'noop' })", () => Object.freeze({ handler: 'noop', trigger: QUIET_TRIGGER() })),
      val(
        "new (class { handler = 'noop' })()",
        () =>
          new (class {
            handler = 'noop';
            trigger = QUIET_TRIGGER();
          })(),
      ),
    ),
    fc.tuple(fc.constantFrom(...OPTION_KEYS), oddValue).map(([key, value]) => specWith(key, value)),
  );

  /** A spec whose reading throws, or a plain one with one hostile value (in any field, args or trigger). */
  const hostileSpec: fc.Arbitrary<Val> = fc.oneof(
    hostileValue,
    fc.constantFrom<Val>(
      val('{ get handler() { throw } }', () =>
        Object.defineProperty({}, 'handler', {
          enumerable: true,
          get() {
            throw new Error('getter throws');
          },
        }),
      ),
      val("{ handler: 'noop', get trigger() { throw } }", () =>
        Object.defineProperty({ handler: 'noop' }, 'trigger', {
          enumerable: true,
          get() {
            throw new Error('getter throws');
          },
        }),
      ),
      val("revoked Proxy of { handler: 'noop' }", () => {
        const { proxy, revoke } = Proxy.revocable({ handler: 'noop' }, {});
        revoke();
        return proxy;
      }),
      val(
        "Proxy of { handler: 'noop' } whose ownKeys trap throws",
        () =>
          new Proxy(
            { handler: 'noop' },
            {
              ownKeys() {
                throw new Error('ownKeys throws');
              },
            },
          ),
      ),
    ),
    fc.tuple(fc.constantFrom(...OPTION_KEYS), hostileValue).map(([key, value]) => specWith(key, value)),
    hostileArgs.map((value) => specWith('args', value)),
    hostileTrigger.map((value) => specWith('trigger', value)),
  );

  property(
    'addJob: specs that are not plain objects, or hold odd values (null-prototype, symbols, BigInt, functions, class instances), succeed or throw a SchedulerError',
    oddSpec,
    async (hh, spec) => {
      await hh.call(`addJob(${spec.label})`, () => hh.scheduler.addJob(spec.make() as never));
    },
    true,
  );

  property(
    'addJob: specs whose reading throws (throwing getters, revoked or hostile proxies, anywhere) are refused with a SchedulerError',
    hostileSpec,
    async (hh, spec) => {
      await hh.call(`addJob(${spec.label})`, () => hh.scheduler.addJob(spec.make() as never));
    },
    true,
  );

  // ---- modifyJob ----------------------------------------------------------------------------

  const modifyWith = async (hh: Harness, changes: OptionsCase) => {
    const before = await addBase(hh);
    const given = changes.make();
    const outcome = await hh.call(`modifyJob(id, ${changes.label})`, () => hh.scheduler.modifyJob(before.id, given as never));
    if (outcome.ok) await checkModified(hh, before, given, outcome.value);
    else await checkUnchanged(hh, before, `modifyJob(id, ${changes.label})`);
  };

  property(
    'modifyJob: string changes (name, executor, handler, id) apply and read back, or throw a SchedulerError and change nothing',
    optionsOf(
      {
        name: stringOption,
        executor: fc.oneof(fc.constantFrom(lit('default'), lit('nope')), stringOption),
        handler: fc.oneof(fc.constantFrom(lit('noop'), lit('throw null'), lit('unregistered')), stringOption),
        id: fc.constantFrom(lit(undefined), lit('other-id'), lit('')),
      },
      'changes',
    ),
    modifyWith,
    true,
  );

  property(
    'modifyJob: numeric and boolean changes apply and read back, or throw a SchedulerError and change nothing',
    optionsOf(
      {
        coalesce: weirdBoolean,
        maxInstances: numberOption,
        misfireGraceTime: numberOption,
        timeout: numberOption,
        rerunOnLoss: weirdBoolean,
      },
      'changes',
    ),
    modifyWith,
    true,
  );

  property(
    'modifyJob: nextRunTime and args changes apply and read back, or throw a SchedulerError and change nothing',
    optionsOf({ nextRunTime: weirdDate, args: anyArgs }, 'changes'),
    modifyWith,
  );

  property(
    'modifyJob: an option passed as undefined leaves it as it was',
    optionsOf(
      {
        name: fc.constantFrom(lit(undefined), lit('renamed')),
        executor: fc.constantFrom(lit(undefined)),
        handler: fc.constantFrom(lit(undefined), lit('noop')),
        coalesce: fc.constantFrom(lit(undefined), lit(true)),
        maxInstances: fc.constantFrom(lit(undefined), lit(7)),
        misfireGraceTime: fc.constantFrom(lit(undefined), lit(null), lit(100)),
        timeout: fc.constantFrom(lit(undefined), lit(1)),
        rerunOnLoss: fc.constantFrom(lit(undefined), lit(true)),
        nextRunTime: fc.constantFrom(
          lit(undefined),
          lit(null),
          val('in 2 hours (ISO string)', () => futureIso(7_200_000)),
        ),
        args: fc.constantFrom(
          lit(undefined),
          val('[]', () => []),
          val("['b']", () => ['b']),
        ),
        id: fc.constantFrom(lit(undefined)),
      },
      'changes',
    ),
    async (hh, changes) => {
      const before = await addBase(hh);
      const given = changes.make();
      const outcome = await hh.call(`modifyJob(id, ${changes.label})`, () => hh.scheduler.modifyJob(before.id, given as never));
      if (!outcome.ok) fail(`modifyJob(id, ${changes.label}) refused valid changes: ${describeThrown(outcome.error)}`);
      await checkModified(hh, before, given, outcome.value);
    },
    true,
  );

  const MODIFY_KEYS = [
    'name',
    'executor',
    'handler',
    'coalesce',
    'maxInstances',
    'misfireGraceTime',
    'timeout',
    'rerunOnLoss',
    'nextRunTime',
    'args',
    'id',
    'store',
    'trigger',
    'replaceExisting',
    'nope',
    '__proto__',
  ] as const;

  const changesWith = (key: string, v: Val): Val =>
    val(`{ ${key}: ${v.label} }`, () =>
      Object.defineProperty({}, key, { value: v.make(), enumerable: true, writable: true, configurable: true }),
    );

  const modifyExotic = async (hh: Harness, changes: Val) => {
    const before = await addBase(hh);
    const outcome = await hh.call(`modifyJob(id, ${changes.label})`, () => hh.scheduler.modifyJob(before.id, changes.make() as never));
    if (!outcome.ok) await checkUnchanged(hh, before, `modifyJob(id, ${changes.label})`);
  };

  property(
    'modifyJob: changes that are not plain objects, or hold odd values or unknown keys, succeed or throw a SchedulerError and change nothing',
    fc.oneof(
      oddValue,
      fc.constantFrom(lit(undefined), lit(null), lit('name')),
      fc.tuple(fc.constantFrom(...MODIFY_KEYS), fc.oneof(oddValue, weirdNumber)).map(([key, v]) => changesWith(key, v)),
    ),
    modifyExotic,
    true,
  );

  property(
    'modifyJob: changes whose reading throws (throwing getters, revoked or hostile proxies) are refused with a SchedulerError and change nothing',
    fc.oneof(
      hostileValue,
      fc.tuple(fc.constantFrom(...MODIFY_KEYS), hostileValue).map(([key, v]) => changesWith(key, v)),
      hostileArgs.map((v) => changesWith('args', v)),
    ),
    modifyExotic,
    true,
  );

  // ---- rescheduleJob ------------------------------------------------------------------------

  property(
    'rescheduleJob: any trigger spec reschedules (a valid nextRunTime, a storable trigger) or throws a SchedulerError and changes nothing',
    anyTrigger,
    async (hh, trigger) => {
      const before = await addBase(hh);
      const outcome = await hh.call(`rescheduleJob(id, ${trigger.label})`, () =>
        hh.scheduler.rescheduleJob(before.id, trigger.make() as never),
      );
      if (!outcome.ok) return checkUnchanged(hh, before, `rescheduleJob(id, ${trigger.label})`);
      const job = outcome.value;
      if (!(job.nextRunTime === null || isValidDate(job.nextRunTime))) fail(`rescheduleJob gave nextRunTime ${show(job.nextRunTime)}`);
      const again = await hh.attempt('createTrigger(job.trigger)', () => createTrigger(job.trigger, { timezone: 'UTC' }));
      if (!again.ok) fail(`the stored trigger ${show(job.trigger)} is refused by createTrigger: ${describeThrown(again.error)}`);
      // Everything but the schedule is unchanged.
      const a = project(job);
      const b = project(before);
      for (const field of [
        'id',
        'name',
        'handler',
        'args',
        'executor',
        'coalesce',
        'maxInstances',
        'misfireGraceTime',
        'timeout',
        'rerunOnLoss',
      ] as const) {
        same(field, a[field], b[field], 'after rescheduleJob');
      }
    },
  );

  property(
    'rescheduleJob: triggers whose reading throws (getters, revoked or hostile proxies, throwing custom triggers) are refused with a SchedulerError and change nothing',
    hostileTrigger,
    async (hh, trigger) => {
      const before = await addBase(hh);
      const outcome = await hh.call(`rescheduleJob(id, ${trigger.label})`, () =>
        hh.scheduler.rescheduleJob(before.id, trigger.make() as never),
      );
      if (!outcome.ok) await checkUnchanged(hh, before, `rescheduleJob(id, ${trigger.label})`);
    },
    true,
  );

  // ---- getExecutions ------------------------------------------------------------------------

  const checkExecutions = (query: Record<string, unknown> | undefined, rows: unknown) => {
    if (!Array.isArray(rows)) fail(`getExecutions resolved with ${show(rows)}, not an array`);
    const q = (query ?? {}) as Record<string, unknown>;
    const limit = q.limit;
    if (typeof limit === 'number' && !Number.isNaN(limit) && rows.length > Math.max(0, limit)) {
      fail(`getExecutions returned ${rows.length} rows for limit ${limit}`);
    }
    for (const row of rows as Record<string, unknown>[]) {
      if (!isValidDate(row.scheduledRunTime)) fail(`an execution has scheduledRunTime ${show(row.scheduledRunTime)}`);
      if (!(STATUSES as readonly unknown[]).includes(row.status)) fail(`an execution has status ${show(row.status)}`);
      if (typeof q.status === 'string' && row.status !== q.status)
        fail(`getExecutions({ status: ${show(q.status)} }) returned a '${String(row.status)}' record`);
      if (typeof q.jobId === 'string' && row.jobId !== q.jobId)
        fail(`getExecutions({ jobId: ${show(q.jobId)} }) returned a record of ${show(row.jobId)}`);
      if (isValidDate(q.since) && (row.scheduledRunTime as Date) < q.since) fail('getExecutions returned a record before since');
    }
  };

  property(
    'getExecutions: any query fields (status, jobId, since, limit, offset) answer matching rows or throw a SchedulerError',
    executionQuery,
    async (hh, query) => {
      const given = query.make();
      const outcome = await hh.call(`getExecutions(${query.label})`, () => hh.scheduler.getExecutions(given as never));
      if (outcome.ok) checkExecutions(given, outcome.value);
    },
    true,
  );

  property(
    'getExecutions: queries that are not plain objects, or hold odd values, succeed or throw a SchedulerError',
    oddQuery,
    async (hh, query) => {
      await hh.call(`getExecutions(${query.label})`, () => hh.scheduler.getExecutions(query.make() as never));
    },
    true,
  );

  property(
    'getExecutions: queries whose reading throws (getters, revoked or hostile proxies) are refused with a SchedulerError',
    fc.oneof(
      hostileQuery,
      fc
        .tuple(fc.constantFrom('jobId', 'status', 'since', 'limit', 'offset'), hostileValue)
        .map(([key, v]) => val(`{ ${key}: ${v.label} }`, () => ({ [key]: v.make() }))),
    ),
    async (hh, query) => {
      await hh.call(`getExecutions(${query.label})`, () => hh.scheduler.getExecutions(query.make() as never));
    },
    true,
  );

  // ---- handlers that misbehave ------------------------------------------------------------------

  property(
    'a handler that throws or returns an adversarial value ends its run (an outcome event, a finished record) and harms no other job',
    fc.tuple(misbehavingHandler, fc.constantFrom(UNDER_TEST, SIDE)),
    async (hh, [handler, store]) => {
      const id = `h-${++sequence}`;
      const outcome = hh.waitForEvent(
        (e: SchedulerEvent) => e.jobId === id && (e.type === 'job_executed' || e.type === 'job_error' || e.type === 'job_missed'),
        CANARY_BOUND_MS,
      );
      await hh.expect(`addJob({ handler: '${handler}' })`, () => hh.scheduler.addJob({ id, handler, store, misfireGraceTime: null }));
      const event = await outcome.promise;
      if (event === null) fail(`a run of handler '${handler}' produced no job_executed/job_error event within ${CANARY_BOUND_MS} ms`);
      if (event.type === 'job_error') {
        const { error, traceback } = event as JobErrorEvent;
        if (!(error instanceof Error)) fail(`job_error of handler '${handler}' carries ${describeThrown(error)}, not an Error`);
        if (typeof traceback !== 'string') fail(`job_error of handler '${handler}' has traceback ${show(traceback)}`);
      }
      // Its record is finished too (the harness then checks that nothing at all is left running).
      const deadline = Date.now() + SETTLE_BOUND_MS;
      for (;;) {
        const rows = await hh.expect(`getExecutions({ jobId: '${id}' })`, () => hh.scheduler.getExecutions({ jobId: id }));
        if (rows.length === 1 && rows[0]!.status !== 'running') {
          if (rows[0]!.status === 'error' && typeof rows[0]!.error !== 'string')
            fail(`the error record of '${handler}' has error ${show(rows[0]!.error)}`);
          break;
        }
        if (rows.length > 1) fail(`handler '${handler}' has ${rows.length} execution records for one run`);
        if (Date.now() > deadline)
          fail(
            `the record of a run of handler '${handler}' is ${rows[0]?.status ?? 'missing'} ${SETTLE_BOUND_MS} ms after the run ended (${event.type})`,
          );
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    true,
  );
}
