/**
 * One scheduler per store under test, reused by every property of a suite, with the checks each
 * generated case ends with: the call threw nothing but SchedulerError, a canary job in the store
 * under test and one in a second (memory) store still run on time, and once everything settled no
 * execution record is left 'running'.
 *
 * A case that fails may leave the scheduler broken; the next case (a shrink attempt, typically)
 * then starts on a fresh scheduler and store over the same database, so a broken state is never
 * blamed on the innocent input that happens to run after it.
 */
import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import {
  MemoryJobStore,
  Scheduler,
  SchedulerError,
  TypeOrmJobStore,
  schedulerEntityList,
  type Job,
  type JobExecution,
  type JobStore,
  type SchedulerEvent,
} from '../../lib/index.js';
import type { DatabaseName, TestDatabase } from '../support/databases.js';
import { uniquePrefix } from '../support/databases.js';
import { HANDLER_BEHAVIOURS } from './arbitraries.js';

export type StoreName = 'memory' | DatabaseName;

/** How long a call may take before it counts as a hang. */
export const CALL_TIMEOUT_MS = 5_000;
/** How late a canary may run and still be "on time". */
export const CANARY_BOUND_MS = 3_000;
/** How long a finished run's record may take to leave 'running'. */
export const SETTLE_BOUND_MS = 3_000;

const silentLogger = { log: () => {}, warn: () => {}, error: () => {} };

/** Store under test + a memory store under 'side': a bad job in one must not stop the other. */
export const UNDER_TEST = 'default';
export const SIDE = 'side';

export interface StoreFactory {
  readonly name: StoreName;
  readonly persistent: boolean;
  /** A new store over the same data (memory: a new, empty store). */
  make(): JobStore;
  /** Empties the tables, below the scheduler (database stores only). */
  wipe?(): Promise<void>;
  readonly dataSource?: DataSource;
  readonly prefix?: string;
}

export function memoryFactory(): StoreFactory {
  return { name: 'memory', persistent: false, make: () => new MemoryJobStore() };
}

/** Creates the tables of a fresh prefix on `db` (dropped after the suite) and a factory of stores over them. */
export async function databaseFactory(db: TestDatabase, label: string): Promise<StoreFactory> {
  const prefix = uniquePrefix(label);
  const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
  db.dropTablesAfterAll(prefix);
  const q = (name: string) => dataSource.driver.escape(name);
  return {
    name: db.name,
    persistent: true,
    dataSource,
    prefix,
    make: () => new TypeOrmJobStore({ dataSource, tablePrefix: prefix }),
    async wipe() {
      for (const table of ['jobs', 'executions', 'instances']) await dataSource.query(`DELETE FROM ${q(`${prefix}${table}`)}`);
    },
  };
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A readable account of any thrown value, even a revoked proxy, with where in lib/ it came from. */
export function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) {
      let text: string;
      try {
        text = `${error.constructor?.name ?? 'Error'}: ${String(error.message).slice(0, 300)}`;
      } catch {
        text = '<an Error whose message cannot be read>';
      }
      try {
        const frames = String(error.stack ?? '')
          .split('\n')
          .filter((line) => /\/(lib|node_modules\/(typeorm|pg|mysql2|better-sqlite3))\//.test(line))
          .slice(0, 3)
          .map((line) =>
            line
              .trim()
              .replace(/^at /, '')
              .replace(/\(?\/work\/main\//, '('),
          );
        if (frames.length) text += ` [at ${frames.join(' <- ')}]`;
      } catch {
        /* a stack getter that throws */
      }
      return text;
    }
    if (error === null) return 'null';
    if (typeof error === 'object' || typeof error === 'function') return `a non-Error ${typeof error}`;
    return `${typeof error} ${String(error)}`;
  } catch {
    return '<unprintable thrown value>';
  }
}

/** fast-check options: fast-check picks the seed; FC_SEED / FC_PATH replay a reported failure. */
export function fcOptions(numRuns: number, timeLimitMs: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  return {
    numRuns,
    seed,
    path: process.env.FC_PATH,
    // Bounds the whole property, shrinking included; a failure found before still fails the test.
    interruptAfterTimeLimit: timeLimitMs,
    markInterruptAsFailure: false,
    verbose: 1,
  } as fc.Parameters<unknown>;
}

/** Runs per property: the memory store is cheap, a database round trip is not. */
export function runsFor(store: StoreName, cheap: boolean): number {
  if (store === 'memory') return cheap ? 150 : 60;
  return cheap ? 40 : 15;
}

export function timeLimitFor(store: StoreName): number {
  return store === 'memory' ? 8_000 : 12_000;
}

/**
 * Checks a property. By default with fc.assert (shrinking, seed and counterexample in the failure).
 * With PROPERTY_SWEEP=<n>, runs n samples instead and fails listing every distinct failure with
 * its first counterexample: one shrunk counterexample per property hides the other defects.
 */
export async function checkProperty<T>(
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void> | void,
  numRuns: number,
  timeLimitMs: number,
): Promise<void> {
  const sweep = Number(process.env.PROPERTY_SWEEP ?? 0);
  if (!sweep) {
    await fc.assert(
      fc.asyncProperty(arb, async (value) => check(value)),
      fcOptions(numRuns, timeLimitMs),
    );
    return;
  }
  const groups = new Map<string, { count: number; example: string; message: string }>();
  for (const value of fc.sample(arb, { numRuns: sweep })) {
    try {
      await check(value);
    } catch (error) {
      if (fc.PreconditionFailure.isFailure(error)) continue;
      const message = error instanceof Error ? error.message : String(error);
      const key = message
        .replace(/^[\s\S]*? threw /, 'threw ')
        .replace(/^[^:]*: (\w+ reads back)/, '$1')
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, 'S')
        .replace(/-?\d[\d.e+]*/g, 'N')
        .slice(0, 160);
      const group = groups.get(key);
      if (group) group.count++;
      else groups.set(key, { count: 1, example: fc.stringify(value), message });
    }
  }
  if (groups.size === 0) return;
  const lines = [...groups.values()].map((g, i) => `${i + 1}. (${g.count}x) ${g.example}\n   ${g.message.split('\n')[0]}`);
  throw new Error(`${groups.size} distinct failure(s) in ${sweep} samples:\n${lines.join('\n')}`);
}

