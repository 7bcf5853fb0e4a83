import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import { ofType } from '../../core/events/of-type.js';
import type { SchedulerEvent, SchedulerEventType } from '../../core/events/scheduler-events.js';
import { SchedulerService } from '../../scheduler.service.js';
import { SCHEDULER_ADMIN_OPTIONS } from '../scheduler-admin.constants.js';
import type { ResolvedAdminOptions } from '../scheduler-admin.options.js';
import { eventJson } from '../views/event-view.js';

/**
 * Every type but job_submitted: one per fire, and job_executed / job_error already say that the
 * run happened. Asking for these types alone (ofType on events$) also spares the scheduler from
 * building job_submitted events for the stream.
 */
const STREAMED: SchedulerEventType[] = [
  'scheduler_started',
  'scheduler_shutdown',
  'scheduler_paused',
  'scheduler_resumed',
  'executor_added',
  'executor_removed',
  'jobstore_added',
  'jobstore_removed',
  'all_jobs_removed',
  'job_added',
  'job_removed',
  'job_modified',
  'job_max_instances',
  'job_executed',
  'job_error',
  'job_missed',
  'job_lost',
  'jobstore_error',
];
/** Events are written in batches: at 10,000 fires a second, one write per event would cost the loop. */
const FLUSH_MS = 100;
/** A client this far behind gets an `overflow` message instead of the events (it should reload). */
const MAX_BUFFERED = 10_000;

/**
 * The open `GET {path}/api/events` streams: each writes the scheduler's events as SSE messages
 * (`data: {json}`), a heartbeat comment so proxies keep it open, and stops on disconnect. They are
 * all ended before the HTTP server closes, which would otherwise wait for them forever.
 */
@Injectable()
export class AdminEventStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly scheduler: SchedulerService,
    @Inject(SCHEDULER_ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Streams the events to `response` until the client goes away or the application shuts down. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx buffers proxied responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    response.write('retry: 3000\n: connected\n\n');
    let buffer: SchedulerEvent[] = [];
    let dropped = 0;
    let flushTimer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      flushTimer = undefined;
      let text = '';
      for (const event of buffer) text += `data: ${eventJson(event)}\n\n`;
      if (dropped > 0) text += `event: overflow\ndata: {"dropped":${dropped}}\n\n`;
      buffer = [];
      dropped = 0;
      if (text) response.write(text);
    };
    const subscription: Subscription = this.scheduler.events$.pipe(ofType(...STREAMED)).subscribe((event) => {
      if (buffer.length >= MAX_BUFFERED) dropped++;
      else buffer.push(event);
      flushTimer ??= setTimeout(flush, FLUSH_MS);
    });
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), this.options.heartbeatInterval);
    const close = (): void => {
      if (!this.open.delete(close)) return;
      subscription.unsubscribe();
      clearInterval(heartbeat);
      if (flushTimer) clearTimeout(flushTimer);
      if (!response.writableEnded) response.end();
    };
    this.open.add(close);
    // The response's 'close' (the client went away, or the stream ended); a request's 'close' may
    // come as soon as its (empty) body is read.
    response.on('close', close);
    response.on('error', close);
  }

  beforeApplicationShutdown(): void {
    for (const close of [...this.open]) close();
  }
}
