import { createRequire } from 'node:module';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { InstrumentedRun, RunInstrumentation, RunObservation } from '../core/runs/run-instrumentation.js';

// @opentelemetry/api is an optional peer dependency: nothing imports a value from it at module load,
// so the package loads without it. It is required on first use (tracing: true), from this package's
// location as a static import would, so the application's copy and its registered tracer provider
// (kept on globalThis by the API itself) are the ones used.

type Api = typeof OpenTelemetryApi;

/** Options of openTelemetryInstrumentation (SchedulerModule's `tracing`). @publicApi */
export interface OpenTelemetryTracingOptions {
  /** The tracer's name. Default: 'nestjs-apscheduler'. */
  tracerName?: string;
  /** The provider to take the tracer from. Default: the global one (what the application's SDK registered). */
  tracerProvider?: OpenTelemetryApi.TracerProvider;
}

let api: Api | undefined;

function loadApi(user: string): Api {
  if (api) return api;
  try {
    api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code !== 'MODULE_NOT_FOUND' || typeof message !== 'string' || !message.includes("'@opentelemetry/api'")) throw error;
    throw new Error(
      `${user} needs the '@opentelemetry/api' package, an optional peer dependency of nestjs-apscheduler that is not installed: ` +
        'install it (npm install @opentelemetry/api) with the OpenTelemetry SDK the application uses, or turn tracing off.',
      { cause: error },
    );
  }
  return api;
}

/** The span attributes of a run (their names, for dashboards and queries). @publicApi */
export const RUN_SPAN_ATTRIBUTES = {
  jobId: 'scheduler.job.id',
  jobName: 'scheduler.job.name',
  store: 'scheduler.job.store',
  instanceId: 'scheduler.instance.id',
  scheduledTime: 'scheduler.run.scheduled_time',
  attempt: 'scheduler.run.attempt',
  outcome: 'scheduler.run.outcome',
} as const;

/**
 * One OpenTelemetry span per run: named `run <job name>`, a root span (a run is not part of whatever
 * request happened to wake the loop), with the job id and name, store, instance, scheduled time
 * (ISO-8601), attempt and outcome as attributes, an error recorded as an exception with status
 * ERROR. The handler runs in the span's context, so the spans it makes are its children. Without a
 * registered SDK the API's tracer makes no spans, and runs are left alone.
 * @publicApi
 */
export function openTelemetryInstrumentation(options: OpenTelemetryTracingOptions = {}): RunInstrumentation {
  const otel = loadApi('Scheduler tracing');
  const name = options.tracerName ?? 'nestjs-apscheduler';
  const tracer = (options.tracerProvider ?? otel.trace).getTracer(name);
  const { context, trace, ROOT_CONTEXT, SpanKind, SpanStatusCode } = otel;
  const a = RUN_SPAN_ATTRIBUTES;
  return {
    start(run: InstrumentedRun): RunObservation | null {
      const span = tracer.startSpan(
        `run ${run.jobName}`,
        {
          root: true,
          kind: SpanKind.INTERNAL,
          attributes: {
            [a.jobId]: run.jobId,
            [a.jobName]: run.jobName,
            [a.store]: run.store,
            [a.instanceId]: run.instanceId,
            [a.scheduledTime]: run.scheduledRunTime.toISOString(),
            [a.attempt]: run.attempt,
          },
        },
        ROOT_CONTEXT,
      );
      // No SDK (the API's no-op tracer): nothing to record or propagate.
      if (!trace.isSpanContextValid(span.spanContext())) return null;
      const active = trace.setSpan(ROOT_CONTEXT, span);
      return {
        enter: (call) => context.with(active, call),
        end: (outcome, error) => {
          span.setAttribute(a.outcome, outcome);
          if (error !== null) {
            span.recordException(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
          }
          span.end();
        },
      };
    },
  };
}
