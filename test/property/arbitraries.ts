/**
 * Adversarial values for the property suites.
 *
 * Every generated value is a `Val`: a label (what fast-check prints in a counterexample) and a
 * `make()` that builds a fresh instance for each run. Revoked proxies, throwing getters and
 * null-prototype objects cannot be stringified safely (fast-check's reporter would itself throw on
 * a revoked proxy), and a getter that already threw once must throw again when a shrunk case is
 * replayed, so values are built inside the property, never held by the arbitrary.
 */
import fc from 'fast-check';

export interface Val<T = unknown> {
  readonly label: string;
  make(): T;
}

export function val<T>(label: string, make: () => T): Val<T> {
  return { label, make, [fc.toStringMethod]: () => label } as Val<T>;
}

/** A primitive (or frozen-enough) value, labelled by fast-check's own stringify. */
export function lit<T>(value: T): Val<T> {
  return val(labelOf(value), () => value);
}

function labelOf(value: unknown): string {
  if (typeof value === 'string' && value.length > 60) {
    const unit = value.slice(0, 1);
    return value === unit.repeat(value.length)
      ? `${fc.stringify(unit)}.repeat(${value.length})`
      : `${fc.stringify(value.slice(0, 40))}…(${value.length} chars)`;
  }
  return fc.stringify(value);
}

const constants = <T>(...values: Val<T>[]): fc.Arbitrary<Val<T>> => fc.constantFrom(...values);

// ---- building blocks ---------------------------------------------------------------------

export const LONG = 100_000;

/** An object whose every property read throws (a plain Error, not a SchedulerError). */
export function throwingGetters(keys: readonly string[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const key of keys) {
    Object.defineProperty(object, key, {
      enumerable: true,
      get() {
        throw new Error(`getter '${key}' throws`);
      },
    });
  }
  return object;
}

export function revokedProxy<T extends object>(target: T = {} as T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

/** A proxy on which every operation throws. */
export function hostileProxy<T extends object>(target: T = {} as T): T {
  const trap = () => {
    throw new Error('hostile proxy trap');
  };
  return new Proxy(target, {
    get: trap,
    has: trap,
    ownKeys: trap,
    getOwnPropertyDescriptor: trap,
    getPrototypeOf: trap,
    set: trap,
    defineProperty: trap,
    deleteProperty: trap,
    apply: trap,
    construct: trap,
  });
}

export function nullProto(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, fields);
}

function cyclic(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  return a;
}

function holey(): unknown[] {
  // eslint-disable-next-line no-sparse-arrays
  return [1, , 3];
}

function deeplyNested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Values that are objects but not plain data (and other non-JSON values), mixed into every field pool. */
export const oddValue: fc.Arbitrary<Val> = constants<unknown>(
  val('{}', () => ({})),
  val('[]', () => []),
  val('[1, <hole>, 3]', holey),
  val('Object.create(null)', () => nullProto()),
  val('Object.create(null) with { a: 1 }', () => nullProto({ a: 1 })),
  val("Symbol('s')", () => Symbol('s')),
  val('10n', () => 10n),
  val('() => 1', () => () => 1),
  val('new Map()', () => new Map()),
  val('new (class Foo {})()', () => new (class Foo {})()),
  val('new Date(NaN)', () => new Date(Number.NaN)),
  val('new Number(1)', () => new Number(1)),
  val("new String('a')", () => new String('a')),
  val('a cyclic object', cyclic),
);

/**
 * Values whose every use throws: revoked and hostile proxies, throwing getters and conversions.
 * Kept out of the field pools and tried by properties of their own, so that they do not hide the
 * defects the other values find.
 */
export const hostileValue: fc.Arbitrary<Val> = constants<unknown>(
  val('{ get x() { throw } }', () => throwingGetters(['x'])),
  val('revoked Proxy', () => revokedProxy()),
  val('revoked Proxy of []', () => revokedProxy([])),
  val('revoked Proxy of a Date', () => revokedProxy(new Date())),
  val('hostile Proxy (every trap throws)', () => hostileProxy()),
  val('{ toString() { throw } }', () => ({
    toString() {
      throw new Error('toString throws');
    },
  })),
  val('{ [Symbol.toPrimitive]() { throw } }', () => ({
    [Symbol.toPrimitive]() {
      throw new Error('toPrimitive throws');
    },
  })),
  val('[{ get x() { throw } }]', () => [throwingGetters(['x'])]),
  val('[revoked Proxy]', () => [revokedProxy()]),
  val('an array with a throwing getter at index 0', () => {
    const array: unknown[] = [];
    Object.defineProperty(array, 0, {
      enumerable: true,
      get() {
        throw new Error('index getter throws');
      },
    });
    return array;
  }),
);

