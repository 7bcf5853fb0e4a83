/**
 * Runs the ours variants of some scenarios side by side on two trees: a base tree (a clone at an
 * earlier commit, with its own dist-bench built) and this tree, alternately base, current, base,
 * current ... BENCH_RUNS times each, every run in a fresh child process with the same environment.
 * Prints per metric the base and current medians, current ÷ base and the spread of each side, and
 * writes that as a section of bench/RESULTS.md (between the compare-trees markers). For changes that
 * must leave the numbers "within noise of today's in one side-by-side run", such as a restructure.
 *
 *   git clone -q . /tmp/bench-base && git -C /tmp/bench-base checkout -q <commit>
 *   ln -s "$PWD/node_modules" /tmp/bench-base/node_modules && (cd /tmp/bench-base && npx tsc -p bench/tsconfig.json)
 *   BENCH_BASE_TREE=/tmp/bench-base npm run bench:compare
 *   BENCH_RUNS=3 BENCH_ONLY=dispatch BENCH_BASE_TREE=/tmp/bench-base npm run bench:compare
 *
 * BENCH_BASE_TREE (required), BENCH_ONLY (default fire-lateness,dispatch,cluster-throughput), BENCH_RUNS
 * (default 5 per side and variant); every other variable reaches the children of both sides alike.
 * Two checkouts of one commit against each other (A/A) show the noise level.
 *
 * Nothing of lib/ is imported here: each tree's own built dist-bench/bench/scenarios/<name>.js is
 * loaded at run time (for its variants and metrics) and run as the child, so this file compiles
 * whatever lib/ looks like in either tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KEPT_MARKER, formatNumber } from './support/report.js';
import { runScenarioChild } from './support/child-run.js';
import type { ChildResult, MetricDefinition, ScenarioDefinition } from './support/scenario.js';
import { aggregate } from './support/stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const CURRENT = resolve(here, '..', '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5) || 5);
const ONLY = (process.env.BENCH_ONLY ?? 'fire-lateness,dispatch,cluster-throughput')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const BEGIN = '<!-- compare-trees:begin -->';
const END = '<!-- compare-trees:end -->';

type Side = 'base' | 'current';

interface Tree {
  side: Side;
  root: string;
  /** Short commit, plus a note when the tree has uncommitted changes to tracked files. */
  commit: string;
}

interface Run {
  side: Side;
  variant: string;
  run: number;
  /** The machine's 1-minute load average just before the child started. */
  load1m: number;
  seconds: number;
  result: ChildResult | null;
  error?: string;
}

interface Compared {
  name: string;
  scenario: ScenarioDefinition;
  notes: string[];
  runs: Run[];
}

function describeTree(side: Side, root: string): Tree {
  // --no-optional-locks: reading must not refresh the index of a tree someone is working in.
  const git = (...args: string[]) => execFileSync('git', ['--no-optional-locks', '-C', root, ...args], { encoding: 'utf8' }).trim();
  // Untracked files are not counted (the base tree's node_modules symlink is one), nor the bench's own
  // output (an earlier comparison wrote RESULTS.md); moves and edits are.
  const changed = git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/RESULTS.md', ':!bench/results.json')
    .split('\n')
    .filter(Boolean).length;
  return {
    side,
    root,
    commit: git('rev-parse', '--short', 'HEAD') + (changed ? ` + ${changed} uncommitted change${changed > 1 ? 's' : ''}` : ''),
  };
}

function scenarioFile(tree: Tree, name: string): string {
  return join(tree.root, 'dist-bench', 'bench', 'scenarios', `${name}.js`);
}

async function loadScenario(tree: Tree, name: string): Promise<ScenarioDefinition> {
  const file = scenarioFile(tree, name);
  if (!existsSync(file))
    throw new Error(`${file} is missing: build the ${tree.side} tree first (cd ${tree.root} && npx tsc -p bench/tsconfig.json)`);
  const mod = (await import(pathToFileURL(file).href)) as { scenario?: ScenarioDefinition };
  if (!mod.scenario) throw new Error(`${file} exports no scenario`);
  return mod.scenario;
}

