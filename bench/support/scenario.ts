import { pathToFileURL } from 'node:url';

/**
 * One benchmark scenario = one file under bench/scenarios/ exporting `scenario` (this shape) and
 * calling `runIfMain(import.meta.url, scenario)` at the bottom. The orchestrator (run-all.ts)
 * imports the file only to read the definition, then runs every variant in its own child process
 * (`node --expose-gc <file>.js <variant>`), collecting the JSON line the child prints.
 *
 * To add a scenario (e.g. a PostgreSQL store), add a file; use `available()` to skip it when its
 * database is not configured. Peer libraries should be imported dynamically inside `run`, so a
 * child measuring "ours" never loads them (and the other way round).
 */
export interface ScenarioDefinition {
  /** File-independent id, used by BENCH_ONLY and in results.json. */
  name: string;
  title: string;
  /** Sort key in RESULTS.md. */
  order: number;
  /** Markdown paragraph: what is measured and how. */
  description: string;
  variants: VariantDefinition[];
  metrics: MetricDefinition[];
  /**
   * Which ours/peer pairs get table rows. Default: every ours variant against every peer variant
   * (or against nothing when there is no peer).
   */
  comparisons?: Comparison[];
  /** Extra node flags for the child (after --expose-gc). */
  nodeArgs?: string[];
  /** A child running longer than this is killed and the run counts as failed. */
  timeoutMs: number;
  /** Null when runnable; otherwise why it is skipped (e.g. no database URL in the environment). */
  available?(): Promise<string | null> | string | null;
  /**
   * Per variant: null when runnable, otherwise why this variant is skipped (e.g. its database
   * server does not answer). The other variants still run; when none can, the scenario is skipped.
   */
  variantAvailable?(variant: string): Promise<string | null> | string | null;
  /** Runs one variant in the current process and returns its measurements. */
  run(variant: string): Promise<ChildResult>;
}

export interface VariantDefinition {
  /** Passed to the child as its argument; 'ours…' or 'peer…'. */
  id: string;
  role: 'ours' | 'peer';
  /** Shown in the tables, e.g. "@nestjs/schedule (CronJob per job)". */
  label: string;
}

export interface Comparison {
  ours: string;
  peer: string | null;
  /** Metric keys shown for this pair; default all. */
  metrics?: string[];
}

export interface MetricDefinition {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  /** How the runs are combined. Default 'median'; e.g. 'max' for "zero missed in every run". */
  aggregate?: 'median' | 'max' | 'min';
  digits?: number;
  target?: Target;
}

export interface Target {
  /** As printed, e.g. "< 5 ms". */
  text: string;
  /** Pass when ours < lessThan. */
  lessThan?: number;
  /** Pass when ours <= atMost. */
  atMost?: number;
  /** Pass when ours > moreThan. */
  moreThan?: number;
  /** Also require ours to be no worse than the peer's value. */
  noWorseThanPeer?: boolean;
  /** Pass only when ours is at most this multiple of the peer's value (1.1: within 10% of it). */
  withinPeerRatio?: number;
  /** The ours variants the target applies to (default: all); the others show no target. */
  variants?: string[];
}

/** What a child prints (one JSON line prefixed by RESULT_PREFIX). */
export interface ChildResult {
  metrics: Record<string, number>;
  /** Free-form facts about the run (counts, warnings) shown in the details section. */
  info?: Record<string, string | number | boolean>;
}

export const RESULT_PREFIX = '@@BENCH_RESULT ';

/** When the module is the process' entry point, runs the variant named in argv[2] and prints the result. */
export function runIfMain(moduleUrl: string, scenario: ScenarioDefinition): void {
  const entry = process.argv[1];
  if (!entry || pathToFileURL(entry).href !== moduleUrl) return;
  const variant = process.argv[2];
  if (!variant || !scenario.variants.some((v) => v.id === variant)) {
    console.error(`usage: node --expose-gc ${entry} <${scenario.variants.map((v) => v.id).join('|')}>`);
    process.exit(2);
  }
  scenario.run(variant).then(
    (result) => {
      // Exit explicitly: peers leave timers armed, and the result must not wait for them.
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(1);
    },
  );
}

/** For scenarios: the variant's role ('ours' | 'peer'), checked against the definition. */
export function variantOf(scenario: ScenarioDefinition, id: string): VariantDefinition {
  const variant = scenario.variants.find((v) => v.id === id);
  if (!variant) throw new Error(`${scenario.name}: unknown variant '${id}'`);
  return variant;
}