/** Kept for the spec-level properties: odd and hostile values together. */
export const exoticValue: fc.Arbitrary<Val> = fc.oneof(oddValue, hostileValue);

// ---- scalar pools ------------------------------------------------------------------------

export const SPECIAL_NUMBERS: readonly number[] = [
  Number.NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  1,
  2,
  3,
  0.5,
  1.5,
  0.4,
  1e-7,
  999.5,
  1000.25,
  -1,
  -0.5,
  -1000,
  -1e21,
  1e21,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  8.64e15,
  8.64e15 + 1,
  -8.64e15,
  1e18,
  -1e18,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  1e300,
];

export const weirdNumber: fc.Arbitrary<Val> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS).map(lit) },
  { weight: 2, arbitrary: fc.double().map(lit) },
  { weight: 2, arbitrary: fc.integer().map(lit) },
  { weight: 1, arbitrary: constants<unknown>(lit(undefined), lit(null), lit('1'), lit(''), lit(true)) },
);

/** Strings with NUL, lone surrogates, 100k characters, SQL, names of prototype members. */
export const SPECIAL_STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'default',
  'side',
  'noop',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\udfff\ud800',
  '\uffff',
  '\ufeff',
  '💥',
  'é',
  'x'.repeat(191),
  'x'.repeat(192),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(LONG),
  '\u00e9'.repeat(LONG),
  "'; DROP TABLE x; --",
  '%s%n',
  '__proto__',
  'constructor',
  'toString',
  '\n',
  '\\',
  '"',
  '\r\n\t',
];

const anyUtf16String = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 });

export const weirdString: fc.Arbitrary<Val> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SPECIAL_STRINGS).map(lit) },
  { weight: 2, arbitrary: anyUtf16String.map(lit) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(lit) },
  { weight: 1, arbitrary: constants<unknown>(lit(undefined), lit(null), lit(0), lit(Number.NaN), lit(false)) },
);

export const weirdBoolean: fc.Arbitrary<Val> = constants<unknown>(
  lit(true),
  lit(false),
  lit(undefined),
  lit(null),
  lit(0),
  lit(1),
  lit('true'),
  lit(''),
  lit(Number.NaN),
  val('new Boolean(false)', () => new Boolean(false)),
);

/** DateInputs: valid, invalid, out of range, calendar-impossible, time-only. */
export const BAD_DATE_STRINGS: readonly string[] = [
  '2020-13-01',
  '2021-02-29',
  '2020-02-30',
  '2020-02-30T00:00:00Z',
  '2020-01-01T25:00:00Z',
  '2020-01-01T24:00:01',
  '2020-00-10',
  '2020-01-32',
  '00:35:00',
  '00:35',
  'T00:35:00',
  '12:00:00Z',
  '2020-W01',
  '2020-001',
  'now',
  'tomorrow',
  '',
  '   ',
  '2020',
  '1e18',
  'NaN',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-19T23:59:59.999Z',
  '2030-01-01T00:00:00+25:00',
];

export function futureIso(ms = 3_600_000): string {
  return new Date(Date.now() + ms).toISOString();
}

export const weirdDate: fc.Arbitrary<Val> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BAD_DATE_STRINGS).map(lit) },
  {
    weight: 3,
    arbitrary: constants<unknown>(
      lit(undefined),
      lit(null),
      val('new Date(NaN)', () => new Date(Number.NaN)),
      val('new Date(8.64e15)', () => new Date(8.64e15)),
      val('new Date(-8.64e15)', () => new Date(-8.64e15)),
      val('new Date(0)', () => new Date(0)),
      val('in 1 hour (Date)', () => new Date(Date.now() + 3_600_000)),
      val('in 1 hour (ISO string)', () => futureIso()),
      val('in 1 hour (epoch ms + 0.5)', () => Date.now() + 3_600_000 + 0.5),
      val("'2030-01-01 09:00:00'", () => '2030-01-01 09:00:00'),
      val("'2030-01-01'", () => '2030-01-01'),
      val("'2030-01-01T09:00:00+14:00'", () => '2030-01-01T09:00:00+14:00'),
      val('an hour ago (Date)', () => new Date(Date.now() - 3_600_000)),
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS).map(lit) },
  { weight: 1, arbitrary: oddValue },
);