async function compare(name: string, base: Tree, current: Tree): Promise<Compared> {
  const [baseDef, scenario] = [await loadScenario(base, name), await loadScenario(current, name)];
  const compared: Compared = { name, scenario, notes: [], runs: [] };
  // The title carries the sizes (jobs, seconds): when they differ, so do the workloads.
  if (baseDef.title !== scenario.title) compared.notes.push(`The base tree's scenario differs: "${baseDef.title}".`);
  const skipped = scenario.available ? await scenario.available() : null;
  if (skipped) {
    compared.notes.push(`Skipped: ${skipped}.`);
    return compared;
  }
  const variants: string[] = [];
  for (const v of scenario.variants.filter((v) => v.role === 'ours')) {
    const reason = !baseDef.variants.some((b) => b.id === v.id) ? 'not in the base tree' : await scenario.variantAvailable?.(v.id);
    if (reason) compared.notes.push(`Skipped variant \`${v.id}\`: ${reason}.`);
    else variants.push(v.id);
  }
  const definitions: Record<Side, ScenarioDefinition> = { base: baseDef, current: scenario };
  for (let run = 1; run <= RUNS; run++) {
    for (const variant of variants) {
      // Base and current back to back: whatever else loads the machine then loads both.
      for (const tree of [base, current]) {
        process.stdout.write(`[compare] ${name} ${variant} run ${run}/${RUNS} ${tree.side} ... `);
        const load1m = Math.round(os.loadavg()[0] * 100) / 100;
        const t0 = Date.now();
        const entry: Run = { side: tree.side, variant, run, load1m, seconds: 0, result: null };
        try {
          entry.result = await runScenarioChild(scenarioFile(tree, name), tree.root, definitions[tree.side], variant);
        } catch (err) {
          entry.error = (err as Error).message.replace(/\s+/g, ' ').slice(0, 300);
        }
        entry.seconds = Math.round((Date.now() - t0) / 100) / 10;
        compared.runs.push(entry);
        const shown = entry.result
          ? Object.entries(entry.result.metrics)
              .slice(0, 4)
              .map(([k, v]) => `${k}=${formatNumber(v, 2)}`)
              .join(' ')
          : `FAILED: ${entry.error}`;
        console.log(`${entry.seconds} s  load ${load1m}  ${shown}`);
      }
    }
  }
  return compared;
}

// ---- report ---------------------------------------------------------------------------------

function withUnit(value: number, metric: MetricDefinition): string {
  const text = formatNumber(value, metric.digits ?? 2);
  return metric.unit && text !== 'n/a' ? `${text} ${metric.unit}` : text;
}

function ratio(current: number, base: number): string {
  // A ratio of counts that are 0 (missed fires) or of failed runs says nothing.
  const r = current / base;
  return Number.isFinite(r) && r > 0 ? `${r.toFixed(2)}×` : '—';
}

/** The values of one metric for one side and variant, in run order (NaN for a failed run). */
function values(runs: Run[], side: Side, variant: string, key: string): number[] {
  return runs.filter((r) => r.side === side && r.variant === variant).map((r) => r.result?.metrics[key] ?? NaN);
}

/** The combined value, saying how many runs it is of when some failed. */
function combined(vs: number[], metric: MetricDefinition): string {
  const ok = vs.filter(Number.isFinite).length;
  return withUnit(aggregate(vs, metric.aggregate ?? 'median'), metric) + (ok < vs.length ? ` (${ok} of ${vs.length} runs)` : '');
}

function range(vs: number[], metric: MetricDefinition): string {
  const finite = vs.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
  return `${formatNumber(lo, metric.digits ?? 2)}–${withUnit(hi, metric)}`;
}

