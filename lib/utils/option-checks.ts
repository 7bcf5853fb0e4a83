import { SchedulerError } from '../core/errors.js';
import { isStorableString } from './thrown-value.js';

/** Node's timers fire after 1 ms for delays above this, so no delay option may exceed it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The largest value an INTEGER column holds in every supported database. */
export const MAX_INT32 = 2 ** 31 - 1;

/** Builds the named error of the caller's kind (job option, scheduler option, query). */
export type OptionErrorFactory = (field: string, value: unknown, allowed: string) => Error;

/**
 * Reads an options object into a plain copy of its defined own properties: `undefined` means "not
 * given" everywhere, never "erase". Refuses what is not an object, a key that is not `allowed`
 * (a typo would otherwise be silently ignored) and a property that throws when read.
 */
export function readOptions(
  value: unknown,
  allowed: ReadonlySet<string>,
  what: string,
  fail: OptionErrorFactory,
  name = 'options',
): Record<string, unknown> {
  if (value === undefined) return {};
  let keys: string[];
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw fail(name, value, `allowed: an object of ${what} options`);
    }
    keys = Object.keys(value);
  } catch (error) {
    if (error instanceof SchedulerError) throw error;
    throw fail(name, '(a value that throws when read)', `allowed: a plain object of ${what} options`);
  }
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    let item: unknown;
    try {
      item = (value as Record<string, unknown>)[key];
    } catch {
      throw fail(key, '(a property that throws when read)', 'allowed: a plain value');
    }
    if (item === undefined) continue;
    if (!allowed.has(key)) throw fail(key, item, `not a ${what} option${hint(key, allowed)}; allowed: ${[...allowed].join(', ')}`);
    copy[key] = item;
  }
  return copy;
}

/** "did you mean" for a key that differs from an allowed one only by case (timeZone for timezone). */
function hint(key: string, allowed: ReadonlySet<string>): string {
  const lower = key.toLowerCase();
  for (const candidate of allowed) if (candidate.toLowerCase() === lower) return ` (did you mean '${candidate}'?)`;
  return '';
}

/** A whole number within [min, max]; ms options say so in the message. */
export function checkWhole(fail: OptionErrorFactory, field: string, value: unknown, min: number, max: number, unit = ''): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const what = unit ? `a whole number of ${unit}` : 'a whole number';
  throw fail(field, value, `allowed: ${what} from ${min} to ${max}`);
}

/** A non-empty string of at most `max` characters that every store keeps unchanged. */
export function checkName(fail: OptionErrorFactory, field: string, value: unknown, max: number, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw fail(field, value, allowEmpty ? 'allowed: a string' : 'allowed: a non-empty string');
  }
  if (value.length > max) throw fail(field, `${value.slice(0, 40)}… (${value.length} characters)`, `allowed: at most ${max} characters`);
  if (!isStorableString(value)) throw fail(field, value, 'allowed: text without NUL characters or unpaired surrogates');
  return value;
}

export function checkBoolean(fail: OptionErrorFactory, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw fail(field, value, 'allowed: true or false');
  return value;
}

/** A valid Date; never throws (`instanceof` itself throws on a revoked Proxy). */
export function isValidDate(value: unknown): value is Date {
  try {
    return value instanceof Date && Number.isFinite(value.getTime());
  } catch {
    return false;
  }
}
