/**
 * A cron schedule in words for the common shapes ("every 5 minutes", "at 09:00 on Monday–Friday");
 * null for the others, which are then shown as written. Works on the six fields second, minute,
 * hour, day, month, dayOfWeek as strings, in crontab's numbering (0 and 7 are Sunday).
 */
export interface CronFields {
  second: string;
  minute: string;
  hour: string;
  day: string;
  month: string;
  dayOfWeek: string;
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONTH_NAMES = MONTHS.map((m) => m.slice(0, 3).toLowerCase());

const number = (field: string): number | null => (/^\d{1,2}$/.test(field) ? Number(field) : null);
const step = (field: string): number | null => (/^\*\/\d{1,2}$/.test(field) ? Number(field.slice(2)) : null);
const pad = (n: number): string => String(n).padStart(2, '0');
const plural = (n: number, unit: string): string => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);

export function describeCronFields(f: CronFields): string | null {
  const time = timeText(f);
  const days = dayText(f);
  if (time === null || days === null) return null;
  return `${time}${days}`;
}

function timeText({ second, minute, hour }: CronFields): string | null {
  const s = number(second);
  const m = number(minute);
  const h = number(hour);
  if (s !== null && m !== null && h !== null) return `at ${pad(h)}:${pad(m)}${s === 0 ? '' : `:${pad(s)}`}`;
  if (second === '*' && minute === '*' && hour === '*') return 'every second';
  if (step(second) !== null && minute === '*' && hour === '*') return plural(step(second)!, 'second');
  if (s === 0 && minute === '*' && hour === '*') return 'every minute';
  if (s === 0 && step(minute) !== null && hour === '*') return plural(step(minute)!, 'minute');
  if (s === 0 && m !== null && hour === '*') return m === 0 ? 'every hour' : `every hour at minute ${m}`;
  if (s === 0 && m !== null && step(hour) !== null) return `${plural(step(hour)!, 'hour')}${m === 0 ? '' : ` at minute ${m}`}`;
  return null;
}

function dayText({ day, month, dayOfWeek }: CronFields): string | null {
  let text: string;
  if (day === '*' && dayOfWeek === '*') text = '';
  else if (day === '*') {
    const days = weekdays(dayOfWeek);
    if (days === null) return null;
    text = ` on ${days}`;
  } else if (dayOfWeek === '*') {
    const d = number(day);
    if (d !== null) text = ` on day ${d} of the month`;
    else if (day === 'last' || day === 'L') text = ' on the last day of the month';
    else return null;
  } else return null;
  if (month === '*') return text;
  const m = monthOf(month);
  return m === null ? null : `${text} in ${m}`;
}

function dayIndex(token: string): number | null {
  const named = DAY_NAMES.indexOf(token.toLowerCase());
  if (named >= 0) return named;
  const n = number(token);
  return n !== null && n <= 7 ? n % 7 : null;
}

/** "1-5" -> "Monday–Friday", "sat,sun" -> "Saturday and Sunday". */
function weekdays(field: string): string | null {
  const parts: string[] = [];
  for (const item of field.split(',')) {
    const range = item.split('-');
    if (range.length === 2) {
      const [a, b] = [dayIndex(range[0]!), dayIndex(range[1]!)];
      if (a === null || b === null) return null;
      parts.push(`${DAYS[a]}–${DAYS[b]}`);
    } else {
      const d = dayIndex(item);
      if (d === null) return null;
      parts.push(DAYS[d]!);
    }
  }
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function monthOf(field: string): string | null {
  const named = MONTH_NAMES.indexOf(field.toLowerCase());
  if (named >= 0) return MONTHS[named]!;
  const n = number(field);
  return n !== null && n >= 1 && n <= 12 ? MONTHS[n - 1]! : null;
}