// ---- triggers ----------------------------------------------------------------------------

/** A trigger that fires, but not during the test: options can be read back before anything runs. */
export const QUIET_TRIGGER = (): { type: 'interval'; hours: number } => ({ type: 'interval', hours: 1 });

/** Triggers that are valid and fire soon or often. */
const validTrigger: fc.Arbitrary<Val> = constants<unknown>(
  val("{ type: 'interval', hours: 1 }", QUIET_TRIGGER),
  val("{ type: 'interval', seconds: 1 }", () => ({ type: 'interval', seconds: 1 })),
  val("{ type: 'interval', milliseconds: 1 }", () => ({ type: 'interval', milliseconds: 1 })),
  val("{ type: 'date', runDate: in 1 hour }", () => ({ type: 'date', runDate: futureIso() })),
  val("{ type: 'date' } (now)", () => ({ type: 'date' })),
  val("{ type: 'date', runDate: an hour ago }", () => ({ type: 'date', runDate: new Date(Date.now() - 3_600_000) })),
  val("'*/5 * * * * *'", () => '*/5 * * * * *'),
  val("'0 0 1 1 *'", () => '0 0 1 1 *'),
  val("{ type: 'cron', second: '*/2' }", () => ({ type: 'cron', second: '*/2' })),
  val("{ type: 'cron', day: 'last fri', hour: 6 }", () => ({ type: 'cron', day: 'last fri', hour: 6 })),
  val("{ type: 'or', triggers: [interval 1 h, cron 06:00] }", () => ({
    type: 'or',
    triggers: [QUIET_TRIGGER(), { type: 'cron', hour: 6 }],
  })),
  val("{ type: 'and', triggers: [cron */2 s, cron */3 s] }", () => ({
    type: 'and',
    triggers: [
      { type: 'cron', second: '*/2' },
      { type: 'cron', second: '*/3' },
    ],
  })),
);

/** A spec's field set to a bad value, on an otherwise valid spec of each type. */
const INTERVAL_FIELDS = ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;
const CRON_FIELDS = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'] as const;

const CRON_FIELD_VALUES: readonly unknown[] = [
  60,
  24,
  0,
  -1,
  1.5,
  32,
  13,
  8,
  54,
  275761,
  1969,
  1e21,
  Number.NaN,
  Infinity,
  '',
  ' ',
  '*/0',
  '*/-1',
  '5-1',
  '1-100',
  '1,,2',
  'last foo',
  '6th fri',
  '0th mon',
  'last',
  'last sun',
  'xyz',
  'jan-',
  'mon-sun/0',
  '*/1000000',
  '\u0000',
  'x'.repeat(LONG),
  null,
  true,
  '0-59/59',
  '2147483648',
  '1e3',
  '0x10',
  ' 5 ',
];

