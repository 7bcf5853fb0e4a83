import type { JobSpec } from '../../lib/core/jobs/job.js';
import { sleep, sleepUntil } from '../support/clock.js';
import { BenchDatabase, probeOnce, type DatabaseKind } from '../support/databases.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';
import { startWorkers, type WorkerProcess } from '../support/worker-process.js';

const PROCESSES = 3;
const JOBS = Number(process.env.BENCH_FAULTS_JOBS ?? 30);
/** Each run holds its executor slot (and its maxInstances: 1) this long. */
const HOLD_MS = 700;
/** The kill comes this long after the first fire time, into the middle of runs. */
const KILL_AFTER_MS = 3200;
/** Fire times are looked at until this long after the first. */
const WINDOW_MS = 12_000;
const KINDS: DatabaseKind[] = ['postgres', 'mariadb'];
const LABEL: Record<string, string> = { postgres: 'PostgreSQL', mariadb: 'MariaDB' };

/** Runs in progress per instance, read from the executions table. */
async function runningByInstance(db: BenchDatabase): Promise<Map<string, number>> {
  const q = (c: string) => db.quote(c);
  const rows: { i: string; n: number | string }[] = await db.dataSource.query(
    `SELECT ${q('instance_id')} AS i, COUNT(*) AS n FROM ${db.table('executions')} WHERE ${q('status')} = 'running' GROUP BY ${q('instance_id')}`,
  );
  return new Map(rows.map((r) => [String(r.i), Number(r.n)]));
}

