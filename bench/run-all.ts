/**
 * Runs every scenario under bench/scenarios/, each variant in its own child process (fresh heap,
 * no JIT or timer state shared), BENCH_RUNS times (default 3) with the variants interleaved, then
 * writes bench/RESULTS.md (medians, ratios, targets) and bench/results.json (every run).
 *
 *   npm run bench                      everything
 *   BENCH_RUNS=5 npm run bench         more runs
 *   BENCH_ONLY=dispatch,cron-next ...  some scenarios (by name)
 *   node --expose-gc dist-bench/bench/scenarios/<file>.js <variant>   one child by hand
 *   node dist-bench/bench/run-all.js --report-only   rewrite RESULTS.md from results.json (no runs)
 *
 * With BENCH_ONLY, the scenarios not run keep their earlier results: results.json is merged (the
 * measured scenarios replace their old entries), and RESULTS.md shows every scenario it holds,
 * each section saying when it was measured if that was by an earlier run.
 */
import os from 'node:os';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, ownVersion, packageVersion } from './support/environment.js';
import { KEPT_MARKER, rows, scenarioSection, formatNumber, type ScenarioRuns } from './support/report.js';
import { runScenarioChild } from './support/child-run.js';
import type { ScenarioDefinition } from './support/scenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : null;
const PEERS = [
  '@nestjs/schedule',
  'cron',
  'node-schedule',
  'croner',
  'cron-parser',
  'luxon',
  '@nestjs/core',
  'rxjs',
  'typescript',
  'pg-boss',
  'typeorm',
  'pg',
  'mysql2',
  'better-sqlite3',
];

interface Loaded {
  file: string;
  scenario: ScenarioDefinition;
}

/**
 * Keeps the earlier results of the scenarios not measured now (stamped with when and how they were
 * measured) and puts the fresh ones in their place; the order is that of the files (`order`).
 */
function merge(previous: Recorded, fresh: SavedScenario[]): SavedScenario[] {
  const byName = new Map<string, SavedScenario>();
  for (const saved of previous.scenarios) {
    byName.set(saved.name, {
      ...saved,
      measured: saved.measured ?? { started: previous.started, command: previous.command, runs: previous.runs },
    });
  }
  for (const saved of fresh) byName.set(saved.name, saved);
  return [...byName.values()];
}

function toRuns(saved: SavedScenario[], scenarios: Loaded[]): ScenarioRuns[] {
  return saved
    .flatMap((s): ScenarioRuns[] => {
      const loaded = scenarios.find((l) => l.scenario.name === s.name);
      return loaded
        ? [
            {
              scenario: loaded.scenario,
              skipped: s.skipped,
              skippedVariants: s.skippedVariants,
              measured: s.measured,
              runs: s.runs,
              failures: s.failures,
            },
          ]
        : [];
    })
    .sort((a, b) => a.scenario.order - b.scenario.order);
}

async function loadScenarios(all = false): Promise<Loaded[]> {
  const dir = join(here, 'scenarios');
  const loaded: Loaded[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()) {
    const file = join(dir, name);
    const mod = (await import(pathToFileURL(file).href)) as { scenario?: ScenarioDefinition };
    if (!mod.scenario) continue;
    if (!all && ONLY && !ONLY.includes(mod.scenario.name) && !ONLY.includes(basename(name, '.js'))) continue;
    loaded.push({ file, scenario: mod.scenario });
  }
  return loaded.sort((a, b) => a.scenario.order - b.scenario.order);
}

function summaryTable(all: ScenarioRuns[]): string {
  const lines = ['| scenario | metric | ours | ours (median) | target | result |', '|---|---|---|--:|---|---|'];
  for (const runs of all) {
    if (runs.skipped) continue;
    const seen = new Set<string>();
    for (const r of rows(runs)) {
      if (!r.target) continue;
      const key = `${r.ours}\0${r.metric.key}`;
      if (seen.has(key)) continue; // the same ours value against several peers
      seen.add(key);
      const label = runs.scenario.variants.find((v) => v.id === r.ours)?.label ?? r.ours;
      const value =
        formatNumber(r.oursValue, r.metric.digits ?? 2) + (r.metric.unit && Number.isFinite(r.oursValue) ? ` ${r.metric.unit}` : '');
      lines.push(
        `| ${runs.scenario.name} | ${r.metric.label} | ${label} | ${value} | ${r.target.text} | ${r.verdict === 'pass' ? '✅ pass' : '❌ fail'} |`,
      );
    }
  }
  return lines.join('\n');
}

interface Recorded {
  started: string;
  finished: string;
  command: string;
  runs: number;
  machine: ReturnType<typeof machine>;
  versions: string[];
  scenarios: SavedScenario[];
}

interface SavedScenario {
  name: string;
  skipped?: string;
  skippedVariants?: Record<string, string>;
  /** Set on scenarios measured by an earlier run than the one described at the top (BENCH_ONLY merges). */
  measured?: { started: string; command: string; runs: number };
  runs: ScenarioRuns['runs'];
  failures: ScenarioRuns['failures'];
}

