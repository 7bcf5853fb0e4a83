import { IANAZone } from 'luxon';

/** A change of a zone's UTC offset: from `at` (epoch ms) on, the offset is `after` instead of `before` (ms). */
export interface OffsetTransition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

interface YearTable {
  readonly start: number;
  readonly end: number;
  readonly initial: number;
  readonly transitions: readonly OffsetTransition[];
}

const DAY = 86_400_000;
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
    if (FIXED.test(this.name)) return { start, end, initial, transitions };
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
