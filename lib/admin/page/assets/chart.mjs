// @ts-check
import { h, s } from './dom.mjs';
import { formatDuration, formatTime } from './format.mjs';

/**
 * Durations and outcomes over time, drawn as inline SVG: one bar per run at its scheduled time,
 * as tall as it took, coloured by its outcome, and a strip under the axis with one mark per run,
 * so runs without a duration (missed, lost, max_instances) show too. Colours come from the
 * stylesheet (`.st-<status>`); every mark has a <title> for a tooltip.
 */

const WIDTH = 720;
const LEFT = 76;
const RIGHT = 16;
const TOP = 12;
const BASE = 150;
const STRIP = 160;
const STRIP_HEIGHT = 12;
const HEIGHT = 200;
const STATUSES = ['executed', 'error', 'missed', 'max_instances', 'lost', 'running', 'retry_pending'];

/**
 * @typedef {{ id: string, scheduledRunTime: string, status: string, startedAt: string | null, durationMs: number | null }} Execution
 */

/**
 * @param {Execution[]} executions newest first or in any order
 * @returns {HTMLElement}
 */
export function executionsChart(executions) {
  const runs = executions
    .map((e) => ({ ...e, at: new Date(e.scheduledRunTime).getTime() }))
    .filter((e) => !Number.isNaN(e.at))
    .sort((a, b) => a.at - b.at);
  if (runs.length === 0) {
    return h('p', { class: 'empty chart-empty' }, 'No runs yet: the chart of durations and outcomes appears after the first run.');
  }
  const first = runs[0].at;
  const last = runs[runs.length - 1].at;
  // Runs side by side in time order (a burst of runs stays readable), the times below.
  const plot = WIDTH - LEFT - RIGHT;
  const band = plot / runs.length;
  /** @param {number} i */
  const x = (i) => LEFT + band * (i + 0.5);
  const top = niceCeiling(Math.max(1, ...runs.map((r) => r.durationMs ?? 0)));
  /** @param {number} ms */
  const y = (ms) => BASE - (ms / top) * (BASE - TOP);
  const barWidth = Math.max(1, Math.min(24, band * 0.7));

  const grid = [0, 0.25, 0.5, 0.75, 1].map((k) =>
    s(
      'g',
      { class: 'grid' },
      s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(top * k), y2: y(top * k) }),
      s('text', { x: LEFT - 6, y: y(top * k) + 4, 'text-anchor': 'end' }, formatDuration(top * k)),
    ),
  );
  const marks = runs.map((run, i) => {
    const cx = x(i);
    const status = STATUSES.includes(run.status) ? run.status : 'other';
    const tip = `${formatTime(run.scheduledRunTime)} · ${run.status}${run.durationMs === null ? '' : ` · ${formatDuration(run.durationMs)}`}`;
    const bar =
      run.durationMs === null
        ? null
        : s('rect', {
            class: `bar st-${status}`,
            x: cx - barWidth / 2,
            y: Math.min(y(run.durationMs), BASE - 1),
            width: barWidth,
            height: Math.max(1, BASE - y(run.durationMs)),
          });
    const cell = s('rect', { class: `strip st-${status}`, x: cx - barWidth / 2, y: STRIP, width: barWidth, height: STRIP_HEIGHT });
    return s('g', { class: 'run' }, s('title', {}, tip), bar, cell);
  });
  const ends = runs.length === 1 ? [0] : [0, runs.length - 1];
  const labels = ends.map((i, n) =>
    s(
      'text',
      {
        class: 'axis-label',
        x: ends.length === 1 ? x(i) : n === 0 ? LEFT : WIDTH - RIGHT,
        y: HEIGHT - 6,
        'text-anchor': ends.length === 1 ? 'middle' : n === 0 ? 'start' : 'end',
      },
      formatTime(new Date(i === 0 ? first : last).toISOString()),
    ),
  );
  const title = `Durations and outcomes of the last ${runs.length} runs`;
  const svg = s(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title, class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet' },
    s('title', {}, title),
    grid,
    s('line', { class: 'axis', x1: LEFT, x2: WIDTH - RIGHT, y1: BASE, y2: BASE }),
    s('text', { class: 'axis-label', x: LEFT - 6, y: STRIP + STRIP_HEIGHT - 2, 'text-anchor': 'end' }, 'outcome'),
    marks,
    labels,
  );
  return h('figure', { class: 'chart' }, svg, h('figcaption', { class: 'legend' }, legend(runs)));
}

/** @param {{ status: string }[]} runs */
function legend(runs) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const run of runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
  return [...counts].map(([status, count]) =>
    h('span', { class: 'legend-item' }, h('span', { class: `swatch st-${status}`, 'aria-hidden': 'true' }), `${status} ${count}`),
  );
}

/**
 * The smallest of 1, 2, 2.5, 5 × 10^n at or above the value, for round axis labels.
 * @param {number} value
 */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
