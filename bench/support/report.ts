import type { ChildResult, Comparison, MetricDefinition, ScenarioDefinition, Target } from './scenario.js';
import { aggregate } from './stats.js';

/** Results of every run of every variant of one scenario. */
export interface ScenarioRuns {
  scenario: ScenarioDefinition;
  skipped?: string;
  /** variant id -> why it was not run (its database is unreachable...). */
  skippedVariants?: Record<string, string>;
  /** When this scenario was measured, when that was not by the run that wrote the report header. */
  measured?: { started: string; command: string; runs: number };
  /** variant id -> one entry per run (null: the run failed). */
  runs: Record<string, (ChildResult | null)[]>;
  /** variant id -> error messages of failed runs. */
  failures: Record<string, string[]>;
}

export type Verdict = 'pass' | 'fail' | 'n/a';

export interface Row {
  metric: MetricDefinition;
  ours: string;
  peer: string | null;
  oursValue: number;
  peerValue: number;
  ratio: number;
  verdict: Verdict;
  /** The metric's target when it applies to this ours variant. */
  target: Target | undefined;
}

/** The value of a metric for a variant, combined over its successful runs. */
export function combined(runs: ScenarioRuns, variant: string, metric: MetricDefinition): number {
  const values = (runs.runs[variant] ?? []).filter((r): r is ChildResult => r !== null).map((r) => r.metrics[metric.key] ?? NaN);
  if (values.length === 0 || values.some((v) => v === undefined)) return NaN;
  // A metric that is NaN in some run (e.g. not all jobs ran) fails that run; keep the others.
  return aggregate(values, metric.aggregate ?? 'median');
}

export function comparisons(s: ScenarioDefinition): Comparison[] {
  if (s.comparisons) return s.comparisons;
  const ours = s.variants.filter((v) => v.role === 'ours');
  const peers = s.variants.filter((v) => v.role === 'peer');
  return ours.flatMap((o): Comparison[] => (peers.length ? peers.map((p) => ({ ours: o.id, peer: p.id })) : [{ ours: o.id, peer: null }]));
}

/** The metric's target if it applies to this ours variant. */
export function targetFor(metric: MetricDefinition, ours: string): Target | undefined {
  const t = metric.target;
  return t && (!t.variants || t.variants.includes(ours)) ? t : undefined;
}

export function verdict(metric: MetricDefinition, ours: number, peer: number, variant?: string): Verdict {
  const t = variant === undefined ? metric.target : targetFor(metric, variant);
  if (!t) return 'n/a';
  if (!Number.isFinite(ours)) return 'fail';
  let ok = true;
  if (t.lessThan !== undefined) ok &&= ours < t.lessThan;
  if (t.atMost !== undefined) ok &&= ours <= t.atMost;
  if (t.moreThan !== undefined) ok &&= ours > t.moreThan;
  if (t.noWorseThanPeer && Number.isFinite(peer)) ok &&= metric.better === 'lower' ? ours <= peer : ours >= peer;
  if (t.withinPeerRatio !== undefined) ok &&= Number.isFinite(peer) && ours <= peer * t.withinPeerRatio;
  return ok ? 'pass' : 'fail';
}

export function rows(runs: ScenarioRuns): Row[] {
  const s = runs.scenario;
  const out: Row[] = [];
  for (const pair of comparisons(s)) {
    // A skipped ours variant has no row at all (the section says why); a skipped peer shows n/a.
    if (runs.skippedVariants?.[pair.ours]) continue;
    for (const metric of s.metrics) {
      if (pair.metrics && !pair.metrics.includes(metric.key)) continue;
      const oursValue = combined(runs, pair.ours, metric);
      const peerValue = pair.peer === null ? NaN : combined(runs, pair.peer, metric);
      out.push({
        metric,
        ours: pair.ours,
        peer: pair.peer,
        oursValue,
        peerValue,
        ratio: oursValue / peerValue,
        verdict: verdict(metric, oursValue, peerValue, pair.ours),
        target: targetFor(metric, pair.ours),
      });
    }
  }
  return out;
}

