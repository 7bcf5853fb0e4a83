import { IANAZone } from 'luxon';

/** A change of a zone's UTC offset: from `at` (epoch ms) on, the offset is `after` instead of `before` (ms). */
export interface OffsetTransition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/** See ZoneOffsets.instantsOf. */
export interface WallInstants {
  readonly first: number;
  readonly second: number | null;
  readonly repeatEnd: number | null;
}

interface YearTable {
  readonly start: number;
  readonly end: number;
  readonly initial: number;
  readonly transitions: readonly OffsetTransition[];
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/**
 * Bounds on a UTC offset (wall = instant + offset): real offsets since 1970 lie in -12h..+14h;
 * the margin only widens the windows that use them, it never changes an answer.
 */
export const MAX_OFFSET = 15 * HOUR;
export const MIN_OFFSET = -13 * HOUR;
/** No offset change (a DST gap or repeat, or a zone moving across the date line) is larger. */
export const MAX_SHIFT = MAX_OFFSET - MIN_OFFSET;
/** Zones that never change offset; their year tables need no sampling. */
const FIXED = /^(?:etc\/)?(?:utc|uct|gmt|gmt0|gmt[+-]\d{1,2}|universal|zulu|greenwich)$/i;
const cache = new Map<string, ZoneOffsets>();

/**
 * UTC offsets of one IANA zone, learnt once per UTC year and then answered with integer
 * compares. Asking luxon (Intl underneath) costs about 4 µs per call, which alone would
 * blow the cron matcher's budget of about 1 µs per next().
 *
 * A year is sampled once a day and each change is bisected to the second, so a transition
 * that is undone within the same day would be missed; no zone has done that since 1970.
 */
export class ZoneOffsets {
  private readonly zone: IANAZone;
  private readonly years = new Map<number, YearTable>();
  private last: YearTable | undefined;

  static for(name: string): ZoneOffsets {
    let offsets = cache.get(name);
    if (!offsets) cache.set(name, (offsets = new ZoneOffsets(name)));
    return offsets;
  }

  private constructor(readonly name: string) {
    this.zone = IANAZone.create(name);
  }

  /** The offset (ms, wall = instant + offset) in force at instant `ms`. */
  offset(ms: number): number {
    const table = this.tableAt(ms);
    let offset = table.initial;
    for (const t of table.transitions) {
      if (ms < t.at) break;
      offset = t.after;
    }
    return offset;
  }

  /** The latest transition at or before `ms`, if it is less than `within` ms earlier. */
  lastAtOrBefore(ms: number, within: number): OffsetTransition | null {
    let table: YearTable | undefined = this.tableAt(ms);
    while (table) {
      const list = table.transitions;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].at <= ms) return ms - list[i].at < within ? list[i] : null;
      }
      table = table.start > ms - within ? this.tableAt(table.start - 1) : undefined;
    }
    return null;
  }

  /** The earliest transition after `ms`, if it is less than `within` ms later. */
  firstAfter(ms: number, within: number): OffsetTransition | null {
    let table: YearTable | undefined = this.tableAt(ms);
    while (table) {
      for (const t of table.transitions) {
        if (t.at > ms) return t.at - ms < within ? t : null;
      }
      table = table.end <= ms + within ? this.tableAt(table.end) : undefined;
    }
    return null;
  }

  /**
   * The instants of a wall time (ms since 1970 read as UTC): `first` (for a skipped wall time,
   * the instant shifted forward by the gap) and, for a repeated wall time, `second`, the
   * instant of its second pass, with `repeatEnd`, the wall time where the repeated stretch ends.
   *
   * Every instant whose wall time can be `wall` lies in [wall - MAX_OFFSET, wall - MIN_OFFSET],
   * so the offset changes inside that window are all that can make it skipped or repeated. A
   * candidate instant `wall - o` is real when the zone's offset at that instant is `o`.
   */
  instantsOf(wall: number): WallInstants {
    const lo = wall - MAX_OFFSET;
    const hi = wall - MIN_OFFSET;
    const initial = this.offset(lo);
    let transition = this.firstAfter(lo, hi - lo + 1);
    if (transition === null) return { first: wall - initial, second: null, repeatEnd: null };

    let first: number | null = this.offset(wall - initial) === initial ? wall - initial : null;
    let second: number | null = null;
    let repeatEnd: number | null = null;
    let gapStart: number | null = null;
    // One change per window in practice; the loop also covers two (some zones did that long ago).
    for (let guard = 0; transition !== null && guard < 4; guard++) {
      const { at, before, after } = transition;
      const instant = wall - after;
      if (this.offset(instant) === after) {
        if (first === null) first = instant;
        else if (instant > first && second === null) {
          second = instant;
          repeatEnd = at + before;
        }
      }
      if (after > before && wall >= at + before && wall < at + after && gapStart === null) gapStart = wall - before;
      transition = this.firstAfter(at, hi - at + 1);
    }
    if (first === null) first = gapStart ?? wall - initial;
    return { first, second, repeatEnd };
  }

  private tableAt(ms: number): YearTable {
    const last = this.last;
    if (last && ms >= last.start && ms < last.end) return last;
    const year = new Date(ms).getUTCFullYear();
    let table = this.years.get(year);
    if (!table) this.years.set(year, (table = this.build(year)));
    this.last = table;
    return table;
  }

  private raw(ms: number): number {
    return this.zone.offset(ms) * 60_000;
  }

  private build(year: number): YearTable {
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const initial = this.raw(start);
    const transitions: OffsetTransition[] = [];
    // A year at the ends of the Date range has no finite bounds to sample between.
    if (FIXED.test(this.name) || !Number.isFinite(start) || !Number.isFinite(end)) return { start, end, initial, transitions };
    let prevMs = start;
    let prevOffset = initial;
    // The last sample is `end` itself, so a change during the year's last day is seen; one
    // exactly at `end` is kept too, so lookups just after New Year can find it.
    for (let ms = start + DAY; ; ms = Math.min(ms + DAY, end)) {
      const offset = this.raw(ms);
      if (offset !== prevOffset) {
        let lo = prevMs;
        let hi = ms;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.raw(mid) === prevOffset) lo = mid;
          else hi = mid;
        }
        transitions.push({ at: hi, before: prevOffset, after: this.raw(hi) });
      }
      prevMs = ms;
      prevOffset = offset;
      if (ms >= end) break;
    }
    return { start, end, initial, transitions };
  }
}
