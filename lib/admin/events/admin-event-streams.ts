import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import { ofType } from '../../core/events/of-type.js';
import type { RunTallySource } from '../../core/events/run-tally.js';
import type { JobExecutedEvent, SchedulerEvent, SchedulerEventType } from '../../core/events/scheduler-events.js';
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
/**
 * The most events a batch sends (1,000 a second); past it the batch ends with an `overflow`
 * message counting the rest, and the page reloads what it shows (at most once a second). At
 * 10,000 fires a second, turning every event into JSON for every client cost the scheduler more
 * than the runs themselves (bench/, scenario admin-cost: +16 µs per fire with two clients), for
 * messages the page only reads to know that it should reload; the events past the cap cost a count.
 */
export const MAX_EVENTS_PER_FLUSH = 100;
/**
 * A client whose connection holds this many bytes not yet sent (it does not read, or reads
 * slowly) gets no more events until it catches up, then an `overflow` counting what it missed.
 */
const MAX_UNSENT_BYTES = 1 << 20;

/** A run that ended well, told by the scheduler's run tally: its job_executed event is built only to be sent. */
interface TalliedRun {
  jobId: string;
  store: string;
  scheduledRunTime: number;
  startedAt: number;
  durationMs: number;
  attempt: number;
}

/** One open stream. */
interface Client {
  readonly response: ServerResponse;
  /** The batch's events before this index came before the client attached. */
  from: number;
  /** Events it did not get: dropped in earlier batches while it was behind, or before it attached. */
  missed: number;
  /** The batch's `dropped` count when it attached (those are not its own). */
  droppedBefore: number;
}

/**
 * The open `GET {path}/api/events` streams: each writes the scheduler's events as SSE messages
 * (`data: {json}`), a heartbeat comment so proxies keep it open, and stops on disconnect. They are
 * all ended before the HTTP server closes, which would otherwise wait for them forever.
 *
 * The streams share one subscription and one batch: each event is turned into JSON once per
 * batch, whatever the number of clients, and the same text is written to each.
 */
@Injectable()
export class AdminEventStreams implements BeforeApplicationShutdown {
  private readonly open = new Map<ServerResponse, { client: Client; close: () => void }>();
  private subscription: Subscription | undefined;
  private untally: (() => void) | undefined;
  /** The events of the batch being gathered, at most MAX_EVENTS_PER_FLUSH. */
  private batch: (SchedulerEvent | TalliedRun)[] = [];
  /** Events of this batch past MAX_EVENTS_PER_FLUSH: counted, not kept. */
  private dropped = 0;
  private flushTimer: NodeJS.Timeout | undefined;

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
    const client: Client = { response, from: this.batch.length, missed: 0, droppedBefore: this.dropped };
    if (this.subscription === undefined) this.start();
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), this.options.heartbeatInterval);
    const close = (): void => {
      if (!this.open.delete(response)) return;
      clearInterval(heartbeat);
      if (this.open.size === 0) this.stop();
      if (!response.writableEnded) response.end();
    };
    this.open.set(response, { client, close });
    // The response's 'close' (the client went away, or the stream ended); a request's 'close' may
    // come as soon as its (empty) body is read.
    response.on('close', close);
    response.on('error', close);
  }

  beforeApplicationShutdown(): void {
    for (const { close } of [...this.open.values()]) close();
  }

  /**
   * The first client came. Runs that ended well come from the scheduler's run tally when its
   * events$ has one: the core then builds no job_executed event per run for the stream, and the
   * stream builds one only for those it sends (bench/ admin-cost: ~8 µs a fire at 10,000 a second).
   */
  private start(): void {
    const source = this.scheduler.events$ as Partial<RunTallySource>;
    let types = STREAMED;
    if (typeof source.tallyRuns === 'function') {
      this.untally = source.tallyRuns({
        executed: (jobId, store, scheduledRunTime, startedAt, durationMs, attempt) => {
          if (this.batch.length < MAX_EVENTS_PER_FLUSH) this.add({ jobId, store, scheduledRunTime, startedAt, durationMs, attempt });
          else this.add(null);
        },
      });
      types = STREAMED.filter((type) => type !== 'job_executed');
    }
    this.subscription = this.scheduler.events$.pipe(ofType(...types)).subscribe((event) => this.add(event));
  }

  /** The event as the stream sends it; a tallied run as its job_executed event. */
  private json(item: SchedulerEvent | TalliedRun): string {
    if ('type' in item) return eventJson(item);
    const finishedAt = new Date(item.startedAt + item.durationMs);
    const event: JobExecutedEvent = {
      type: 'job_executed',
      timestamp: finishedAt,
      instanceId: this.scheduler.instanceId,
      jobId: item.jobId,
      store: item.store,
      scheduledRunTime: new Date(item.scheduledRunTime),
      startedAt: new Date(item.startedAt),
      finishedAt,
      durationMs: item.durationMs,
      returnValue: undefined,
      attempt: item.attempt,
    };
    return eventJson(event);
  }

  /** `null`: an event past the cap, only counted. */
  private add(event: SchedulerEvent | TalliedRun | null): void {
    if (event !== null && this.batch.length < MAX_EVENTS_PER_FLUSH) this.batch.push(event);
    else this.dropped++;
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes the batch to every client: each event serialised once, the same text for all. */
  private flush(): void {
    this.flushTimer = undefined;
    const { batch, dropped } = this;
    this.batch = [];
    this.dropped = 0;
    const messages = batch.map((item) => `data: ${this.json(item)}\n\n`);
    let all: string | undefined;
    for (const { client } of this.open.values()) {
      const { response, from } = client;
      const missed = client.missed + dropped - client.droppedBefore;
      client.from = 0;
      client.droppedBefore = 0;
      if (response.writableLength > MAX_UNSENT_BYTES) {
        client.missed = missed + messages.length - from;
        continue;
      }
      client.missed = 0;
      let text = from === 0 ? (all ??= messages.join('')) : messages.slice(from).join('');
      if (missed > 0) text += `event: overflow\ndata: {"dropped":${missed}}\n\n`;
      if (text) response.write(text);
    }
  }

  /** The last client left: nothing listens any more, so the scheduler builds no events for it. */
  private stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.untally?.();
    this.untally = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.batch = [];
    this.dropped = 0;
  }
}
