import type { CronField } from '../trigger.js';
import { ANY_DAY, type CronSchedule, dayRule, type DayRule, type ValueSet, valueSetOfRanges, YEAR_MAX, YEAR_MIN } from './cron-schedule.js';
import { type FieldExpression, type FieldGrammar, parseField, WEEKDAY_NAMES } from './field-expression.parser.js';

/** APScheduler's fields, most significant first (the order the defaulting rule walks). */
export const CRON_FIELDS = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'] as const;
export type CronFieldName = (typeof CRON_FIELDS)[number];
export type CronFields = Partial<Record<CronFieldName, CronField>>;

/** Values of fields after the least significant given one (APScheduler's DEFAULT_VALUES). */
const DEFAULTS: Record<CronFieldName, CronField> = {
  year: '*',
  month: 1,
  day: 1,
  week: '*',
  dayOfWeek: '*',
  hour: 0,
  minute: 0,
  second: 0,
};

const LIST = "'*', '*/n', 'a', 'a-b', 'a-b/n', 'a/n', or a comma-separated list of these";
const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

const GRAMMARS: Record<CronFieldName, FieldGrammar> = {
  year: { min: YEAR_MIN, max: YEAR_MAX, allowed: `allowed: ${YEAR_MIN}-${YEAR_MAX} as ${LIST}` },
  month: { min: 1, max: 12, names: MONTHS, allowed: `allowed: 1-12 or jan-dec as ${LIST}` },
  day: {
    min: 1,
    max: 31,
    names: {},
    daySpecials: true,
    allowed: `allowed: 1-31 as ${LIST}; also 'last', 'last mon'..'last sun', '1st mon'..'5th sun'`,
  },
  week: { min: 1, max: 53, allowed: `allowed: ISO weeks 1-53 as ${LIST}` },
  dayOfWeek: {
    min: 0,
    max: 7,
    names: WEEKDAY_NAMES,
    rangeEndNames: { sun: 7 },
    allowed: `allowed: 0-7 (0 and 7 are Sunday, 1 is Monday) or mon-sun as ${LIST}`,
  },
  hour: { min: 0, max: 23, allowed: `allowed: 0-23 as ${LIST}` },
  minute: { min: 0, max: 59, allowed: `allowed: 0-59 as ${LIST}` },
  second: { min: 0, max: 59, allowed: `allowed: 0-59 as ${LIST}` },
};

/**
 * Applies APScheduler's defaulting rule: fields more significant than the least significant
 * given one are '*', less significant ones their minimum ('week' and 'dayOfWeek' stay '*').
 * So { hour: 6, minute: 30 } fires daily at 06:30:00, not every second of that minute.
 */
export function withDefaults(given: CronFields): Record<CronFieldName, CronField> {
  let lastGiven = -1;
  for (let i = 0; i < CRON_FIELDS.length; i++) if (given[CRON_FIELDS[i]] !== undefined) lastGiven = i;
  const out = {} as Record<CronFieldName, CronField>;
  for (let i = 0; i < CRON_FIELDS.length; i++) {
    const name = CRON_FIELDS[i];
    // Nothing given at all: every field is '*' (APScheduler fires every second).
    out[name] = given[name] ?? (i < lastGiven || lastGiven === -1 ? '*' : DEFAULTS[name]);
  }
  return out;
}

/** Compiles the APScheduler field form; every field must match ('and'), as in APScheduler. */
export function compileFields(given: CronFields): CronSchedule {
  const f = withDefaults(given);
  const parsed = {} as Record<CronFieldName, FieldExpression[]>;
  for (const name of CRON_FIELDS) parsed[name] = parseField(name, f[name], GRAMMARS[name]);
  const hour = toValueSet(parsed.hour, GRAMMARS.hour);
  const dayOfWeek = toValueSet(parsed.dayOfWeek, GRAMMARS.dayOfWeek);
  let weekdays = 0;
  for (let w = 0; w <= 7; w++) if (dayOfWeek.next[w] === w) weekdays |= 1 << (w % 7);
  const week = toValueSet(parsed.week, GRAMMARS.week);
  return {
    year: toValueSet(parsed.year, GRAMMARS.year),
    month: toValueSet(parsed.month, GRAMMARS.month),
    dayOfMonth: toDayRule(parsed.day),
    dayOfWeek: weekdays === 0x7f ? ANY_DAY : dayRule({ weekdays }),
    week: week.all ? null : week,
    dayCombine: 'and',
    hour,
    minute: toValueSet(parsed.minute, GRAMMARS.minute),
    second: toValueSet(parsed.second, GRAMMARS.second),
    hourWildcard: hour.all,
  };
}

function toValueSet(exprs: FieldExpression[], grammar: FieldGrammar): ValueSet {
  const ranges = exprs.filter((e): e is FieldExpression & { kind: 'range' } => e.kind === 'range');
  return valueSetOfRanges(grammar.min, grammar.max, ranges);
}

function toDayRule(exprs: FieldExpression[]): DayRule {
  let days = 0;
  let lastDay = false;
  let lastWeekdays = 0;
  const nthWeekdays: [number, number][] = [];
  for (const e of exprs) {
    if (e.kind === 'range') for (let d = e.first; d <= e.last; d += e.step) days |= 1 << (d - 1);
    else if (e.kind === 'lastDay') lastDay = true;
    else if (e.kind === 'lastWeekday') lastWeekdays |= 1 << e.weekday;
    else nthWeekdays.push([e.nth, e.weekday]);
  }
  if (days === 0x7fffffff) return ANY_DAY;
  return dayRule({ days, lastDay, lastWeekdays, nthWeekdays });
}
