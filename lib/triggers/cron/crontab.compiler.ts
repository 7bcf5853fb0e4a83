import { InvalidTriggerError } from '../../core/errors.js';
import { type CronSchedule, dayRule, valueSet, YEAR_MAX, YEAR_MIN } from './cron-schedule.js';
import { parseCrontab } from './crontab.parser.js';

const ALLOWED =
  "allowed: a crontab string of 5 fields 'minute hour day month weekday' or 6 with seconds first, " +
  "using * , - / names, L in day and weekday ('L', '5L') and # in weekday ('1#2'), or @daily-style aliases";

/**
 * Compiles a crontab string. cron-parser does the parsing and validation; its parsed fields
 * become our schedule so one matcher serves both syntaxes. Day-of-month and day-of-week
 * combine with cron's OR rule, decided the way cron-parser decides it ('*' and '?' leave a
 * field unrestricted).
 */
/** Compiled schedules by expression: parsing is most of the cost of adding a cron job, and apps repeat expressions. */
const compiled = new Map<string, CronSchedule>();
const COMPILED_LIMIT = 10_000;

export function compileCrontab(expression: string): CronSchedule {
  let schedule = compiled.get(expression);
  if (!schedule) {
    schedule = compileUncached(expression);
    if (compiled.size >= COMPILED_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(expression, schedule);
  }
  return schedule;
}

function compileUncached(expression: string): CronSchedule {
  const fields = parseCrontab(expression.trim());
  if (typeof fields === 'string') throw new InvalidTriggerError('expression', expression, `${ALLOWED}; ${fields}`);
  const nums = (values: readonly (number | string)[]): number[] => values.filter((v): v is number => typeof v === 'number');

  const dom = fields.dayOfMonth;
  const dow = fields.dayOfWeek;
  let days = 0;
  for (const d of nums(dom.values)) days |= 1 << (d - 1);
  let weekdays = 0;
  let lastWeekdays = 0;
  for (const v of dow.values) {
    if (typeof v === 'number') weekdays |= 1 << (v % 7);
    else lastWeekdays |= 1 << (Number.parseInt(v, 10) % 7); // '5L': the last Friday
  }
  // '1#2': the #-qualifier applies to the (single) listed weekday.
  const nth = dow.nthDay;
  const nthWeekdays: [number, number][] = [];
  if (nth > 0) {
    for (let w = 0; w < 7; w++) if (weekdays & (1 << w)) nthWeekdays.push([nth, w]);
    weekdays = 0;
  }
  const hour = valueSet(0, 23, nums(fields.hour.values));
  return {
    year: allYears(),
    month: valueSet(1, 12, nums(fields.month.values)),
    dayOfMonth: dayRule({ restricted: !dom.isWildcard, days, lastDay: dom.hasLastChar }),
    dayOfWeek: dayRule({ restricted: !dow.isWildcard, weekdays, lastWeekdays, nthWeekdays }),
    week: null,
    dayCombine: 'or',
    hour,
    minute: valueSet(0, 59, nums(fields.minute.values)),
    second: valueSet(0, 59, nums(fields.second.values)),
    hourWildcard: hour.all,
  };
}

let everyYear: ReturnType<typeof valueSet> | undefined;
function allYears(): ReturnType<typeof valueSet> {
  if (everyYear) return everyYear;
  const years: number[] = [];
  for (let y = YEAR_MIN; y <= YEAR_MAX; y++) years.push(y);
  return (everyYear = valueSet(YEAR_MIN, YEAR_MAX, years));
}
