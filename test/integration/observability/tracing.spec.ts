import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  InvalidSchedulerOptionError,
  openTelemetryInstrumentation,
  RUN_SPAN_ATTRIBUTES,
  ScheduledJob,
  SchedulerModule,
  SchedulerService,
} from '../../../lib/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What @opentelemetry/context-async-hooks does: the active context follows async work. */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A) {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

@Injectable()
class TracedJobs {
  /** Does its own traced work: its span must be a child of the run's. */
  @ScheduledJob({ id: 'report', trigger: { type: 'date', runDate: new Date(Date.now() + 300) } })
  async report(): Promise<void> {
    await trace.getTracer('app').startActiveSpan('query reports', async (span) => {
      await sleep(5);
      span.end();
    });
  }

  @ScheduledJob({ id: 'broken', name: 'Broken job', trigger: { type: 'date', runDate: new Date(Date.now() + 300) } })
  broken(): void {
    throw new RangeError('out of range');
  }
}

describe('tracing', () => {
  it('makes no span and leaves runs alone without an OpenTelemetry SDK', () => {
    // No tracer provider registered yet: the API's tracer is a no-op.
    const instrumentation = openTelemetryInstrumentation();
    const run = { jobId: 'x', jobName: 'x', store: 'default', instanceId: 'i', scheduledRunTime: new Date(), attempt: 1 };
    expect(instrumentation.start(run)).toBeNull();
  });

  describe('with an SDK', () => {
    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager());
      trace.setGlobalTracerProvider(provider);
    });
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it('records one span per run with its attributes, the handler spans as children, errors as status', async () => {
      @Module({ imports: [SchedulerModule.forRoot({ timezone: 'UTC', tracing: true })], providers: [TracedJobs] })
      class AppModule {}
      const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = ref.createNestApplication({ logger: false });
      await app.init();
      const scheduler = app.get(SchedulerService);
      try {
        await sleep(500);
        const spans = exporter.getFinishedSpans();
        const run = spans.find((s) => s.name === 'run TracedJobs.report');
        const child = spans.find((s) => s.name === 'query reports');
        const broken = spans.find((s) => s.name === 'run Broken job');
        expect(run && child && broken).toBeTruthy();
        const records = await scheduler.getExecutions();
        const reportRun = records.find((r) => r.jobId === 'report')!;
        expect(run!.attributes).toEqual({
          [RUN_SPAN_ATTRIBUTES.jobId]: 'report',
          [RUN_SPAN_ATTRIBUTES.jobName]: 'TracedJobs.report',
          [RUN_SPAN_ATTRIBUTES.store]: 'default',
          [RUN_SPAN_ATTRIBUTES.instanceId]: scheduler.instanceId,
          [RUN_SPAN_ATTRIBUTES.scheduledTime]: reportRun.scheduledRunTime.toISOString(),
          [RUN_SPAN_ATTRIBUTES.attempt]: 1,
          [RUN_SPAN_ATTRIBUTES.outcome]: 'executed',
        });
        // A root span: a run is not part of whatever woke the loop.
        expect(run!.parentSpanContext).toBeUndefined();
        expect(child!.parentSpanContext?.spanId).toBe(run!.spanContext().spanId);
        expect(child!.spanContext().traceId).toBe(run!.spanContext().traceId);
        expect(run!.status.code).toBe(SpanStatusCode.UNSET);

        expect(broken!.attributes[RUN_SPAN_ATTRIBUTES.outcome]).toBe('error');
        expect(broken!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'RangeError: out of range' });
        expect(broken!.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'out of range']]);
        expect(records.map((r) => r.status).sort()).toEqual(['error', 'executed']);
      } finally {
        await app.close();
      }
    });

    it('refuses a bad tracing option, and tracing together with an instrumentation', async () => {
      const boot = async (options: object) => {
        const ref = await Test.createTestingModule({ imports: [SchedulerModule.forRoot(options)] }).compile();
        return ref.createNestApplication({ logger: false });
      };
      await expect(boot({ tracing: 'yes' })).rejects.toThrow(InvalidSchedulerOptionError);
      await expect(boot({ tracing: 'yes' })).rejects.toThrow(
        /'tracing': "yes"; allowed: true, false or \{ tracerName\?, tracerProvider\? \}/,
      );
      await expect(boot({ tracing: { tracer: 'x' } })).rejects.toThrow(/'tracing.tracer'.*not a tracing option/);
      await expect(boot({ tracing: true, instrumentation: { start: () => null } })).rejects.toThrow(/tracing or instrumentation, not both/);
    });
  });
});
