/**
 * The one compiled form both cron syntaxes (APScheduler fields, crontab strings) turn into.
 * Everything here is plain integers so the matcher never parses or allocates while walking.
 */

/** The allowed values of one numeric field, as a successor table. */
export interface ValueSet {
  readonly min: number;
  readonly max: number;
  /** next[v - min] = the smallest allowed value >= v, or -1; one extra slot past max holds -1. */
  readonly next: Int16Array;
  /** Every value from min to max is allowed. */
  readonly all: boolean;
}

/**
 * Compiled sets are immutable, and 100,000 jobs use a few hundred distinct ones: sharing them
 * keeps a cron job's memory to its own few fields (bounded, so odd inputs cannot grow it forever).
 */
const INTERN_LIMIT = 50_000;
const internedSets = new Map<string, ValueSet>();
const internedRules = new Map<string, DayRule>();

export function valueSet(min: number, max: number, values: Iterable<number>): ValueSet {
  const allowed = new Uint8Array(max - min + 1);
  for (const v of values) allowed[v - min] = 1;
  return intern(min, max, allowed);
}

/** One 'first-last/step' part of a field; a single value is first = last. */
export interface ValueRange {
  readonly first: number;
  readonly last: number;
  readonly step: number;
}

const fullSets = new Map<string, ValueSet>();

/**
 * The set the ranges select, without listing their values: a year field '*' is 8,030 values,
 * and expanding and keying them was most of the cost of compiling a field-form trigger.
 */
export function valueSetOfRanges(min: number, max: number, ranges: readonly ValueRange[]): ValueSet {
  if (ranges.some((r) => r.step === 1 && r.first <= min && r.last >= max)) {
    const key = `${min}-${max}`;
    let full = fullSets.get(key);
    if (!full) fullSets.set(key, (full = buildValueSet(min, max, new Uint8Array(max - min + 1).fill(1))));
    return full;
  }
  const allowed = new Uint8Array(max - min + 1);
  for (const { first, last, step } of ranges) for (let v = first; v <= last; v += step) allowed[v - min] = 1;
  return intern(min, max, allowed);
}

/** The shared set of these allowed values, keyed by its runs ('0-5,10-10,'), not by every value. */
function intern(min: number, max: number, allowed: Uint8Array): ValueSet {
  let key = `${min}-${max}:`;
  for (let i = 0; i < allowed.length; i++) {
    if (!allowed[i]) continue;
    const start = i;
    while (i + 1 < allowed.length && allowed[i + 1]) i++;
    key += `${start}-${i},`;
  }
  const known = internedSets.get(key);
  if (known) return known;
  const made = buildValueSet(min, max, allowed);
  if (internedSets.size < INTERN_LIMIT) internedSets.set(key, made);
  return made;
}

function buildValueSet(min: number, max: number, allowed: Uint8Array): ValueSet {
  const next = new Int16Array(max - min + 2);
  next[max - min + 1] = -1;
  let upcoming = -1;
  let all = true;
  for (let i = max - min; i >= 0; i--) {
    if (allowed[i]) upcoming = i + min;
    else all = false;
    next[i] = upcoming;
  }
  return { min, max, next, all };
}

/**
 * The days of a month one day field selects. Month-relative rules (last day, last Friday,
 * 3rd Friday) are kept symbolic because they land on a different date every month.
 */
export interface DayRule {
  /** false: the field was '*' (or '?'), i.e. it does not restrict the day. */
  readonly restricted: boolean;
  /** Bit d-1 set: day d of the month. */
  readonly days: number;
  /** The last day of the month ('last', crontab 'L'). */
  readonly lastDay: boolean;
  /** Bit w set (0 = Sunday): every weekday w. Pre-expanded per weekday of the 1st below. */
  readonly weekdays: number;
  /** byFirstWeekday[f] = the day bits of `weekdays` in a month whose 1st is weekday f. */
  readonly byFirstWeekday: Int32Array;
  /** Bit w set: the last weekday w of the month ('last fri', crontab '5L'). */
  readonly lastWeekdays: number;
  /** [n, w]: the n-th weekday w of the month ('3rd fri', crontab '5#3'). */
  readonly nthWeekdays: ReadonlyArray<readonly [number, number]>;
}

export function dayRule(parts: Partial<Omit<DayRule, 'byFirstWeekday'>>): DayRule {
  const key = [
    parts.restricted ?? true,
    parts.days ?? 0,
    parts.lastDay ?? false,
    parts.weekdays ?? 0,
    parts.lastWeekdays ?? 0,
    (parts.nthWeekdays ?? []).map(([n, w]) => `${n}#${w}`).join(';'),
  ].join('|');
  const known = internedRules.get(key);
  if (known) return known;
  const made = buildDayRule(parts);
  if (internedRules.size < INTERN_LIMIT) internedRules.set(key, made);
  return made;
}

function buildDayRule(parts: Partial<Omit<DayRule, 'byFirstWeekday'>>): DayRule {
  const weekdays = parts.weekdays ?? 0;
  const byFirstWeekday = new Int32Array(7);
  for (let first = 0; first < 7; first++) {
    let bits = 0;
    for (let day = 1; day <= 31; day++) if (weekdays & (1 << ((first + day - 1) % 7))) bits |= 1 << (day - 1);
    byFirstWeekday[first] = bits;
  }
  return {
    restricted: parts.restricted ?? true,
    days: parts.days ?? 0,
    lastDay: parts.lastDay ?? false,
    weekdays,
    byFirstWeekday,
    lastWeekdays: parts.lastWeekdays ?? 0,
    nthWeekdays: parts.nthWeekdays ?? [],
  };
}

export const ANY_DAY: DayRule = dayRule({ restricted: false });

export interface CronSchedule {
  readonly year: ValueSet;
  readonly month: ValueSet;
  readonly dayOfMonth: DayRule;
  readonly dayOfWeek: DayRule;
  /** ISO weeks (APScheduler field form only); null: any week. */
  readonly week: ValueSet | null;
  /**
   * 'and': every day field must match (APScheduler). 'or': cron's rule, a day matches when
   * day-of-month or day-of-week does, if both are restricted.
   */
  readonly dayCombine: 'and' | 'or';
  readonly hour: ValueSet;
  readonly minute: ValueSet;
  readonly second: ValueSet;
  /** Every hour allowed: both passes of a repeated (fall-back) hour fire. */
  readonly hourWildcard: boolean;
}

export const YEAR_MIN = 1970;
export const YEAR_MAX = 9999;
