/**
 * Proleptic Gregorian calendar arithmetic on plain integers (days since 1970-01-01), after
 * Howard Hinnant's days_from_civil / civil_from_days; no Date objects in the matcher's loop.
 */

export const DAY_MS = 86_400_000;

/** A Date holds instants within ±8.64e15 ms of 1970 (years -271821 to 275760). */
export const MAX_DATE_MS = 8.64e15;

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month 1-12, day 1-31] of a day number. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDays(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1];
}

/** 52 or 53: ISO years with 53 weeks start or end on a Thursday. */
export function isoWeeksInYear(year: number): number {
  const p = (y: number): number => (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400)) % 7;
  return p(year) === 4 || p(year - 1) === 3 ? 53 : 52;
}

/**
 * Which days of every month a cron schedule matches depends on the year only through its type:
 * the weekday of 1 January, whether it is a leap year, and whether the year before was (ISO
 * weeks of early January count from it). type = weekday * 4 + (leap ? 2 : 0) + (leap before ? 1 : 0).
 */
export function yearTypeTable(first: number, last: number): Uint8Array {
  const table = new Uint8Array(last - first + 1);
  let weekday = weekdayOfDays(daysFromCivil(first, 1, 1));
  for (let y = first; y <= last; y++) {
    table[y - first] = weekday * 4 + (isLeapYear(y) ? 2 : 0) + (isLeapYear(y - 1) ? 1 : 0);
    weekday = (weekday + (isLeapYear(y) ? 366 : 365)) % 7;
  }
  return table;
}

/** The 21 year types that exist (two leap years in a row do not): bits 0-2 of each weekday's nibble. */
export const ALL_YEAR_TYPES = 0x7777777;

/** The ISO-8601 week number (1-53) of a date. */
export function isoWeek(year: number, month: number, day: number): number {
  const days = daysFromCivil(year, month, day);
  const isoWeekday = ((weekdayOfDays(days) + 6) % 7) + 1;
  const ordinal = days - daysFromCivil(year, 1, 1) + 1;
  const week = Math.floor((ordinal - isoWeekday + 10) / 7);
  if (week < 1) return isoWeeksInYear(year - 1);
  return week > isoWeeksInYear(year) ? 1 : week;
}
