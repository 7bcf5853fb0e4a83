import { CronExpressionParser, type CronFieldCollection } from 'cron-parser';

/** The fields of the 6-field form (seconds first); a 5-field string gets second '0'. */
const NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const KEYS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
const DAY_OF_WEEK = 5;
const ALIASES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly', '@minutely', '@secondly', '@weekdays', '@weekends'];

/**
 * cron-parser's fields of a crontab string, or why it is not one, in words that name the field
 * ("the hour field \"24\": Constraint error, got value 24 expected range 0-23").
 *
 * Two things cron-parser 5 refuses are accepted, as the field form and cron accept them: a list
 * that repeats a value ('0-6,1,10', 'mon,1', '7,0'), and a weekday range ending on Sunday
 * ('MON-SUN', which it reads as 1-0). Only the string given to cron-parser is rewritten; the
 * trigger keeps the expression as written.
 */
export function parseCrontab(text: string): CronFieldCollection | string {
  if (text === '') return 'it is empty';
  if (text.startsWith('@')) {
    if (ALIASES.includes(text)) return CronExpressionParser.parse(text).fields;
    return `${text} is not an alias (known: ${ALIASES.join(', ')})`;
  }
  const atoms = text.split(/\s+/);
  if (atoms.length !== 5 && atoms.length !== 6) return `it has ${atoms.length} field${atoms.length === 1 ? '' : 's'}, not 5 or 6`;
  // cron-parser's 'H' picks values from a hash; a schedule stored in a database must mean the
  // same thing in every process, so it is refused (THU is the only name containing an H).
  if (/h/i.test(text.replace(/thu/gi, ''))) return "'H' (a value picked by hashing) is not supported";
  const given = atoms.length === 6 ? atoms : ['0', ...atoms];
  // SUN is 0 to cron-parser, so a range ending on it runs backwards; 7 is Sunday too.
  const six = given.map((atom, i) => (i === DAY_OF_WEEK ? atom.replace(/-sun\b/gi, '-7') : atom));
  try {
    return parse(six);
  } catch (error) {
    if (!repeatsValues(error)) return reason(six, error, given);
  }
  const merged = mergeLists(six, given);
  if (typeof merged === 'string') return merged;
  try {
    return parse(merged);
  } catch (error) {
    return reason(merged, error, given);
  }
}

function parse(six: readonly string[]): CronFieldCollection {
  return CronExpressionParser.parse(six.join(' ')).fields;
}

function repeatsValues(error: unknown): boolean {
  return /duplicate values found|too many values/.test(messageOf(error));
}

/** Each list rewritten as the plain list of the values its parts select, each value once. */
function mergeLists(six: readonly string[], given: readonly string[]): string[] | string {
  const merged = [...six];
  for (let i = 0; i < six.length; i++) {
    if (!six[i].includes(',')) continue;
    const values = new Set<number | string>();
    for (const part of six[i].split(',')) {
      const alone = alongsideWildcards(i, part);
      let field;
      try {
        field = parse(alone)[KEYS[i]];
      } catch (error) {
        return `the ${NAMES[i]} field ${JSON.stringify(given[i])}: ${messageOf(error)}`;
      }
      // 7 and 0 are both Sunday; cron-parser counts them as one value.
      for (const v of field.values) values.add(i === DAY_OF_WEEK && typeof v === 'number' ? v % 7 : v);
    }
    merged[i] = [...values].join(',');
  }
  return merged;
}

/** The field that is wrong on its own, else cron-parser's reason for the combination. */
function reason(six: readonly string[], error: unknown, given: readonly string[]): string {
  for (let i = 0; i < six.length; i++) {
    try {
      parse(alongsideWildcards(i, six[i]));
    } catch (alone) {
      return `the ${NAMES[i]} field ${JSON.stringify(given[i])}: ${messageOf(alone)}`;
    }
  }
  const message = messageOf(error);
  if (/explicit day of month/i.test(message)) {
    return `the day of month ${JSON.stringify(given[3])} never occurs in month ${JSON.stringify(given[4])} (${message})`;
  }
  return message;
}

function alongsideWildcards(index: number, atom: string): string[] {
  return NAMES.map((_, i) => (i === index ? atom : '*'));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