async function runOurs(kind: DatabaseKind): Promise<ChildResult> {
  const db = new BenchDatabase(kind, 'f');
  let workers: WorkerProcess[] = [];
  try {
    await db.create();
    // The package's defaults: heartbeatInterval 5 s, instanceTimeout 30 s, misfireGraceTime 1 s.
    workers = await startWorkers(PROCESSES, (i) => ({
      BENCH_WORKER_MODE: 'ours',
      BENCH_WORKER_ID: `w${i + 1}`,
      BENCH_WORKER_DATASOURCE: JSON.stringify(db.options()),
      BENCH_WORKER_PREFIX: db.prefix,
      BENCH_WORKER_CONCURRENCY: '1000',
    }));
    const first = Math.ceil((Date.now() + 2500) / 1000) * 1000;
    const jobs: JobSpec[] = Array.from({ length: JOBS }, (_, i) => ({
      id: `f${i}`,
      name: 'hold',
      handler: 'hold',
      args: [HOLD_MS],
      trigger: { type: 'interval', seconds: 1, startDate: new Date(first).toISOString(), timezone: 'UTC' },
      executor: 'default',
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: 1000,
      timeout: null,
      rerunOnLoss: false,
      retry: null,
      nextRunTime: new Date(first),
    }));
    await db.insertJobs(jobs);
    await sleepUntil(first + KILL_AFTER_MS);
    // The process with the most runs in progress now is killed, as a crash would.
    let victim: WorkerProcess | undefined;
    let victimId = '';
    for (let tries = 0; tries < 50 && victim === undefined; tries++) {
      const running = await runningByInstance(db);
      const [id] = [...running.entries()].sort((a, b) => b[1] - a[1])[0] ?? [''];
      victim = workers.find((_, i) => `w${i + 1}` === id);
      victimId = id;
      if (victim === undefined) await sleep(20);
    }
    if (victim === undefined) throw new Error('no process had a run in progress to kill');
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    const heldAtKill = (await runningByInstance(db)).get(victimId) ?? 0;
    let foundAt = NaN;
    while (Date.now() - killedAt < 40_000) {
      if (((await runningByInstance(db)).get(victimId) ?? 0) === 0) {
        foundAt = Date.now();
        break;
      }
      await sleep(20);
    }
    await sleepUntil(first + WINDOW_MS + HOLD_MS + 500);
    const rows = await db.executions();
    const windowEnd = first + WINDOW_MS;
    // Fire times of the maxInstances: 1 jobs from 2 s after the kill: each should run, on a survivor.
    const after = rows.filter((r) => r.scheduled >= killedAt + 2000 && r.scheduled < windowEnd);
    const blocked = after.filter((r) => r.status !== 'executed').length;
    // Before the kill, per fire instant: the share of its runs the busiest process claimed.
    const perInstant = new Map<number, Map<string, number>>();
    for (const r of rows) {
      if (r.scheduled >= killedAt || r.status !== 'executed') continue;
      const counts = perInstant.get(r.scheduled) ?? new Map<string, number>();
      counts.set(r.instanceId, (counts.get(r.instanceId) ?? 0) + 1);
      perInstant.set(r.scheduled, counts);
    }
    const shares = [...perInstant.values()].map((counts) => {
      const values = [...counts.values()];
      return Math.max(...values) / values.reduce((a, b) => a + b, 0);
    });
    shares.sort((a, b) => a - b);
    const medianShare = shares.length === 0 ? NaN : shares[Math.floor(shares.length / 2)]!;
    return {
      metrics: {
        detectionMs: foundAt - killedAt,
        blockedAfter: blocked,
        busiestShare: medianShare * 100,
      },
      info: {
        runsHeldByTheKilledProcess: heldAtKill,
        fireTimesAfterKillPlus2s: after.length,
        instantsBeforeKill: shares.length,
        executionRows: rows.length,
        statuses: ['executed', 'lost', 'missed', 'max_instances', 'running']
          .map((s) => `${s} ${rows.filter((r) => r.status === s).length}`)
          .join(', '),
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    await db.drop().catch(() => undefined);
  }
}

export const scenario: ScenarioDefinition = {
  name: 'cluster-faults',
  title: `A kill -9 in a cluster of ${PROCESSES} processes: how soon the others find it`,
  order: 56,
  description:
    `${PROCESSES} worker processes (\`fork\` of dist-bench/bench/support/cluster-worker.js) share one database with the ` +
    `package's defaults (heartbeatInterval 5 s, instanceTimeout 30 s, misfireGraceTime 1 s). ${JOBS} jobs fire every ` +
    `second, each run holding its slot for ${HOLD_MS} ms, with \`maxInstances: 1\`. ${KILL_AFTER_MS / 1000} s after the ` +
    `first fire time the process with the most runs in progress gets SIGKILL. Detection time = from the kill until ` +
    `none of its executions is 'running' any more (the table is polled every 20 ms): the others found it by its ` +
    `session lock (PostgreSQL advisory lock, MariaDB GET_LOCK) and marked its runs lost, instead of waiting out ` +
    `instanceTimeout (30 s). Blocked fire times = fire times from 2 s after the kill to the end of the ${WINDOW_MS / 1000} s ` +
    `window that did not run (a dead process's 'running' record holds maxInstances: 1 until it is found). Busiest share = ` +
    `the median, over the fire instants before the kill, of the share of that instant's runs the busiest process claimed.`,
  variants: KINDS.map((kind) => ({ id: `ours-${kind}`, role: 'ours' as const, label: `ours, ${PROCESSES} processes (${LABEL[kind]})` })),
  comparisons: KINDS.map((kind) => ({ ours: `ours-${kind}`, peer: null })),
  metrics: [
    {
      key: 'detectionMs',
      label: 'kill -9 → its runs marked lost',
      unit: 'ms',
      better: 'lower',
      digits: 0,
      target: { text: '< 2,000 ms (30,000 ms by heartbeat alone)', atMost: 1999.999 },
    },
    {
      key: 'blockedAfter',
      label: 'fire times from kill + 2 s that did not run (worst run)',
      unit: '',
      better: 'lower',
      aggregate: 'max',
      digits: 0,
      target: { text: '0', atMost: 0 },
    },
    {
      key: 'busiestShare',
      label: "busiest process's share of an instant's runs (median instant)",
      unit: '%',
      better: 'lower',
      digits: 0,
      target: { text: '< 50%', atMost: 49.999 },
    },
  ],
  timeoutMs: 120_000,
  variantAvailable: (variant) => probeOnce(variant.endsWith('mariadb') ? 'mariadb' : 'postgres'),
  run: (variant) => runOurs(variant.endsWith('mariadb') ? 'mariadb' : 'postgres'),
};

runIfMain(import.meta.url, scenario);