const badTriggerField: fc.Arbitrary<Val> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...INTERVAL_FIELDS), weirdNumber)
    .map(([field, v]) => val(`{ type: 'interval', ${field}: ${v.label} }`, () => ({ type: 'interval', [field]: v.make() }))),
  fc
    .tuple(fc.constantFrom(...CRON_FIELDS), fc.constantFrom(...CRON_FIELD_VALUES))
    .map(([field, v]) => val(`{ type: 'cron', ${field}: ${labelOf(v)} }`, () => ({ type: 'cron', [field]: v }))),
  fc.tuple(fc.constantFrom('startDate', 'endDate', 'runDate'), weirdDate).map(([field, v]) => {
    const type = field === 'runDate' ? 'date' : 'interval';
    return val(`{ type: '${type}', ${type === 'interval' ? 'seconds: 1, ' : ''}${field}: ${v.label} }`, () =>
      type === 'date' ? { type, runDate: v.make() } : { type, seconds: 1, [field]: v.make() },
    );
  }),
  fc.tuple(fc.constantFrom('interval', 'cron', 'and'), weirdNumber).map(([type, v]) =>
    val(`{ type: '${type}', …valid, jitter: ${v.label} }`, () => {
      const base =
        type === 'interval'
          ? { type, seconds: 1 }
          : type === 'cron'
            ? { type, second: '*' }
            : { type, triggers: [{ type: 'interval', seconds: 1 }] };
      return { ...base, jitter: v.make() };
    }),
  ),
  fc.tuple(fc.constantFrom('cron', 'interval', 'date'), weirdString).map(([type, v]) =>
    val(`{ type: '${type}', …valid, timezone: ${v.label} }`, () => {
      const base = type === 'interval' ? { type, seconds: 1 } : type === 'cron' ? { type, second: '*' } : { type, runDate: futureIso() };
      return { ...base, timezone: v.make() };
    }),
  ),
  weirdString.map((v) => val(`{ type: 'cron', expression: ${v.label} }`, () => ({ type: 'cron', expression: v.make() }))),
  weirdString.map((v) => val(`crontab ${v.label}`, () => v.make())),
  weirdString.map((v) => val(`{ type: ${v.label} }`, () => ({ type: v.make(), seconds: 1 }))),
);

