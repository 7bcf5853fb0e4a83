import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';

/** The sample as a user runs it: a SQLite file, stopped and started again. */
describe('sample application', () => {
  it('shows every kind of event, serves its jobs over HTTP and keeps them across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-'));
    process.env.SQLITE_FILE = join(dir, 'sample.sqlite');
    const { AppModule } = await import('../../sample/app.module.js');
    const { SchedulerService } = await import('../../lib/index.js');
    const boot = async (): Promise<INestApplication> => {
      const app = await NestFactory.create(AppModule, { logger: false });
      await app.listen(0);
      return app;
    };
    try {
      let app = await boot();
      const types = new Set<string>();
      app.get(SchedulerService).events$.subscribe((e) => types.add(e.type));
      await new Promise((r) => setTimeout(r, 5500));
      const url = await app.getUrl();
      const jobs = (await (await fetch(`${url}/jobs`)).json()) as { id: string }[];
      expect(jobs.map((j) => j.id).sort()).toEqual(['digest', 'flaky', 'heartbeat', 'wake-up']);
      // The dashboard's API, mounted by the sample (SchedulerAdminModule), sees the same jobs.
      const admin = (await (await fetch(`${url}/scheduler/api/jobs`)).json()) as { items: { id: string }[]; total: number };
      expect(admin.total).toBe(4);
      expect(admin.items.map((j) => j.id).sort()).toEqual(['digest', 'flaky', 'heartbeat', 'wake-up']);
      const history = (await (await fetch(`${url}/executions`)).json()) as { jobId: string; status: string }[];
      const statuses = new Set(history.map((h) => `${h.jobId}:${h.status}`));
      for (const s of ['heartbeat:executed', 'flaky:error', 'overdue:missed', 'welcome:executed']) expect(statuses.has(s)).toBe(true);
      expect([...types]).toEqual(expect.arrayContaining(['job_executed', 'job_error', 'job_submitted', 'job_removed']));
      const heartbeat = await app.get(SchedulerService).getJob('heartbeat');
      await app.close();

      app = await boot();
      const again = await app.get(SchedulerService).getJob('heartbeat');
      // Same trigger, so the stored schedule was kept rather than restarted from now.
      expect(again!.trigger).toEqual(heartbeat!.trigger);
      expect(await app.get(SchedulerService).getJob('digest')).not.toBeNull();
      await app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