export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'n/a' : String(value);
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function withUnit(value: number, metric: MetricDefinition): string {
  const text = formatNumber(value, metric.digits ?? 2);
  return metric.unit && text !== 'n/a' ? `${text} ${metric.unit}` : text;
}

function formatRatio(ratio: number): string {
  // '—' when either side is 0 or negative (counts such as missed fires, or a peer timer firing
  // slightly early): a ratio says nothing there.
  if (!Number.isFinite(ratio) || ratio <= 0) return '—';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.01 ? ratio.toFixed(2) : ratio.toExponential(1)}×`;
}

const VERDICT = { pass: '✅ pass', fail: '❌ fail', 'n/a': '—' } as const;

function label(s: ScenarioDefinition, id: string | null): string {
  if (id === null) return '—';
  return s.variants.find((v) => v.id === id)?.label ?? id;
}

/** The markdown section of one scenario: description, the table, and per-run details. */
export function scenarioSection(runs: ScenarioRuns): string {
  const s = runs.scenario;
  const lines: string[] = [`## ${s.title}`, '', s.description, ''];
  if (runs.skipped) {
    lines.push(`*Skipped: ${runs.skipped}*`, '');
    return lines.join('\n');
  }
  if (runs.measured) {
    lines.push(
      `*Measured ${runs.measured.started} by \`${runs.measured.command}\` (${runs.measured.runs} runs per variant), not by the run that wrote this file.*`,
      '',
    );
  }
  for (const [variant, reason] of Object.entries(runs.skippedVariants ?? {})) {
    lines.push(`*Skipped variant ${label(s, variant)}: ${reason}*`, '');
  }
  lines.push('| metric | ours | ours (median) | peer | peer (median) | ours ÷ peer | target | result |');
  lines.push('|---|---|--:|---|--:|--:|---|---|');
  for (const r of rows(runs)) {
    lines.push(
      `| ${r.metric.label} | ${label(s, r.ours)} | ${withUnit(r.oursValue, r.metric)} | ${label(s, r.peer)} | ` +
        `${r.peer === null ? '—' : withUnit(r.peerValue, r.metric)} | ${formatRatio(r.ratio)} | ${r.target?.text ?? '—'} | ${VERDICT[r.verdict]} |`,
    );
  }
  lines.push('', '<details><summary>Per-run values</summary>', '');
  for (const variant of s.variants) {
    if (runs.skippedVariants?.[variant.id]) continue;
    const results = runs.runs[variant.id] ?? [];
    lines.push(`**${variant.label}** (\`${variant.id}\`)`, '');
    for (const metric of s.metrics) {
      const values = results.map((r) => (r ? r.metrics[metric.key] : undefined));
      if (values.every((v) => v === undefined)) continue;
      lines.push(`- ${metric.label}: ${values.map((v) => (v === undefined ? 'failed' : withUnit(v, metric))).join(' / ')}`);
    }
    // Info: one bullet per key; the value once when every run agrees, else one per run.
    const keys = [...new Set(results.flatMap((r) => Object.keys(r?.info ?? {})))];
    for (const key of keys) {
      const values = results.map((r) => (r?.info && key in r.info ? String(r.info[key]) : '–'));
      lines.push(`- ${key}: ${values.every((v) => v === values[0]) ? values[0] : values.join(' / ')}`);
    }
    for (const failure of runs.failures[variant.id] ?? []) lines.push(`- failed run: ${failure.replace(/\s+/g, ' ').slice(0, 500)}`);
    lines.push('');
  }
  lines.push('</details>', '');
  return lines.join('\n');
}

/**
 * RESULTS.md keeps everything from this line on when `npm run bench` regenerates it: the sections
 * other commands write (bench/soak, bench/compare-trees.ts) go after it.
 */
export const KEPT_MARKER = '<!-- Sections below are written by other commands (bench/soak) and kept when this file is regenerated. -->';
