import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { SchedulerAdminModule } from '../../../lib/admin/index.js';
import { AdminEventStreams } from '../../../lib/admin/events/admin-event-streams.js';
import { bootAdmin, eventually, PLATFORMS, type AdminApp } from './admin-app.js';

/** An open `GET {path}/api/events`: what it has received so far, as text. */
interface OpenStream {
  status: number;
  contentType: string | null;
  text(): string;
  /** The JSON of every `data:` line received. */
  events(): Record<string, unknown>[];
  close(): void;
}

async function openStream(admin: AdminApp): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await admin.http('/scheduler/api/events', { signal: controller.signal });
  let received = '';
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: () => received,
    events: () =>
      received
        .split('\n')
        .filter((line) => line.startsWith('data: {"type"'))
        .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>),
    close: () => controller.abort(),
  };
}

describe.each(PLATFORMS)('GET {path}/api/events on %s', (platform) => {
  let admin: AdminApp | undefined;
  afterEach(async () => {
    await admin?.close();
    admin = undefined;
  });

  it("streams the scheduler's events as JSON, with what the history stores and nothing more", async () => {
    admin = await bootAdmin({ platform, admin: SchedulerAdminModule.forRoot({ allowAnonymous: true, heartbeatInterval: 60_000 }) });
    await admin.scheduler.addJob({ id: 'ok', handler: 'report.send', args: ['x'], trigger: { type: 'interval', hours: 1 } });
    await admin.scheduler.addJob({ id: 'bad', handler: 'report.fail', trigger: { type: 'interval', hours: 1 } });
    const stream = await openStream(admin);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    await eventually(async () => (stream.text().includes('retry: 3000') ? true : null));

    expect((await admin.action('POST', '/scheduler/api/jobs/ok/pause')).status).toBe(200);
    expect((await admin.action('POST', '/scheduler/api/jobs/ok/run')).status).toBe(202);
    expect((await admin.action('POST', '/scheduler/api/jobs/bad/run')).status).toBe(202);
    const events = await eventually(async () => {
      const all = stream.events();
      return all.some((e) => e.type === 'job_error') && all.some((e) => e.type === 'job_executed') ? all : null;
    });
    expect(events.find((e) => e.type === 'job_modified')).toMatchObject({
      jobId: 'ok',
      store: 'default',
      instanceId: admin.scheduler.instanceId,
    });
    const executed = events.find((e) => e.type === 'job_executed')!;
    expect(executed).toEqual({
      type: 'job_executed',
      timestamp: expect.stringMatching(/Z$/),
      instanceId: admin.scheduler.instanceId,
      jobId: 'ok',
      store: 'default',
      scheduledRunTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
      durationMs: expect.any(Number),
    });
    // The handler returned 'sent to x': a return value is not history, so it is not sent.
    expect(stream.text()).not.toContain('sent to x');
    const failed = events.find((e) => e.type === 'job_error')!;
    expect(failed.error).toEqual({ name: 'Error', message: 'the report server said no' });
    expect(failed.traceback).toEqual(expect.stringContaining('the report server said no'));
    // One event per fire is left out: job_submitted.
    expect(events.some((e) => e.type === 'job_submitted')).toBe(false);
    stream.close();
  });

  it('sends heartbeat comments, and stops when the client goes away', async () => {
    admin = await bootAdmin({ platform, admin: SchedulerAdminModule.forRoot({ allowAnonymous: true, heartbeatInterval: 50 }) });
    const streams = admin.app.get(AdminEventStreams);
    const stream = await openStream(admin);
    await eventually(async () => (stream.text().split(': heartbeat\n\n').length > 2 ? true : null));
    expect(streams.size).toBe(1);
    stream.close();
    // Unsubscribed and its timers cleared: nothing is written to a client that left.
    await eventually(async () => (streams.size === 0 ? true : null));
  });

  it('does not keep the application from closing', async () => {
    admin = await bootAdmin({ platform });
    const stream = await openStream(admin);
    await eventually(async () => (stream.text().includes(': connected') ? true : null));
    const closing = admin.close();
    admin = undefined;
    await expect(Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 5000))])).resolves.toBe(
      'closed',
    );
  });
});
