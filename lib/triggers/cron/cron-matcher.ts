import {
  ALL_YEAR_TYPES,
  DAY_MS,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isoWeek,
  isoWeeksInYear,
  weekdayOfDays,
  yearTypeTable,
} from './calendar.js';
import { type CronSchedule, type DayRule, YEAR_MAX, YEAR_MIN } from './cron-schedule.js';
import { MAX_OFFSET, MAX_SHIFT, MIN_OFFSET, ZoneOffsets } from './zone-offsets.js';

const EARLIEST = Date.UTC(YEAR_MIN, 0, 1) - MAX_OFFSET;
const LATEST = Date.UTC(YEAR_MAX + 1, 0, 1) - MIN_OFFSET;

/**
 * Walks a CronSchedule to its next fire time. The walk runs on wall-clock integers (skipping
 * whole years, months, days, hours and minutes that cannot match); the zone is consulted only
 * to turn the start instant into wall time and the match back into an instant.
 *
 * DST, as Vixie cron, cronie and cron-parser do it:
 * - a wall time that does not exist (spring forward) fires once, shifted forward by the gap
 *   (02:30 -> 03:30);
 * - a wall time that occurs twice (fall back) fires at its first occurrence only, unless every
 *   hour is allowed, in which case both fire, so '*\/30 * * * *' keeps firing every 30 real
 *   minutes through the repeated hour.
 */
export class CronMatcher {
  private readonly offsets: ZoneOffsets;
  private maskKey = -1;
  private mask = 0;
  /**
   * Bit t set: no day of a year of type t (calendar.ts, yearTypeTable) matches. Learnt while walking, so a
   * schedule that can never match (30 February, the 5th Monday that is a Tuesday, ISO week 53
   * in June) costs at most one year scan per type, and then nothing.
   */
  private deadYearTypes = 0;

  constructor(
    readonly schedule: CronSchedule,
    readonly timezone: string,
  ) {
    this.offsets = ZoneOffsets.for(timezone);
  }

  /** The first fire instant (epoch ms) at or after `from`, which must be a whole second; null if none. */
  next(from: number): number | null {
    // Every fire time is a wall time in YEAR_MIN..YEAR_MAX: outside that (and the offsets
    // around it) there is nothing to find, and the zone's year tables are not built for it.
    if (from > LATEST) return null;
    if (from < EARLIEST) from = EARLIEST;
    const zone = this.offsets;
    const wallFrom = from + zone.offset(from);
    let best = Infinity;

    // `from` is just after a spring-forward: wall times inside the gap fire shifted forward by
    // the gap, at instants in [transition, transition + gap), so they may still be ahead of us
    // although their wall time is behind wallFrom.
    const past = zone.lastAtOrBefore(from, MAX_SHIFT);
    if (past && past.after > past.before && from < past.at + (past.after - past.before)) {
      const wall = this.nextWall(Math.max(past.at + past.before, from + past.before));
      if (wall !== null && wall < past.at + past.after) best = wall - past.before;
    }

    // `from` is inside the first pass of a repeated hour: with every hour allowed, the second
    // pass of wall times already behind wallFrom still lies ahead.
    if (this.schedule.hourWildcard) {
      const ahead = zone.firstAfter(from, MAX_SHIFT);
      if (ahead && ahead.before > ahead.after && wallFrom >= ahead.at + ahead.after) {
        const wall = this.nextWall(ahead.at + ahead.after);
        if (wall !== null && wall < ahead.at + ahead.before) best = Math.min(best, wall - ahead.after);
      }
    }

    let start = wallFrom;
    for (let guard = 0; guard < 100; guard++) {
      const wall = this.nextWall(start);
      if (wall === null) break;
      const when = this.offsets.instantsOf(wall);
      if (when.first >= from) return Math.min(best, when.first);
      if (when.second !== null && this.schedule.hourWildcard && when.second >= from) return Math.min(best, when.second);
      // The first pass of this wall time is already behind `from` (we are in the second pass of
      // a repeated hour and the hour is fixed): skip the rest of the repeated wall times.
      start = when.repeatEnd !== null && when.repeatEnd > wall ? when.repeatEnd : wall + 1000;
    }
    return best === Infinity ? null : best;
  }

