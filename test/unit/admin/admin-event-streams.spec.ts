import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AdminEventStreams, MAX_EVENTS_PER_FLUSH } from '../../../lib/admin/events/admin-event-streams.js';
import type { ResolvedAdminOptions } from '../../../lib/admin/scheduler-admin.options.js';
import { eventJson } from '../../../lib/admin/views/event-view.js';
import { EventBus } from '../../../lib/core/events/event-bus.js';
import type { JobExecutedEvent } from '../../../lib/core/events/scheduler-events.js';
import type { SchedulerService } from '../../../lib/scheduler.service.js';

/** A ServerResponse that keeps what is written. */
class FakeResponse extends EventEmitter {
  written = '';
  writableEnded = false;
  writableLength = 0;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.written += chunk;
    return true;
  }
  end(): void {
    this.writableEnded = true;
  }
  /** The messages after the connection preamble: [event name, data JSON]. */
  messages(): [string, Record<string, unknown>][] {
    return this.written
      .split('\n\n')
      .filter((m) => m.includes('data: '))
      .map((m) => {
        const name = /^event: (.*)$/m.exec(m)?.[1] ?? 'message';
        return [name, JSON.parse(/^data: (.*)$/m.exec(m)![1]) as Record<string, unknown>];
      });
  }
}

const logger = { log: () => {}, warn: () => {}, error: () => {} };

describe('AdminEventStreams', () => {
  let bus: EventBus;
  let streams: AdminEventStreams;
  beforeEach(() => {
    jest.useFakeTimers();
    bus = new EventBus('i1', logger);
    const scheduler = { events$: bus.events$, instanceId: 'i1' } as unknown as SchedulerService;
    streams = new AdminEventStreams(scheduler, { heartbeatInterval: 60_000 } as ResolvedAdminOptions);
  });
  afterEach(() => {
    streams.beforeApplicationShutdown();
    jest.useRealTimers();
  });
  const open = (): FakeResponse => {
    const response = new FakeResponse();
    streams.attach(response as unknown as ServerResponse);
    return response;
  };
  const added = (n: number, from = 0) => {
    for (let i = from; i < from + n; i++) bus.emit(bus.event('job_added', { jobId: `j${i}`, store: 'default' }));
  };

  it('sends at most MAX_EVENTS_PER_FLUSH events a batch, and counts the rest in one overflow message', () => {
    const response = open();
    added(MAX_EVENTS_PER_FLUSH + 150);
    jest.advanceTimersByTime(100);
    const messages = response.messages();
    expect(messages).toHaveLength(MAX_EVENTS_PER_FLUSH + 1);
    expect(messages.slice(0, -1).map(([, data]) => data.jobId)).toEqual(Array.from({ length: MAX_EVENTS_PER_FLUSH }, (_, i) => `j${i}`));
    expect(messages.at(-1)).toEqual(['overflow', { dropped: 150 }]);
    // The next batch starts afresh.
    added(3, 1000);
    jest.advanceTimersByTime(100);
    expect(response.messages().slice(MAX_EVENTS_PER_FLUSH + 1)).toEqual([
      ['message', expect.objectContaining({ jobId: 'j1000' })],
      ['message', expect.objectContaining({ jobId: 'j1001' })],
      ['message', expect.objectContaining({ jobId: 'j1002' })],
    ]);
  });

  it('writes the same batch to every client; one that came mid-batch gets what came after it', () => {
    const first = open();
    added(2);
    const second = open();
    added(2, 2);
    jest.advanceTimersByTime(100);
    expect(first.messages().map(([, d]) => d.jobId)).toEqual(['j0', 'j1', 'j2', 'j3']);
    expect(second.messages().map(([, d]) => d.jobId)).toEqual(['j2', 'j3']);
  });

  it("sends a run told by the run tally as the core's job_executed event, and the core builds no event for it", () => {
    const response = open();
    expect(bus.wants('job_executed')).toBe(false);
    expect(bus.wants('job_error')).toBe(true);
    const scheduled = Date.UTC(2026, 0, 1, 12);
    bus.tallies.executed('j1', 'default', scheduled, scheduled + 3, 7, 2);
    jest.advanceTimersByTime(100);
    const event: JobExecutedEvent = {
      type: 'job_executed',
      timestamp: new Date(scheduled + 10),
      instanceId: 'i1',
      jobId: 'j1',
      store: 'default',
      scheduledRunTime: new Date(scheduled),
      startedAt: new Date(scheduled + 3),
      finishedAt: new Date(scheduled + 10),
      durationMs: 7,
      returnValue: 42,
      attempt: 2,
    };
    expect(response.written).toContain(`data: ${eventJson(event)}\n\n`);
    // Tallied runs past the cap are counted too.
    for (let i = 0; i < MAX_EVENTS_PER_FLUSH + 5; i++) bus.tallies.executed(`j${i}`, 'default', scheduled, scheduled, 1, 1);
    jest.advanceTimersByTime(100);
    expect(response.messages().at(-1)).toEqual(['overflow', { dropped: 5 }]);
  });

  it('gives a client that does not read no events until it catches up, then says how many it missed', () => {
    const response = open();
    response.writableLength = 2 << 20;
    added(3);
    jest.advanceTimersByTime(100);
    expect(response.messages()).toEqual([]);
    response.writableLength = 0;
    added(1, 3);
    jest.advanceTimersByTime(100);
    expect(response.messages()).toEqual([
      ['message', expect.objectContaining({ jobId: 'j3' })],
      ['overflow', { dropped: 3 }],
    ]);
  });

  it('stops listening when the last client leaves', () => {
    const a = open();
    const b = open();
    a.emit('close');
    expect(bus.wants('job_added')).toBe(true);
    b.emit('close');
    expect(bus.wants('job_added')).toBe(false);
    expect(bus.tallies.active).toBe(false);
  });
});