const badTriggerShape: fc.Arbitrary<Val> = constants<unknown>(
  lit(undefined),
  lit(null),
  lit(42),
  lit(''),
  lit('not cron'),
  lit('* * * * * * *'),
  lit('60 * * * *'),
  lit('0 0 30 2 *'),
  lit('0 0 31 4 *'),
  lit('0 0 29 2 1#5'),
  lit('0 0 L 2 *'),
  lit('0 0 * * 8'),
  lit('*/0 * * * *'),
  lit('* * * * * * * * *'),
  val('[]', () => []),
  val('{}', () => ({})),
  val("{ type: 'nope' }", () => ({ type: 'nope' })),
  val('{ type: null }', () => ({ type: null })),
  val("{ type: 'interval' } (no unit)", () => ({ type: 'interval' })),
  val("{ type: 'interval', milliseconds: 0.4 }", () => ({ type: 'interval', milliseconds: 0.4 })),
  val("{ type: 'interval', weeks: 1e10 }", () => ({ type: 'interval', weeks: 1e10 })),
  val("{ type: 'interval', seconds: 1, hourz: 1 }", () => ({ type: 'interval', seconds: 1, hourz: 1 })),
  val("{ type: 'interval', seconds: 1, jitter: 1e300 }", () => ({ type: 'interval', seconds: 1, jitter: 1e300 })),
  val("{ type: 'cron', second: '*', jitter: 1e300 }", () => ({ type: 'cron', second: '*', jitter: 1e300 })),
  val("{ type: 'interval', seconds: 1, startDate: 8.64e15 - 500 }", () => ({ type: 'interval', seconds: 1, startDate: 8.64e15 - 500 })),
  val("{ type: 'interval', weeks: 1, startDate: -8.64e15 }", () => ({ type: 'interval', weeks: 1, startDate: -8.64e15 })),
  val("{ type: 'interval', seconds: 1, endDate: in 10 ms }", () => ({ type: 'interval', seconds: 1, endDate: new Date(Date.now() + 10) })),
  val("{ type: 'interval', seconds: 1, startDate: in 1 h, endDate: now }", () => ({
    type: 'interval',
    seconds: 1,
    startDate: futureIso(),
    endDate: new Date(),
  })),
  val("{ type: 'cron', month: 2, day: 30 }", () => ({ type: 'cron', month: 2, day: 30 })),
  val("{ type: 'cron', month: 4, day: 31 }", () => ({ type: 'cron', month: 4, day: 31 })),
  val("{ type: 'cron', month: 2, day: 29, year: '2100-2199/100' }", () => ({ type: 'cron', month: 2, day: 29, year: '2100-2199/100' })),
  val("{ type: 'cron', year: 1999 }", () => ({ type: 'cron', year: 1999 })),
  val("{ type: 'cron', year: 275760, month: 12 }", () => ({ type: 'cron', year: 275760, month: 12 })),
  val("{ type: 'cron', day: 31, week: 1, month: 2 }", () => ({ type: 'cron', day: 31, week: 1, month: 2 })),
  val("{ type: 'cron', expression: '* * * * *', hour: 1 }", () => ({ type: 'cron', expression: '* * * * *', hour: 1 })),
  val("{ type: 'cron', expression: 5 }", () => ({ type: 'cron', expression: 5 })),
  val("{ type: 'cron', endDate: an hour ago }", () => ({ type: 'cron', endDate: new Date(Date.now() - 3_600_000) })),
  val("{ type: 'cron', second: '*', timezone: 'Mars/Olympus' }", () => ({ type: 'cron', second: '*', timezone: 'Mars/Olympus' })),
  val("{ type: 'and', triggers: [] }", () => ({ type: 'and', triggers: [] })),
  val("{ type: 'and', triggers: [null] }", () => ({ type: 'and', triggers: [null] })),
  val("{ type: 'or', triggers: 'x' }", () => ({ type: 'or', triggers: 'x' })),
  val("{ type: 'and', triggers: [<hole>] }", () => ({ type: 'and', triggers: [, { type: 'cron', hour: 1 }] })), // eslint-disable-line no-sparse-arrays
  val("{ type: 'and', triggers: [cron mon, cron tue] } (never coincide)", () => ({
    type: 'and',
    triggers: [
      { type: 'cron', dayOfWeek: 'mon', hour: 0 },
      { type: 'cron', dayOfWeek: 'tue', hour: 0 },
    ],
  })),
  val("{ type: 'and', triggers: [date in 1 h, date in 2 h] }", () => ({
    type: 'and',
    triggers: [
      { type: 'date', runDate: futureIso() },
      { type: 'date', runDate: futureIso(7_200_000) },
    ],
  })),
  val("{ type: 'and', triggers: [interval 7 ms, interval 11 ms] }", () => ({
    type: 'and',
    triggers: [
      { type: 'interval', milliseconds: 7 },
      { type: 'interval', milliseconds: 11 },
    ],
  })),
  val("{ type: 'or', jitter: 1e300, triggers: [interval 1 s] }", () => ({
    type: 'or',
    jitter: 1e300,
    triggers: [{ type: 'interval', seconds: 1 }],
  })),
  val("'and' nested 5000 deep", () => {
    let spec: unknown = { type: 'interval', hours: 1 };
    for (let i = 0; i < 5000; i++) spec = { type: 'and', triggers: [spec] };
    return spec;
  }),
  val("'or' containing itself", () => {
    const spec: { type: 'or'; triggers: unknown[] } = { type: 'or', triggers: [] };
    spec.triggers.push(spec);
    return spec;
  }),
  val("Object.create(null) with { type: 'interval', seconds: 1 }", () => nullProto({ type: 'interval', seconds: 1 })),
  val('custom trigger: getNextFireTime returns new Date(NaN)', () => customTrigger(() => new Date(Number.NaN))),
  val("custom trigger: getNextFireTime returns 'soon'", () => customTrigger(() => 'soon')),
  val('custom trigger: getNextFireTime returns 42', () => customTrigger(() => 42)),
  val('custom trigger: getNextFireTime returns undefined', () => customTrigger(() => undefined)),
  val('custom trigger: never advances (returns now+5 ms forever)', () => {
    const at = new Date(Date.now() + 5);
    return customTrigger(() => new Date(at.getTime()));
  }),
  val('custom trigger: toJSON returns itself', () => {
    const trigger = customTrigger(() => new Date(Date.now() + 3_600_000));
    trigger.toJSON = () => trigger;
    return trigger;
  }),
);

function customTrigger(next: (previous: Date | null, now: Date) => unknown): {
  getNextFireTime(previous: Date | null, now: Date): unknown;
  toJSON(): unknown;
  toString(): string;
} {
  return {
    getNextFireTime: (previous, now) => next(previous, now),
    toJSON: () => ({ type: 'interval', hours: 1 }),
    toString: () => 'custom',
  };
}

/** Any trigger spec: valid ones, valid ones with one bad field, and bad shapes. */
export const anyTrigger: fc.Arbitrary<Val> = fc.oneof(
  { weight: 2, arbitrary: validTrigger },
  { weight: 4, arbitrary: badTriggerField },
  { weight: 4, arbitrary: badTriggerShape },
  { weight: 1, arbitrary: oddValue },
);

