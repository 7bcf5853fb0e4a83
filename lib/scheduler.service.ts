import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { InvalidSchedulerOptionError } from './core/errors.js';
import { Scheduler } from './core/scheduler.js';
import { checkBoolean, checkName, readOptions, type OptionErrorFactory } from './utils/option-checks.js';
import type { RunInstrumentation } from './core/runs/run-instrumentation.js';
import type { OpenTelemetryTracingOptions } from './tracing/opentelemetry-instrumentation.js';
import type { SchedulerModuleOptions } from './interfaces/scheduler-module-options.interface.js';
import { SCHEDULER_MODULE_OPTIONS } from './scheduler.constants.js';
import { openTelemetryInstrumentation } from './tracing/opentelemetry-instrumentation.js';

/** What a start of the Nest scheduler does besides the core's (see SchedulerOrchestrator). */
interface StartSteps {
  /** Work for a start to do while no pass has run yet (it starts paused, then resumes). */
  beforeFirstPass?: () => Promise<void>;
  afterStart?: () => Promise<void>;
}

/** The core's `instrumentation` for the module's `tracing` option. */
function tracingOption(tracing: SchedulerModuleOptions['tracing'], instrumentation: unknown): { instrumentation?: RunInstrumentation } {
  if (tracing === undefined || tracing === false) return {};
  if (tracing !== true && (typeof tracing !== 'object' || tracing === null || Array.isArray(tracing))) {
    throw new InvalidSchedulerOptionError('tracing', tracing, 'allowed: true, false or { tracerName?, tracerProvider? }');
  }
  if (instrumentation !== undefined) {
    throw new InvalidSchedulerOptionError(
      'tracing',
      tracing,
      'allowed: tracing or instrumentation, not both (tracing is an instrumentation)',
    );
  }
  const options = readOptions(
    tracing === true ? {} : tracing,
    TRACING_KEYS,
    'tracing',
    (field, value, allowed) => new InvalidSchedulerOptionError(`tracing.${field}`, value, allowed),
  ) as OpenTelemetryTracingOptions;
  if (options.tracerName !== undefined) checkName(fail, 'tracing.tracerName', options.tracerName, 200);
  if (options.tracerProvider !== undefined && typeof (options.tracerProvider as { getTracer?: unknown }).getTracer !== 'function') {
    throw new InvalidSchedulerOptionError('tracing.tracerProvider', options.tracerProvider, 'allowed: an OpenTelemetry TracerProvider');
  }
  return { instrumentation: openTelemetryInstrumentation(options) };
}

const TRACING_KEYS: ReadonlySet<string> = new Set(['tracerName', 'tracerProvider']);
const fail: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(field, value, allowed);

/** Kept outside the class so that they are not part of SchedulerService's public surface. */
const startSteps = new WeakMap<SchedulerService, StartSteps>();

/** Sets the steps every start() of `service` takes (the orchestrator does, at bootstrap). */
export function setStartSteps(service: SchedulerService, steps: StartSteps): void {
  startSteps.set(service, steps);
}

/**
 * The injectable scheduler: the core Scheduler with Nest's lifecycle. The orchestrator starts it
 * on application bootstrap, after the explorer has registered every decorated method; it stops
 * before the application's connections close, so running jobs can still write their history.
 * @publicApi
 */
@Injectable()
export class SchedulerService extends Scheduler implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(SCHEDULER_MODULE_OPTIONS) options: SchedulerModuleOptions) {
    // The module's own options are read by the orchestrator; the rest are the core's.
    const { autoStart, startPaused, removeOrphanedJobs, jobs: _jobs, tracing, ...core } = options ?? {};
    super({ ...core, ...tracingOption(tracing, core.instrumentation), logger: new Logger('SchedulerModule') });
    const fail: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(field, value, allowed);
    for (const [field, value] of Object.entries({ autoStart, startPaused, removeOrphanedJobs }))
      if (value !== undefined) checkBoolean(fail, field, value);
  }

  override async start(opts: { paused?: boolean } = {}): Promise<void> {
    const steps = startSteps.get(this) ?? {};
    if (steps.beforeFirstPass === undefined) {
      await super.start(opts);
    } else {
      await super.start({ paused: true });
      try {
        await steps.beforeFirstPass();
      } finally {
        if (opts.paused !== true && this.state === 'paused') this.resume();
      }
    }
    await steps.afterStart?.();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.state !== 'stopped') await this.shutdown({ wait: true });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.state !== 'stopped') await this.shutdown({ wait: true });
  }
}