function scenarioTable(c: Compared): string[] {
  const s = c.scenario;
  const lines = [`### ${c.name}: ${s.title}`, '', ...c.notes.flatMap((n) => [`*${n}*`, ''])];
  const variants = [...new Set(c.runs.map((r) => r.variant))];
  if (variants.length === 0) return lines;
  lines.push(
    '| variant | metric | base | base min–max | current | current min–max | current ÷ base | pair ratios min–max | ranges overlap |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  );
  for (const variant of variants) {
    const label = s.variants.find((v) => v.id === variant)?.label ?? variant;
    for (const metric of s.metrics) {
      const [b, cur] = [values(c.runs, 'base', variant, metric.key), values(c.runs, 'current', variant, metric.key)];
      if (![...b, ...cur].some(Number.isFinite)) continue; // a metric of another variant (dispatch's "Small" ones)
      const [bm, cm] = [aggregate(b, metric.aggregate ?? 'median'), aggregate(cur, metric.aggregate ?? 'median')];
      // Each run's current against the base run just before it: how far a single pair strays.
      const pairs = b.map((v, i) => cur[i] / v).filter((r) => Number.isFinite(r) && r > 0);
      const pairText = pairs.length ? `${Math.min(...pairs).toFixed(2)}–${Math.max(...pairs).toFixed(2)}×` : '—';
      const [bf, cf] = [b.filter(Number.isFinite), cur.filter(Number.isFinite)];
      const overlap =
        bf.length && cf.length ? (Math.min(...cf) <= Math.max(...bf) && Math.min(...bf) <= Math.max(...cf) ? 'yes' : '**no**') : '—';
      lines.push(
        `| ${label} | ${metric.label} | ${combined(b, metric)} | ${range(b, metric)} | ` +
          `${combined(cur, metric)} | ${range(cur, metric)} | ${ratio(cm, bm)} | ${pairText} | ${overlap} |`,
      );
    }
  }
  lines.push('', '<details><summary>Per-run values (base / current), the 1-minute load average before each run, failures</summary>', '');
  for (const variant of variants) {
    lines.push(`**\`${variant}\`**`, '');
    for (let run = 1; run <= RUNS; run++) {
      const pair = (['base', 'current'] as const).map((side) =>
        c.runs.find((r) => r.side === side && r.variant === variant && r.run === run),
      );
      const text = pair.map((r) => {
        if (!r) return '–';
        if (!r.result) return `failed (load ${r.load1m}, ${r.seconds} s): ${r.error}`;
        const shown = s.metrics
          .filter((m) => m.key in r.result!.metrics)
          .map((m) => `${m.key} ${formatNumber(r.result!.metrics[m.key], m.digits ?? 2)}`);
        return `${shown.join(', ')} (load ${r.load1m}, ${r.seconds} s)`;
      });
      lines.push(`- run ${run}: base ${text[0]}; current ${text[1]}`);
    }
    lines.push('');
  }
  lines.push('</details>', '');
  return lines;
}

function section(base: Tree, current: Tree, all: Compared[], started: Date, loads: [number, number]): string {
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_'))
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  const invoked = process.env.npm_lifecycle_event
    ? `npm run ${process.env.npm_lifecycle_event}`
    : 'node --expose-gc dist-bench/bench/compare-trees.js';
  const cpus = os.cpus();
  const took = Math.round((Date.now() - started.getTime()) / 1000);
  return [
    BEGIN,
    '',
    '## Side by side: a base tree against this tree (ours variants)',
    '',
    `Written by \`bench/compare-trees.ts\` on ${started.toISOString()} (took ${took} s); see the header of that file.`,
    '',
    `- Command: \`${[...env, invoked].join(' ')}\`.`,
    `- Base: \`${base.commit}\` (${base.root}); current: \`${current.commit}\` (this tree, ${current.root}).`,
    `- Runs: ${RUNS} per side and variant, alternating base, current, base, current, ... each a fresh ` +
      '`node --expose-gc <tree>/dist-bench/bench/scenarios/<scenario>.js <variant>` in its tree, with the same environment.',
    `- Machine: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores, ${os.type()} ${os.release()}, Node ${process.version}; ` +
      `1-minute load average ${loads[0]} at the start, ${loads[1]} at the end (before each run: in the details).`,
    '- base / current: the median of the runs (the worst run where the metric says max or min); min–max: the spread of ' +
      "each side's runs; pair ratios: each current run ÷ the base run just before it; ranges overlap: whether the two " +
      'min–max ranges meet.',
    '',
    ...all.flatMap(scenarioTable),
    END,
  ].join('\n');
}

/** Replaces the section, or adds it at the end, after KEPT_MARKER (added too when missing). */
function writeSection(mdPath: string, text: string): void {
  let md = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  const b = md.indexOf(BEGIN);
  const e = b < 0 ? -1 : md.indexOf(END, b);
  if (b >= 0 && e >= 0)
    md = [md.slice(0, b), md.slice(e + END.length)]
      .map((p) => p.trim())
      .filter(Boolean)
      .join('\n\n');
  if (!md.includes(KEPT_MARKER)) md = [md.trim(), KEPT_MARKER].filter(Boolean).join('\n\n');
  writeFileSync(mdPath, `${md.trimEnd()}\n\n${text}\n`);
}

async function main(): Promise<void> {
  if (!process.env.BENCH_BASE_TREE)
    throw new Error(
      'BENCH_BASE_TREE is not set: the directory of a built clone at the base commit (see the header of bench/compare-trees.ts)',
    );
  const base = describeTree('base', resolve(process.env.BENCH_BASE_TREE));
  const current = describeTree('current', CURRENT);
  const started = new Date();
  const loadAtStart = Math.round(os.loadavg()[0] * 100) / 100;
  console.log(`[compare] base ${base.commit} (${base.root}), current ${current.commit} (${current.root}), ${RUNS} runs each`);
  const all: Compared[] = [];
  for (const name of ONLY) all.push(await compare(name, base, current));
  const text = section(base, current, all, started, [loadAtStart, Math.round(os.loadavg()[0] * 100) / 100]);
  console.log(`\n${text}\n`);
  const mdPath = join(CURRENT, 'bench', 'RESULTS.md');
  writeSection(mdPath, text);
  console.log(`[compare] wrote the compare-trees section of ${relative(process.cwd(), mdPath) || mdPath}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