/** Trigger specs (and custom triggers) whose use throws. */
export const hostileTrigger: fc.Arbitrary<Val> = fc.oneof(
  hostileValue,
  constants<unknown>(
    val("{ type: 'interval', get seconds() { throw } }", () => Object.assign(throwingGetters(['seconds']), { type: 'interval' })),
    val('{ get type() { throw } }', () => throwingGetters(['type'])),
    val("revoked Proxy of { type: 'interval', seconds: 1 }", () => revokedProxy({ type: 'interval', seconds: 1 })),
    val("{ type: 'and', triggers: [revoked Proxy] }", () => ({ type: 'and', triggers: [revokedProxy()] })),
    val("{ type: 'and', triggers: revoked Proxy of [] }", () => ({ type: 'and', triggers: revokedProxy([]) })),
    val("{ type: 'cron', hour: { toString() { throw } } }", () => ({
      type: 'cron',
      hour: {
        toString() {
          throw new Error('toString throws');
        },
      },
    })),
    val("{ type: 'interval', seconds: 1, startDate: revoked Proxy of a Date }", () => ({
      type: 'interval',
      seconds: 1,
      startDate: revokedProxy(new Date()),
    })),
    val('custom trigger: getNextFireTime throws', () =>
      customTrigger(() => {
        throw new Error('custom trigger throws');
      }),
    ),
    val('custom trigger: toJSON throws', () =>
      Object.assign(
        customTrigger(() => new Date(Date.now() + 3_600_000)),
        {
          toJSON() {
            throw new Error('toJSON throws');
          },
        },
      ),
    ),
    val('custom trigger: getNextFireTime returns a revoked Proxy', () => customTrigger(() => revokedProxy(new Date()))),
  ),
);

// ---- job options --------------------------------------------------------------------------

/** Values for string options (id, name, store, executor). */
export const stringOption: fc.Arbitrary<Val> = fc.oneof({ weight: 6, arbitrary: weirdString }, { weight: 1, arbitrary: weirdNumber });
/** Values for numeric options (maxInstances, misfireGraceTime, timeout). */
export const numberOption: fc.Arbitrary<Val> = fc.oneof({ weight: 6, arbitrary: weirdNumber }, { weight: 1, arbitrary: weirdString });

/** A described object of options, each key present or absent; `make()` builds it. */
export interface OptionsCase {
  readonly fields: Readonly<Record<string, Val>>;
  readonly label: string;
  make(): Record<string, unknown>;
  /** True when key was passed (possibly as undefined). */
  has(key: string): boolean;
}

export function optionsCase(fields: Record<string, Val>, prefix = ''): OptionsCase {
  const keys = Object.keys(fields);
  const label = `${prefix}{ ${keys.map((k) => `${k}: ${fields[k]!.label}`).join(', ')} }`;
  return {
    fields,
    label,
    make() {
      const object: Record<string, unknown> = {};
      for (const key of keys) object[key] = fields[key]!.make();
      return object;
    },
    has: (key) => keys.includes(key),
    [fc.toStringMethod]: () => label,
  } as OptionsCase;
}

/** An fc.record whose keys are each present or absent, built into an OptionsCase. */
export function optionsOf(model: Record<string, fc.Arbitrary<Val>>, prefix = ''): fc.Arbitrary<OptionsCase> {
  return fc.record(model, { requiredKeys: [] }).map((fields) => optionsCase(fields as Record<string, Val>, prefix));
}

/**
 * A deep copy of JSON data made in this realm. Not structuredClone: under jest it belongs to the
 * outer realm, and its objects' prototype is not this realm's Object.prototype.
 */
function cloneData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneData);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(copy, k, { value: cloneData(v), enumerable: true, writable: true, configurable: true });
    return copy;
  }
  return value;
}

// ---- args -----------------------------------------------------------------------------------

