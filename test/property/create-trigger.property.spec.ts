/**
 * createTrigger on random and adversarial specs (no store involved: every store compiles triggers
 * through it, a database store on every claim). Accepted triggers must behave: a first fire time
 * that is a valid Date or null, later fire times strictly after it, a toJSON() that is JSON, that
 * createTrigger accepts again and that describes the same schedule.
 */
import { describe, it } from '@jest/globals';
import fc from 'fast-check';
import { createTrigger, SchedulerError, type Trigger } from '../../lib/index.js';
import { anyTrigger, hostileTrigger, lit, val, weirdDate, weirdString, type Val } from './arbitraries.js';
import { checkProperty, describeThrown, isValidDate, sameData, show } from './harness.js';

const NOW = new Date('2030-01-07T12:00:00.250Z');
/** A single call on a trigger may take this long; a cron that never fires must say so quickly. */
const CALL_BOUND_MS = 1_000;

function fail(message: string): never {
  throw new Error(message);
}

/** Runs a synchronous call, timing it: an unbounded search shows up as a slow call (it cannot be interrupted). */
function timed<T>(what: string, fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    const took = performance.now() - started;
    if (took > CALL_BOUND_MS) fail(`${what} took ${Math.round(took)} ms`);
  }
}

function attempt<T>(what: string, fn: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: timed(what, fn) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(`${what} took`)) throw error;
    return { ok: false, error };
  }
}

function mustNotThrow<T>(what: string, fn: () => T): T {
  const outcome = attempt(what, fn);
  if (!outcome.ok) fail(`${what} threw ${describeThrown(outcome.error)}`);
  return outcome.value;
}

function isCustom(spec: unknown): boolean {
  try {
    return typeof spec === 'object' && spec !== null && typeof (spec as Trigger).getNextFireTime === 'function';
  } catch {
    return false;
  }
}

function hasJitter(spec: unknown): boolean {
  try {
    return JSON.stringify(spec)?.includes('"jitter"') ?? false;
  } catch {
    return true;
  }
}

/** createTrigger either throws a SchedulerError or gives a trigger that behaves. */
function checkCreate(spec: unknown, defaults: unknown, label: string): void {
  const created = attempt(`createTrigger(${label})`, () => createTrigger(spec as never, defaults as never));
  if (!created.ok) {
    if (!(created.error instanceof SchedulerError))
      fail(`createTrigger(${label}) threw ${describeThrown(created.error)}: expected a trigger or a SchedulerError`);
    return;
  }
  const trigger = created.value;
  if (!(trigger && typeof trigger.getNextFireTime === 'function' && typeof trigger.toJSON === 'function'))
    fail(`createTrigger gave ${show(trigger)}`);
  // A custom trigger is returned as is: what it does is the scheduler's problem (see the addJob properties).
  if (isCustom(spec)) return;

  const now = isValidDate((defaults as { now?: unknown } | undefined)?.now) ? (defaults as { now: Date }).now : NOW;
  const text = mustNotThrow('toString()', () => trigger.toString());
  if (typeof text !== 'string') fail(`toString() gave ${show(text)}`);

  const first = mustNotThrow('getNextFireTime(null, now)', () => trigger.getNextFireTime(null, now));
  if (!(first === null || isValidDate(first))) fail(`getNextFireTime(null, now) gave ${show(first)} for an accepted trigger`);
  if (first !== null) {
    let previous = first;
    for (let i = 0; i < 3; i++) {
      const next = mustNotThrow(`getNextFireTime(${previous.toISOString()}, now)`, () => trigger.getNextFireTime(previous, now));
      if (next === null) break;
      if (!isValidDate(next)) fail(`getNextFireTime(${previous.toISOString()}, now) gave ${show(next)}`);
      if (next.getTime() <= previous.getTime())
        fail(`getNextFireTime(${previous.toISOString()}, now) went back or stood still: ${next.toISOString()}`);
      previous = next;
    }
  }

  const json = mustNotThrow('toJSON()', () => trigger.toJSON());
  const text2 = mustNotThrow('JSON.stringify(toJSON())', () => JSON.stringify(json));
  if (typeof text2 !== 'string') fail(`toJSON() gave ${show(json)}, which has no JSON text`);
  const parsed: unknown = JSON.parse(text2);
  if (!sameData(parsed, json)) fail(`toJSON() gave ${show(json)}, which JSON does not keep (reads back as ${show(parsed)})`);
  const again = attempt('createTrigger(toJSON())', () => createTrigger(parsed as never, { timezone: 'UTC', now }));
  if (!again.ok) fail(`createTrigger refuses its own toJSON() ${show(parsed)}: ${describeThrown(again.error)}`);
  if (!hasJitter(parsed)) {
    const replay = mustNotThrow('getNextFireTime(null, now) after a round trip', () => again.value.getNextFireTime(null, now));
    const a = first === null ? null : first.getTime();
    const b = replay === null ? null : isValidDate(replay) ? replay.getTime() : Number.NaN;
    if (a !== b) fail(`after a round trip through toJSON() the first fire time is ${show(replay)}, not ${show(first)}`);
  }
}

const defaultsArb: fc.Arbitrary<Val> = fc
  .record(
    { timezone: fc.oneof(weirdString, fc.constantFrom(lit('UTC'), lit('Europe/Paris'), lit('America/St_Johns'))), now: weirdDate },
    { requiredKeys: [] },
  )
  .map((fields) => {
    const keys = Object.keys(fields) as ('timezone' | 'now')[];
    return val(`{ ${keys.map((k) => `${k}: ${fields[k]!.label}`).join(', ')} }`, () => {
      const defaults: Record<string, unknown> = {};
      for (const k of keys) defaults[k] = fields[k]!.make();
      return defaults;
    });
  });

describe('createTrigger', () => {
  it('on any spec (valid, bad fields, bad shapes, custom): a SchedulerError, or a trigger whose fire times and toJSON() behave', async () => {
    await checkProperty(anyTrigger, (spec) => checkCreate(spec.make(), { timezone: 'UTC', now: NOW }, spec.label), 600, 10_000);
  }, 60_000);

  it('on specs whose reading throws (getters, revoked or hostile proxies): a SchedulerError', async () => {
    await checkProperty(hostileTrigger, (spec) => checkCreate(spec.make(), { timezone: 'UTC', now: NOW }, spec.label), 200, 5_000);
  }, 60_000);

  it('with adversarial defaults ({ timezone, now }): a SchedulerError, or a trigger that behaves', async () => {
    const specs = [
      val("{ type: 'interval', seconds: 1 }", () => ({ type: 'interval', seconds: 1 })),
      val("{ type: 'cron', second: '*/5' }", () => ({ type: 'cron', second: '*/5' })),
      val("{ type: 'date' }", () => ({ type: 'date' })),
      val("'0 6 * * *'", () => '0 6 * * *'),
      val("{ type: 'or', triggers: [interval 1 s, date] }", () => ({
        type: 'or',
        triggers: [{ type: 'interval', seconds: 1 }, { type: 'date' }],
      })),
    ];
    await checkProperty(
      fc.tuple(fc.constantFrom(...specs), fc.oneof(defaultsArb, fc.constantFrom(lit(undefined), lit(null), lit('UTC'), lit(42)))),
      ([spec, defaults]) => checkCreate(spec.make(), defaults.make(), `${spec.label}, ${defaults.label}`),
      400,
      8_000,
    );
  }, 60_000);
});
