import type { CronTriggerSpec, IntervalTriggerSpec, TriggerSpec } from '../../triggers/trigger.js';
import { describeCronFields, type CronFields } from './cron-text.js';

/**
 * A trigger in words for the dashboard: "every 5 minutes", "at 09:00 on Monday–Friday
 * (Europe/Paris)", "once at 2026-12-02T10:00:00Z". Shapes it has no words for are shown as
 * written (`cron "0 9 L * *" (UTC)`), never guessed.
 */
export function describeTrigger(spec: TriggerSpec): string {
  if (typeof spec === 'string') return cronText({ type: 'cron', expression: spec });
  if (typeof spec !== 'object' || spec === null || !('type' in spec)) return 'custom trigger';
  switch (spec.type) {
    case 'date':
      return `once at ${iso(spec.runDate)}`;
    case 'interval':
      return withJitter(intervalText(spec), spec.jitter);
    case 'cron':
      return withJitter(cronText(spec), spec.jitter);
    case 'and':
    case 'or':
      return withJitter(
        `${spec.type === 'and' ? 'when all fire' : 'when any fires'}: ${spec.triggers.map(describeTrigger).join('; ')}`,
        spec.jitter,
      );
    default:
      return 'custom trigger';
  }
}

const UNITS = ['weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;

function intervalText(spec: IntervalTriggerSpec): string {
  const parts = UNITS.filter((u) => spec[u]).map((u) => `${spec[u]} ${spec[u] === 1 ? u.slice(0, -1) : u}`);
  const every = parts.length === 1 && parts[0]!.startsWith('1 ') ? `every ${parts[0]!.slice(2)}` : `every ${parts.join(' ')}`;
  return spec.endDate === undefined ? every : `${every} until ${iso(spec.endDate)}`;
}

/** Field order from most to least significant, as APScheduler defaults them. */
const SIGNIFICANCE = ['year', 'month', 'day', 'week', 'dayOfWeek', 'hour', 'minute', 'second'] as const;

function cronText(spec: CronTriggerSpec): string {
  const zone = spec.timezone ? ` (${spec.timezone})` : '';
  const until = spec.endDate === undefined ? '' : ` until ${iso(spec.endDate)}`;
  const fields = spec.expression !== undefined ? crontabFields(spec.expression) : fieldForm(spec);
  const words = fields && describeCronFields(fields);
  if (words) return `${words}${zone}${until}`;
  const written =
    spec.expression !== undefined
      ? `"${spec.expression}"`
      : SIGNIFICANCE.filter((f) => spec[f] !== undefined)
          .map((f) => `${f}=${spec[f]}`)
          .join(', ');
  return `cron ${written}${zone}${until}`;
}

function crontabFields(expression: string): CronFields | null {
  const f = expression.trim().split(/\s+/);
  if (f.length === 5) return { second: '0', minute: f[0]!, hour: f[1]!, day: f[2]!, month: f[3]!, dayOfWeek: f[4]! };
  if (f.length === 6) return { second: f[0]!, minute: f[1]!, hour: f[2]!, day: f[3]!, month: f[4]!, dayOfWeek: f[5]! };
  return null;
}

/** APScheduler's rule: fields above the least significant given are '*', below it their minimum. */
function fieldForm(spec: CronTriggerSpec): CronFields | null {
  if ((spec.year !== undefined && String(spec.year) !== '*') || (spec.week !== undefined && String(spec.week) !== '*')) return null;
  let last = -1;
  SIGNIFICANCE.forEach((f, i) => {
    if (spec[f] !== undefined) last = i;
  });
  const value = (f: (typeof SIGNIFICANCE)[number], minimum: string): string => {
    const given = spec[f];
    if (given !== undefined) return String(given).replace(/\s+/g, '');
    return SIGNIFICANCE.indexOf(f) < last || f === 'dayOfWeek' ? '*' : minimum;
  };
  return {
    second: value('second', '0'),
    minute: value('minute', '0'),
    hour: value('hour', '0'),
    day: value('day', '1'),
    month: value('month', '1'),
    dayOfWeek: value('dayOfWeek', '*'),
  };
}

function withJitter(text: string, jitter: number | undefined): string {
  return jitter ? `${text}, up to ${jitter} ms late (jitter)` : text;
}

/** ISO-8601 in UTC, without milliseconds when they are zero: 2026-12-02T10:00:00Z. */
function iso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(value as string | number);
  if (isNaN(date.getTime())) return String(value);
  return date.toISOString().replace('.000Z', 'Z');
}