async function measureAll(scenarios: Loaded[]): Promise<ScenarioRuns[]> {
  const all: ScenarioRuns[] = [];
  for (const { file, scenario } of scenarios) {
    const runs: ScenarioRuns = { scenario, runs: {}, failures: {} };
    all.push(runs);
    let skipped = scenario.available ? await scenario.available() : null;
    const skippedVariants: Record<string, string> = {};
    if (!skipped && scenario.variantAvailable) {
      for (const variant of scenario.variants) {
        const reason = await scenario.variantAvailable(variant.id);
        if (reason) {
          skippedVariants[variant.id] = reason;
          console.log(`[bench] ${scenario.name} ${variant.id}: skipped (${reason})`);
        }
      }
      if (Object.keys(skippedVariants).length === scenario.variants.length)
        skipped = [...new Set(Object.values(skippedVariants))].join('; ');
      else if (Object.keys(skippedVariants).length > 0) runs.skippedVariants = skippedVariants;
    }
    if (skipped) {
      runs.skipped = skipped;
      console.log(`[bench] ${scenario.name}: skipped (${skipped})`);
      continue;
    }
    for (let run = 1; run <= RUNS; run++) {
      for (const variant of scenario.variants) {
        if (skippedVariants[variant.id]) continue;
        const t0 = Date.now();
        process.stdout.write(`[bench] ${scenario.name} ${variant.id} run ${run}/${RUNS} ... `);
        runs.runs[variant.id] ??= [];
        // Other work on the machine (a test suite, another benchmark) shows up here: 2 cores fill up fast.
        const loadBefore = Math.round(os.loadavg()[0] * 100) / 100;
        try {
          const result = await runScenarioChild(file, root, scenario, variant.id);
          result.info = { ...result.info, loadAvg1mBefore: loadBefore };
          runs.runs[variant.id].push(result);
          const shown = Object.entries(result.metrics)
            .slice(0, 4)
            .map(([k, v]) => `${k}=${formatNumber(v, 2)}`)
            .join(' ');
          console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${shown}`);
        } catch (err) {
          runs.runs[variant.id].push(null);
          (runs.failures[variant.id] ??= []).push((err as Error).message);
          console.log(`FAILED: ${(err as Error).message.slice(0, 300)}`);
        }
      }
    }
  }
  return all;
}

function render(rec: Recorded, all: ScenarioRuns[]): string {
  const m = rec.machine;
  const took = Math.round((Date.parse(rec.finished) - Date.parse(rec.started)) / 1000);
  return [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` on ${rec.started} (took ${took} s). Do not edit by hand; see bench/README.md.`,
    '',
    `- Command: \`${rec.command}\` (= \`tsc -p bench/tsconfig.json && node --expose-gc dist-bench/bench/run-all.js\`); ` +
      `each measurement runs in its own child process: \`node --expose-gc dist-bench/bench/scenarios/<scenario>.js <variant>\`.`,
    `- Runs: ${rec.runs} per variant (variants interleaved); the tables show the median of the runs unless the metric says otherwise.`,
    ...(rec.scenarios.some((s) => s.measured)
      ? [
          `- This run measured ${
            rec.scenarios
              .filter((s) => !s.measured)
              .map((s) => `\`${s.name}\``)
              .join(', ') || 'nothing'
          }; the other ` + 'sections were kept from earlier runs (BENCH_ONLY merges bench/results.json) and say when they were measured.',
        ]
      : []),
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}, Node ${m.node}.`,
    `- Versions: ${rec.versions.join(', ')}.`,
    '- "ours ÷ peer" is ours divided by the peer: below 1 is better for times, costs and bytes; above 1 is better for rates.',
    '',
    '## Targets',
    '',
    summaryTable(all),
    '',
    ...all.map(scenarioSection),
  ].join('\n');
}

async function main(): Promise<void> {
  const jsonPath = join(root, 'bench', 'results.json');
  const mdPath = join(root, 'bench', 'RESULTS.md');
  const reportOnly = process.argv.includes('--report-only');
  // --report-only renders whatever results.json holds, whatever BENCH_ONLY says.
  const scenarios = await loadScenarios(reportOnly);
  let rec: Recorded;
  let all: ScenarioRuns[];
  if (reportOnly) {
    rec = JSON.parse(readFileSync(jsonPath, 'utf8')) as Recorded;
    all = toRuns(rec.scenarios, scenarios);
  } else {
    const started = new Date().toISOString();
    const measured = await measureAll(scenarios);
    const command = `${process.env.BENCH_RUNS ? `BENCH_RUNS=${process.env.BENCH_RUNS} ` : ''}${ONLY ? `BENCH_ONLY=${ONLY.join(',')} ` : ''}npm run bench`;
    const fresh: SavedScenario[] = measured.map((r) => ({
      name: r.scenario.name,
      skipped: r.skipped,
      skippedVariants: r.skippedVariants,
      runs: r.runs,
      failures: r.failures,
    }));
    const previous = ONLY && existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as Recorded) : null;
    rec = {
      started,
      finished: new Date().toISOString(),
      command,
      runs: RUNS,
      machine: machine(),
      versions: [`nestjs-apscheduler ${ownVersion(root)} (this tree)`, ...PEERS.map((p) => `${p} ${packageVersion(root, p)}`)],
      scenarios: previous ? merge(previous, fresh) : fresh,
    };
    writeFileSync(jsonPath, JSON.stringify(rec, null, 1));
    // The report shows every scenario results.json holds, not only those just measured.
    all = toRuns(rec.scenarios, previous ? await loadScenarios(true) : scenarios);
  }
  writeFileSync(mdPath, render(rec, all) + keptSections(mdPath));
  console.log(`[bench] wrote ${relative(process.cwd(), mdPath)}`);
}

/**
 * What follows KEPT_MARKER in the current RESULTS.md: sections written by other commands (the
 * soak), which a regeneration must not drop.
 */

function keptSections(mdPath: string): string {
  if (!existsSync(mdPath)) return '';
  const current = readFileSync(mdPath, 'utf8');
  const at = current.indexOf(KEPT_MARKER);
  return at < 0 ? '' : `\n${current.slice(at)}`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