  /** The first wall time (ms since 1970 read as UTC) at or after `wall` that the schedule allows. */
  nextWall(wall: number): number | null {
    const s = this.schedule;
    const days = Math.floor(wall / DAY_MS);
    let secs = Math.ceil((wall - days * DAY_MS) / 1000);
    let [y, mo, d] = civilFromDays(days);
    if (secs >= 86400) {
      secs = 0;
      d++;
    }
    let h = Math.floor(secs / 3600);
    let mi = Math.floor((secs % 3600) / 60);
    let sec = secs % 60;

    // The year whose walk began on its 1 January 00:00:00: if that walk carries into the next
    // year, no day of the year matched, and neither will one in any year of the same type.
    let wholeYear = -1;

    // Each step either accepts the current value of a field or moves to its next allowed value
    // and resets the less significant fields; an overflow (hour 24, minute 60, day past the
    // month) finds no allowed value and carries into the field above.
    for (;;) {
      if (y < YEAR_MIN) [y, mo, d, h, mi, sec] = [YEAR_MIN, 1, 1, 0, 0, 0];
      if (y > YEAR_MAX) return null;
      const ny = s.year.next[y - YEAR_MIN];
      if (ny < 0) return null;
      if (ny !== y) [y, mo, d, h, mi, sec] = [ny, 1, 1, 0, 0, 0];
      if (this.deadYearTypes !== 0) {
        const dead = this.deadYearTypes;
        if (dead === ALL_YEAR_TYPES) return null;
        const types = yearTypes();
        let live = y;
        // The slot past YEAR_MAX in `next` is -1, so this ends at the last allowed year.
        while (dead & (1 << types[live - YEAR_MIN])) {
          live = s.year.next[live + 1 - YEAR_MIN];
          if (live < 0) return null;
        }
        if (live !== y) [y, mo, d, h, mi, sec] = [live, 1, 1, 0, 0, 0];
      }
      if (mo === 1 && d === 1 && h === 0 && mi === 0 && sec === 0) wholeYear = y;

      const nmo = s.month.next[mo - 1];
      if (nmo < 0) {
        if (wholeYear === y) this.deadYearTypes |= 1 << yearTypes()[y - YEAR_MIN];
        [y, mo, d, h, mi, sec] = [y + 1, 1, 1, 0, 0, 0];
        continue;
      }
      if (nmo !== mo) [mo, d, h, mi, sec] = [nmo, 1, 0, 0, 0];

      const free = d > 31 ? 0 : this.dayMask(y, mo) & (~0 << (d - 1));
      if (free === 0) {
        [mo, d, h, mi, sec] = [mo + 1, 1, 0, 0, 0];
        if (mo > 12) {
          if (wholeYear === y) this.deadYearTypes |= 1 << yearTypes()[y - YEAR_MIN];
          [y, mo] = [y + 1, 1];
        }
        continue;
      }
      const nd = 32 - Math.clz32(free & -free);
      if (nd !== d) [d, h, mi, sec] = [nd, 0, 0, 0];

      const nh = s.hour.next[h];
      if (nh < 0) {
        [d, h, mi, sec] = [d + 1, 0, 0, 0];
        continue;
      }
      if (nh !== h) [h, mi, sec] = [nh, 0, 0];

      const nmi = s.minute.next[mi];
      if (nmi < 0) {
        [h, mi, sec] = [h + 1, 0, 0];
        continue;
      }
      if (nmi !== mi) [mi, sec] = [nmi, 0];

      const ns = s.second.next[sec];
      if (ns < 0) {
        [mi, sec] = [mi + 1, 0];
        continue;
      }
      return daysFromCivil(y, mo, d) * DAY_MS + (h * 3600 + mi * 60 + ns) * 1000;
    }
  }

  /** Bit d-1 set: day d of that month matches the day rules. Cached for the last month asked. */
  private dayMask(year: number, month: number): number {
    const key = year * 16 + month;
    if (key === this.maskKey) return this.mask;
    const s = this.schedule;
    const dim = daysInMonth(year, month);
    const full = dim === 31 ? 0x7fffffff : (1 << dim) - 1;
    const firstDays = daysFromCivil(year, month, 1);
    const first = weekdayOfDays(firstDays);
    const dom = dayBits(s.dayOfMonth, dim, first, full);
    const dow = dayBits(s.dayOfWeek, dim, first, full);
    let mask: number;
    if (s.dayCombine === 'and') {
      mask = dom & dow & full;
      if (s.week && mask) mask &= weekBits(s.week.next, year, month, 32 - Math.clz32(mask), first);
    } else {
      const domOn = s.dayOfMonth.restricted;
      const dowOn = s.dayOfWeek.restricted;
      mask = (domOn && dowOn ? dom | dow : domOn ? dom : dowOn ? dow : full) & full;
    }
    this.maskKey = key;
    this.mask = mask;
    return mask;
  }
}

let types: Uint8Array | undefined;
/** types[y - YEAR_MIN] is the type of year y (yearTypeTable), built the first time a year is found dead. */
function yearTypes(): Uint8Array {
  return (types ??= yearTypeTable(YEAR_MIN, YEAR_MAX));
}

function dayBits(rule: DayRule, dim: number, first: number, full: number): number {
  if (!rule.restricted) return full;
  let bits = rule.days | rule.byFirstWeekday[first];
  if (rule.lastDay) bits |= 1 << (dim - 1);
  if (rule.lastWeekdays) {
    const lastWeekday = (first + dim - 1) % 7;
    for (let w = 0; w < 7; w++) {
      if (rule.lastWeekdays & (1 << w)) bits |= 1 << (dim - 1 - ((lastWeekday - w + 7) % 7));
    }
  }
  for (const [nth, weekday] of rule.nthWeekdays) {
    const day = 1 + ((weekday - first + 7) % 7) + 7 * (nth - 1);
    if (day <= dim) bits |= 1 << (day - 1);
  }
  return bits;
}

/** Days 1..`last` of the month whose ISO week is allowed (`next[w - 1] === w`). */
function weekBits(next: Int16Array, year: number, month: number, last: number, first: number): number {
  let week = isoWeek(year, month, 1);
  const weeksThisYear = isoWeeksInYear(year);
  let bits = 0;
  for (let d = 1; d <= last; d++) {
    if (d > 1 && (first + d - 1) % 7 === 1) {
      // A Monday starts a new ISO week; early January rolls over from last year's 52/53 to 1,
      // late December from this year's last week to next year's week 1.
      week = month === 1 && week >= 52 ? 1 : week + 1;
      if (week > weeksThisYear) week = 1;
    }
    if (next[week - 1] === week) bits |= 1 << (d - 1);
  }
  return bits;
}
