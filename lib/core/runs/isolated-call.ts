import type { Executor } from '../../executors/executor.js';
import { workerTargetOf } from '../../executors/worker-handler.js';
import { InvalidJobOptionError } from '../errors.js';
import type { JobContext, JobHandlerFunction } from '../jobs/job-options.js';

/**
 * Why a handler cannot run on an executor, or null when it can: an executor with invoke() (a
 * worker thread, a child process) runs only module-file handlers (workerHandler()), and an
 * in-process executor cannot run those. Checked when a job is added or changed (so a decorated
 * job is refused at bootstrap) and again when a stored job runs.
 */
export function placementError(handlerName: string, handler: unknown, alias: string, executor: Executor | undefined): Error | null {
  if (executor === undefined || handler === undefined) return null;
  const isolated = typeof executor.invoke === 'function';
  const target = workerTargetOf(handler);
  if (isolated && target === undefined) {
    const kind = executor.constructor?.name ?? 'worker executor';
    return new InvalidJobOptionError(
      'executor',
      alias,
      `executor '${alias}' is a ${kind}, which runs handlers outside this process's event loop, and handler '${handlerName}' is a function of this process (a @ScheduledJob or @JobHandler method, or a function given to addJob), which cannot move there. ` +
        `Export the work from a module file and register that file under a name, e.g. new ${kind}({ handlers: { 'reports.build': { module: new URL('./reports.job.js', import.meta.url), export: 'buildReport' } } }), ` +
        `then name it as the job's handler (a @ScheduledJob method can schedule it with scheduler.addJob); or run this job on an in-process executor (AsyncExecutor)`,
    );
  }
  if (!isolated && target !== undefined) {
    return new InvalidJobOptionError(
      'executor',
      alias,
      `handler '${handlerName}' is a module file for a worker executor (${target.module}, export '${target.export}'), and executor '${alias}' runs handlers in this process; give the job the alias of a WorkerThreadExecutor or ProcessExecutor`,
    );
  }
  return null;
}

/**
 * The handler a Submission calls for a job on an executor with invoke(): a function that hands
 * the call (the job's args, then ctx) to the executor, so the run's record, events and timeout
 * stay the scheduler's. A handler that cannot run there throws placementError's error.
 */
export function isolatedHandler(handlerName: string, handler: JobHandlerFunction, alias: string, executor: Executor): JobHandlerFunction {
  const target = workerTargetOf(handler);
  if (target === undefined) {
    const error = placementError(handlerName, handler, alias, executor)!;
    return () => {
      throw error;
    };
  }
  const invoke = executor.invoke!.bind(executor);
  return ((...argv: unknown[]) => {
    const ctx = argv.pop() as JobContext;
    return invoke({ handler: handlerName, target, args: argv, ctx });
  }) as JobHandlerFunction;
}
