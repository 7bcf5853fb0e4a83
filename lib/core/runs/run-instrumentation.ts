/**
 * A run as an instrumentation sees it when it starts: what a trace span or a timer needs.
 * @publicApi
 */
export interface InstrumentedRun {
  readonly jobId: string;
  readonly jobName: string;
  readonly store: string;
  readonly instanceId: string;
  /** The fire time this run is for. */
  readonly scheduledRunTime: Date;
  /** The run's attempt: 1 (runs are not retried yet). */
  readonly attempt: number;
}

/** One run being observed, from just before its handler is called until it settles. @publicApi */
export interface RunObservation {
  /** Calls `call` (which calls the handler) in the observation's context, and returns what it returns. */
  enter<T>(call: () => T): T;
  /** The handler settled: 'executed', or 'error' with the error (a throw, a rejection, a timeout). */
  end(outcome: 'executed' | 'error', error: Error | null): void;
}

/**
 * Wraps every run of the scheduler (SchedulerOptions.instrumentation), e.g. in an OpenTelemetry
 * span (SchedulerModule's `tracing: true`). start() is called just before a handler is called and
 * may return null to leave that run alone. Neither method may be slow: they run once per fire.
 * Without an instrumentation a run pays one field read for it.
 * @publicApi
 */
export interface RunInstrumentation {
  start(run: InstrumentedRun): RunObservation | null;
}
