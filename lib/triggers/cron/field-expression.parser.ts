import { InvalidTriggerError } from '../../core/errors.js';

/** One comma-separated part of an APScheduler cron field. */
export type FieldExpression =
  /** '*' or '*\/step' (and 'a', 'a-b', 'a-b/step', 'a/step', with names resolved). */
  | { readonly kind: 'range'; readonly first: number; readonly last: number; readonly step: number }
  /** 'xth y' in the day field: the n-th weekday of the month. */
  | { readonly kind: 'nth'; readonly nth: number; readonly weekday: number }
  /** 'last x' in the day field: the last weekday x of the month. */
  | { readonly kind: 'lastWeekday'; readonly weekday: number }
  /** 'last' in the day field: the last day of the month. */
  | { readonly kind: 'lastDay' };

export interface FieldGrammar {
  readonly min: number;
  readonly max: number;
  /** Lower-case name -> value, e.g. jan -> 1. */
  readonly names?: Readonly<Record<string, number>>;
  /** Value a name takes at the end of a range, e.g. 'sat-sun' is 6-7 (Sunday is 0 and 7). */
  readonly rangeEndNames?: Readonly<Record<string, number>>;
  /** The day field also accepts 'last', 'last x' and 'xth y'. */
  readonly daySpecials?: boolean;
  /** The "allowed: ..." text of the error. */
  readonly allowed: string;
}

export const WEEKDAY_NAMES: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const NTH: Readonly<Record<string, number>> = { '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5 };

const RANGE = /^(\*|[a-z0-9]+)(?:-([a-z0-9]+))?(?:\/(\d+))?$/;
const NTH_WEEKDAY = /^(1st|2nd|3rd|4th|5th)\s+([a-z]+)$/;
const LAST_WEEKDAY = /^last\s+([a-z]+)$/;

/**
 * Parses one field of the APScheduler form ('*', '*\/5', '1-5', 'mon-fri', '1,15,last',
 * '3rd fri', ...). Only syntax and bounds are checked here; field.compiler turns the parts into
 * the schedule.
 */
export function parseField(field: string, raw: number | string, grammar: FieldGrammar): FieldExpression[] {
  const fail = (): never => {
    throw new InvalidTriggerError(field, raw, grammar.allowed);
  };
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < grammar.min || raw > grammar.max) fail();
    return [{ kind: 'range', first: raw, last: raw, step: 1 }];
  }
  if (raw === '*') return [{ kind: 'range', first: grammar.min, last: grammar.max, step: 1 }];
  if (typeof raw !== 'string' || raw.trim() === '') return fail();
  return raw
    .toLowerCase()
    .split(',')
    .map((part) => parsePart(part.trim(), grammar) ?? fail());
}

function parsePart(part: string, grammar: FieldGrammar): FieldExpression | null {
  if (grammar.daySpecials) {
    if (part === 'last') return { kind: 'lastDay' };
    let m = NTH_WEEKDAY.exec(part);
    if (m) {
      const weekday = WEEKDAY_NAMES[m[2]];
      return weekday === undefined ? null : { kind: 'nth', nth: NTH[m[1]], weekday };
    }
    m = LAST_WEEKDAY.exec(part);
    if (m) {
      const weekday = WEEKDAY_NAMES[m[1]];
      return weekday === undefined ? null : { kind: 'lastWeekday', weekday };
    }
  }
  const m = RANGE.exec(part);
  if (!m) return null;
  const [, firstText, lastText, stepText] = m;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!(step >= 1)) return null;
  if (firstText === '*') {
    return lastText === undefined ? { kind: 'range', first: grammar.min, last: grammar.max, step } : null;
  }
  const first = value(firstText, grammar, false);
  // 'a/step' runs from a to the field's maximum, as in APScheduler.
  const last = lastText !== undefined ? value(lastText, grammar, true) : stepText !== undefined ? grammar.max : first;
  if (first === null || last === null || first > last) return null;
  return { kind: 'range', first, last, step };
}

function value(text: string, grammar: FieldGrammar, rangeEnd: boolean): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= grammar.min && n <= grammar.max ? n : null;
  }
  const named = (rangeEnd ? grammar.rangeEndNames?.[text] : undefined) ?? grammar.names?.[text];
  return named ?? null;
}