let sequence = 0;

export class Harness {
  scheduler!: Scheduler;
  store!: JobStore;
  readonly events: SchedulerEvent[] = [];
  private poisoned = false;
  private generation = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    readonly factory: StoreFactory,
    private readonly options: { pollInterval?: number } = {},
  ) {}

  get name(): StoreName {
    return this.factory.name;
  }

  get persistent(): boolean {
    return this.factory.persistent;
  }

  async start(): Promise<void> {
    this.generation++;
    this.store = this.factory.make();
    const scheduler = new Scheduler({
      timezone: 'UTC',
      instanceId: `prop-${this.name}-${process.pid}-${this.generation}`,
      logger: silentLogger,
      pollInterval: this.options.pollInterval ?? 200,
      stores: { [UNDER_TEST]: this.store, [SIDE]: new MemoryJobStore() },
    });
    scheduler.registry.register('noop', () => undefined);
    scheduler.registry.register('canary', () => 'canary ran');
    for (const [name, fn] of Object.entries(HANDLER_BEHAVIOURS)) scheduler.registry.register(name, fn);
    const subscription = scheduler.events$.subscribe((event) => this.events.push(event));
    this.unsubscribe = () => subscription.unsubscribe();
    this.scheduler = scheduler;
    await scheduler.start();
  }

  /** Shuts the scheduler down (bounded: a wedged one is abandoned). */
  async stop(): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler) return;
    this.unsubscribe?.();
    if (scheduler.state !== 'stopped') {
      await settle(
        scheduler.removeAllJobs().catch(() => undefined),
        2_000,
      );
      await settle(
        scheduler.shutdown({ wait: false }).catch(() => undefined),
        5_000,
      );
    }
  }

  /** Before each case: a fresh scheduler when the last case failed. */
  private async ensureHealthy(): Promise<void> {
    if (!this.poisoned) return;
    this.poisoned = false;
    await this.stop();
    await this.factory.wipe?.();
    await this.start();
  }

  /** Events emitted since `mark` (an index into `events`). */
  since(mark: number): SchedulerEvent[] {
    return this.events.slice(mark);
  }

  /**
   * One generated case: `body` does the call and its read-back checks, then the canaries run, the
   * case's jobs are removed, and no execution record may stay 'running'.
   */
  async runCase(body: (h: this) => Promise<void>, options: { canary?: boolean } = {}): Promise<void> {
    await this.ensureHealthy();
    try {
      await body(this);
      if (options.canary !== false) await this.canaries();
      await this.expect('removeAllJobs() after the case', () => this.scheduler.removeAllJobs());
      await this.noRunningRecords();
    } catch (error) {
      this.poisoned = true;
      throw error;
    }
  }

  /** Calls `fn`, turning a hang into a failure; returns what it returned or threw. */
  async attempt<T>(what: string, fn: () => Promise<T> | T, ms = CALL_TIMEOUT_MS): Promise<Outcome<T>> {
    let timer: NodeJS.Timeout | undefined;
    const hang = Symbol('hang');
    const timeout = new Promise<typeof hang>((resolve) => (timer = setTimeout(() => resolve(hang), ms)));
    try {
      const result = await Promise.race([
        Promise.resolve()
          .then(fn)
          .then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        timeout,
      ]);
      if (result === hang) throw new Error(`${what} did not settle within ${ms} ms (a hang)`);
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `fn` must succeed or throw a SchedulerError; anything else fails the case. */
  async call<T>(what: string, fn: () => Promise<T> | T): Promise<Outcome<T>> {
    const outcome = await this.attempt(what, fn);
    if (!outcome.ok) assertSchedulerError(what, outcome.error);
    return outcome;
  }

  /** `fn` must succeed. */
  async expect<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
    const outcome = await this.attempt(what, fn);
    if (!outcome.ok) throw new Error(`${what} failed: ${describeThrown(outcome.error)}`);
    return outcome.value;
  }

  /** A date job a little in the future, in the store under test and in the side store, must run on time. */
  async canaries(): Promise<void> {
    await Promise.all([this.canary(UNDER_TEST), this.canary(SIDE)]);
  }

  async canary(store: string): Promise<void> {
    const id = `canary-${++sequence}`;
    const delay = this.persistent && store === UNDER_TEST ? 5 : 1;
    const runAt = Date.now() + delay;
    const outcome = this.waitForEvent(
      (e) => e.jobId === id && (e.type === 'job_executed' || e.type === 'job_error' || e.type === 'job_missed'),
      delay + CANARY_BOUND_MS,
    );
    const added = await this.attempt(`adding the canary to '${store}'`, () =>
      this.scheduler.addJob({ id, handler: 'canary', store, misfireGraceTime: null, trigger: { type: 'date', runDate: new Date(runAt) } }),
    );
    if (!added.ok) {
      outcome.cancel();
      throw new Error(`the canary could not be added to store '${store}': ${describeThrown(added.error)}`);
    }
    const event = await outcome.promise;
    if (event === null) {
      throw new Error(
        `the canary in store '${store}' (due ${delay} ms after it was added) did not run within ${CANARY_BOUND_MS} ms of its time`,
      );
    }
    if (event.type !== 'job_executed') {
      throw new Error(
        `the canary in store '${store}' ended with ${event.type}${'error' in event ? `: ${describeThrown(event.error)}` : ''}`,
      );
    }
    const late = (event as unknown as { startedAt: Date }).startedAt.getTime() - runAt;
    if (late > CANARY_BOUND_MS) throw new Error(`the canary in store '${store}' ran ${late} ms late`);
  }

  /** Resolves with the first matching event (looking back from when it is called), or null after `ms`. */
  waitForEvent(match: (e: SchedulerEvent) => boolean, ms: number): { promise: Promise<SchedulerEvent | null>; cancel(): void } {
    const from = this.events.length;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    let done: (e: SchedulerEvent | null) => void = () => undefined;
    const promise = new Promise<SchedulerEvent | null>((resolve) => {
      done = (e) => {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(e);
      };
      timer = setTimeout(() => done(null), ms);
      let seen = from;
      poll = setInterval(() => {
        for (; seen < this.events.length; seen++) {
          if (match(this.events[seen]!)) return done(this.events[seen]!);
        }
      }, 2);
    });
    return { promise, cancel: () => done(null) };
  }

  /** Every run has ended: within SETTLE_BOUND_MS no execution record may be left 'running'. */
  async noRunningRecords(): Promise<void> {
    const deadline = Date.now() + SETTLE_BOUND_MS;
    let running: JobExecution[];
    for (;;) {
      running = await this.expect("getExecutions({ status: 'running' })", () =>
        this.scheduler.getExecutions({ status: 'running', limit: 1000 }),
      );
      if (running.length === 0) return;
      if (Date.now() > deadline) break;
      await sleep(10);
    }
    const sample = running.slice(0, 3).map((r) => `${r.jobId.slice(0, 40)}@${r.scheduledRunTime.toISOString?.() ?? r.scheduledRunTime}`);
    throw new Error(
      `${running.length} execution record(s) still 'running' ${SETTLE_BOUND_MS} ms after their runs were over: ${sample.join(', ')}`,
    );
  }

  async getJob(id: string): Promise<Job | null> {
    return this.expect(`getJob(${JSON.stringify(id.slice(0, 40))})`, () => this.scheduler.getJob(id));
  }
}

export function assertSchedulerError(what: string, error: unknown): void {
  if (!(error instanceof SchedulerError)) {
    throw new Error(`${what} threw ${describeThrown(error)}: expected success or a SchedulerError`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function settle(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Deep equality of plain data as a handler receives it: +0 and -0 are one number (JSON has one), and
 * an array hole is undefined (handler(...args) passes both the same way); undefined and null differ.
 */
export function sameData(a: unknown, b: unknown): boolean {
  // Iterative: a store may accept args nested thousands deep, and the comparison must not overflow.
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (typeof x === 'number' && typeof y === 'number') {
      if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) return false;
      continue;
    }
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) {
      if (x !== y) return false;
      continue;
    }
    if (x === y) continue;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.prototype.hasOwnProperty.call(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/** A short, safe rendering of a value for failure messages. */
export function show(value: unknown): string {
  try {
    if (typeof value === 'string')
      return value.length > 60 ? `${JSON.stringify(value.slice(0, 40))}…(${value.length} chars)` : JSON.stringify(value);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : `Date(${value.toISOString()})`;
    const text = fc.stringify(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return '<unprintable>';
  }
}

export function isValidDate(value: unknown): value is Date {
  return value instanceof Date && Number.isFinite(value.getTime());
}
