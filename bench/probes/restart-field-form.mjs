// A probe, not a scenario: 3,000 field-form cron jobs stored on SQLite, then a fresh scheduler (a restart)
// claims them all at their first fire; prints how many ran and how many were missed.
// Run: npx tsc -p bench/tsconfig.json && cp bench/probes/restart-field-form.mjs dist-bench/ && node dist-bench/restart-field-form.mjs $PWD/dist-bench
import { DataSource } from 'typeorm';
const dist = process.argv[2];
const { Scheduler, TypeOrmJobStore, createSchedulerEntities, MemoryJobStore } = await import(`${dist}/lib/index.js`);
const file = `/tmp/restart-probe-${process.pid}.sqlite`;
const ds = new DataSource({
  type: 'better-sqlite3',
  database: file,
  entities: Object.values(createSchedulerEntities('r_')),
  synchronize: true,
});
await ds.initialize();
const quiet = { log() {}, warn() {}, error() {} };
const mk = () =>
  new Scheduler({ timezone: 'UTC', logger: quiet, stores: { default: new TypeOrmJobStore({ dataSource: ds, tablePrefix: 'r_' }) } });
const a = mk();
a.registry.register('h', () => {});
await a.start({ paused: true });
for (let i = 0; i < 3000; i++)
  await a.addJob({
    id: `j${i}`,
    handler: 'h',
    trigger: { type: 'cron', second: '*/10', minute: String(i % 60), hour: '*', dayOfWeek: 'mon-sun' },
    nextRunTime: new Date(Date.now() + 3000),
  });
await a.shutdown();
const b = mk();
let executed = 0,
  missed = 0;
b.registry.register('h', () => {
  executed++;
});
b.missed$.subscribe(() => missed++);
await b.start();
await new Promise((r) => setTimeout(r, 6000));
await b.shutdown();
console.log(JSON.stringify({ executed, missed }));
await ds.destroy();
await import('node:fs').then((fs) => {
  for (const s of ['', '-wal', '-shm']) fs.rmSync(file + s, { force: true });
});