export const jsonArgs: fc.Arbitrary<Val> = fc
  .array(fc.jsonValue({ maxDepth: 3, stringUnit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), {
    maxLength: 4,
  })
  .map((args) => val(fc.stringify(args).slice(0, 200), () => cloneData(args) as unknown[]));

export const badArgs: fc.Arbitrary<Val> = constants<unknown>(
  lit(undefined),
  lit(null),
  lit('abc'),
  lit(0),
  val('[undefined]', () => [undefined]),
  val('[NaN]', () => [Number.NaN]),
  val('[Infinity]', () => [Infinity]),
  val('[-0]', () => [-0]),
  val('[1e21, 2 ** 53 + 2, 5e-324]', () => [1e21, 2 ** 53 + 2, 5e-324]),
  val('[1n]', () => [1n]),
  val("[Symbol('s')]", () => [Symbol('s')]),
  val('[() => 1]', () => [() => 1]),
  val('[new Date()]', () => [new Date()]),
  val('[new Date(NaN)]', () => [new Date(Number.NaN)]),
  val('[new Map()]', () => [new Map()]),
  val('[a cyclic object]', () => [cyclic()]),
  val('[1, <hole>, 3]', holey),
  val('[Object.create(null) with { a: 1 }]', () => [nullProto({ a: 1 })]),
  val('[{ [Symbol()]: 1 }]', () => [{ [Symbol('k')]: 1 }]),
  val('[{ toJSON() { return 1 } }]', () => [{ toJSON: () => 1 }]),
  val("['x'.repeat(100000)]", () => ['x'.repeat(LONG)]),
  val("['é'.repeat(100000)]", () => ['\u00e9'.repeat(LONG)]),
  val("['a\\u0000b', '\\ud800', 'x\\udc00y']", () => ['a\u0000b', '\ud800', 'x\udc00y']),
  val("[{ '\\u0000': 1, '__proto__': 2 }]", () => [JSON.parse('{"\\u0000":1,"__proto__":2}')]),
  val('a 100k-element array', () => Array.from({ length: LONG }, (_, i) => i)),
  val('[[[…]]] nested 10000 deep', () => [deeplyNested(10_000)]),
  val('new Proxy([1], {})', () => new Proxy([1], {})),
  val('new Uint8Array(2)', () => new Uint8Array(2)),
  val('{ length: 1, 0: 1 }', () => ({ length: 1, 0: 1 })),
  val("Object.assign([1], { extra: 'x' })", () => Object.assign([1], { extra: 'x' })),
);

export const anyArgs: fc.Arbitrary<Val> = fc.oneof({ weight: 1, arbitrary: jsonArgs }, { weight: 2, arbitrary: badArgs });

export const hostileArgs: fc.Arbitrary<Val> = fc.oneof(
  hostileValue,
  constants<unknown>(
    val('[hostile Proxy]', () => [hostileProxy()]),
    val('[{ toJSON() { throw } }]', () => [
      {
        toJSON() {
          throw new Error('toJSON throws');
        },
      },
    ]),
    val(
      'Proxy of [1] whose get trap throws',
      () =>
        new Proxy([1], {
          get() {
            throw new Error('get trap throws');
          },
        }),
    ),
  ),
);

// ---- handlers -------------------------------------------------------------------------------

/** Names of handlers the harness registers; `throwing` ones misbehave on purpose. */
export const HANDLER_BEHAVIOURS: Record<string, (...args: unknown[]) => unknown> = {
  'throw null': () => {
    throw null;
  },
  'throw undefined': () => {
    throw undefined;
  },
  "throw ''": () => {
    throw '';
  },
  'throw 0': () => {
    throw 0;
  },
  "throw Symbol('s')": () => {
    throw Symbol('s');
  },
  'throw 1n': () => {
    throw 1n;
  },
  'throw Object.create(null)': () => {
    throw nullProto();
  },
  "throw Object.create(null) with { message: 'x' }": () => {
    throw nullProto({ message: 'x', stack: 1 });
  },
  'throw a revoked Proxy': () => {
    throw revokedProxy();
  },
  'throw a hostile Proxy': () => {
    throw hostileProxy();
  },
  'throw a cyclic object': () => {
    throw cyclic();
  },
  'throw { toString() { throw } }': () => {
    throw {
      toString() {
        throw new Error('toString throws');
      },
    };
  },
  'throw an Error whose stack getter throws': () => {
    const error = new Error('stack getter');
    Object.defineProperty(error, 'stack', {
      get() {
        throw new Error('stack getter throws');
      },
    });
    throw error;
  },
  'throw an Error whose message getter throws': () => {
    const error = new Error('x');
    Object.defineProperty(error, 'message', {
      get() {
        throw new Error('message getter throws');
      },
    });
    throw error;
  },
  'throw an Error whose name is a revoked Proxy': () => {
    const error = new Error('x');
    Object.defineProperty(error, 'name', { value: revokedProxy() });
    throw error;
  },
  'throw an Error with a 100k-char message': () => {
    throw new Error('x'.repeat(LONG));
  },
  'throw an Error with NUL and lone surrogates in its message': () => {
    throw new Error('a\u0000b\ud800c');
  },
  'throw a revoked Proxy of an Error': () => {
    throw revokedProxy(new Error('revoked'));
  },
  'reject with undefined': () => Promise.reject(undefined),
  'reject with null': () => Promise.reject(null),
  'reject with Object.create(null)': () => Promise.reject(nullProto()),
  'reject with a revoked Proxy': () => Promise.reject(revokedProxy()),
  'async throw a hostile Proxy': async () => {
    throw hostileProxy();
  },
  'return { get then() { throw } }': () => ({
    get then() {
      throw new Error('then getter throws');
    },
  }),
  'return { then: 1 }': () => ({ then: 1 }),
  'return a thenable that throws synchronously': () => ({
    then() {
      throw new Error('then throws');
    },
  }),
  'return a thenable that rejects with a revoked Proxy': () => ({
    then(_: unknown, reject: (e: unknown) => void) {
      reject(revokedProxy());
    },
  }),
  'return a thenable that resolves and rejects twice': () => ({
    then(resolve: (v: unknown) => void, reject: (e: unknown) => void) {
      resolve(1);
      reject(null);
      resolve(2);
      reject(undefined);
    },
  }),
  'return a revoked Proxy': () => revokedProxy(),
  'return a hostile Proxy': () => hostileProxy(),
  'return Object.create(null)': () => nullProto(),
  'return 1n': () => 1n,
  'return a cyclic object': () => cyclic(),
  'return a Promise of a revoked Proxy': () => Promise.resolve(revokedProxy()),
};

export const misbehavingHandler: fc.Arbitrary<string> = fc.constantFrom(...Object.keys(HANDLER_BEHAVIOURS));

// ---- execution queries ------------------------------------------------------------------------

const STATUSES = ['running', 'executed', 'error', 'missed', 'max_instances', 'lost'] as const;

export const executionQuery: fc.Arbitrary<OptionsCase> = optionsOf(
  {
    jobId: fc.oneof(weirdString, fc.constantFrom(lit('canary-1'))),
    status: fc.oneof(fc.constantFrom(...STATUSES).map(lit), weirdString),
    since: weirdDate,
    limit: fc.oneof(weirdNumber, fc.nat({ max: 5 }).map(lit)),
    offset: fc.oneof(weirdNumber, fc.nat({ max: 5 }).map(lit)),
    until: weirdDate,
  },
  'getExecutions',
);

export const oddQuery: fc.Arbitrary<Val> = fc.oneof(
  oddValue,
  constants<unknown>(
    lit(null),
    lit(0),
    lit('running'),
    val("Object.create(null) with { status: 'running' }", () => nullProto({ status: 'running' })),
    val("{ since: '2020-01-01' }", () => ({ since: '2020-01-01' })),
    val('{ since: 0 }', () => ({ since: 0 })),
    val('{ since: { getTime() { return NaN } } }', () => ({ since: { getTime: () => Number.NaN } })),
    val("{ status: ['running', 'error'] }", () => ({ status: ['running', 'error'] })),
    val("{ jobId: { toString() { return 'x' } } }", () => ({ jobId: { toString: () => 'x' } })),
    val("{ jobId: ['x'] }", () => ({ jobId: ['x'] })),
  ),
);

export const hostileQuery: fc.Arbitrary<Val> = fc.oneof(
  hostileValue,
  constants<unknown>(
    val('{ get limit() { throw } }', () => throwingGetters(['limit'])),
    val('{ get status() { throw } }', () => throwingGetters(['status'])),
    val('{ since: revoked Proxy }', () => ({ since: revokedProxy() })),
    val('{ since: revoked Proxy of a Date }', () => ({ since: revokedProxy(new Date()) })),
    val('{ since: { getTime() { throw } } }', () => ({
      since: {
        getTime() {
          throw new Error('getTime throws');
        },
      },
    })),
    val('{ jobId: hostile Proxy }', () => ({ jobId: hostileProxy() })),
  ),
);

export { STATUSES };
