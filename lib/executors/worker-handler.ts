import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidSchedulerOptionError } from '../core/errors.js';
import type { JobHandlerFunction } from '../core/jobs/job-options.js';

/**
 * A handler for a worker executor (WorkerThreadExecutor, ProcessExecutor): a module file and the
 * name of the function it exports. The worker imports the file and calls the export as
 * `fn(...args, ctx)`, so only the job's args (JSON) and the context cross into it.
 * @publicApi
 */
export interface WorkerHandlerRef {
  /** The module file: a file: URL (`new URL('./report.job.js', import.meta.url)`) or an absolute path. */
  module: URL | string;
  /** The exported function's name. @default 'default' */
  export?: string;
}

/** Where a worker handler is, normalised: a file: URL and an export name. */
export interface WorkerTarget {
  readonly module: string;
  readonly export: string;
}

const TARGET = Symbol('nestjs-apscheduler.workerHandler');
type Marked = JobHandlerFunction & { [TARGET]?: WorkerTarget };

/** One stand-in per module and export, so the same file registered twice is not a conflict. */
const made = new Map<string, JobHandlerFunction>();

/**
 * The registry entry of a worker handler: register it under a name (or list it in an executor's
 * `handlers` option, which does this), and jobs on a worker executor may name it as `handler`.
 * Called in this process (a job on an in-process executor), it throws: it only stands for the file.
 * @publicApi
 */
export function workerHandler(ref: WorkerHandlerRef): JobHandlerFunction {
  const target = readWorkerHandlerRef(ref, 'handler');
  const key = `${target.module}#${target.export}`;
  const known = made.get(key);
  if (known) return known;
  const stub: Marked = () => {
    throw new Error(
      `The handler in ${target.module} (export '${target.export}') runs only on a worker executor (WorkerThreadExecutor or ProcessExecutor); give its job such an executor`,
    );
  };
  Object.defineProperty(stub, TARGET, { value: target });
  Object.defineProperty(stub, 'name', { value: target.export });
  made.set(key, stub);
  return stub;
}

/** The module and export a registered handler stands for; undefined for a function of this process. */
export function workerTargetOf(handler: unknown): WorkerTarget | undefined {
  return typeof handler === 'function' ? (handler as Marked)[TARGET] : undefined;
}

/** Checks a WorkerHandlerRef; `field` names it in the error. */
export function readWorkerHandlerRef(ref: unknown, field: string): WorkerTarget {
  const fail = (value: unknown, allowed: string) => new InvalidSchedulerOptionError(field, value, allowed);
  if (typeof ref !== 'object' || ref === null || ref instanceof URL) {
    throw fail(ref, "allowed: { module: a file: URL or an absolute path, export?: the function's name }");
  }
  const { module, export: name = 'default', ...rest } = ref as WorkerHandlerRef;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw fail(ref, `unknown key '${extra[0]}'; allowed: module, export`);
  let href: string;
  if (module instanceof URL) href = module.href;
  else if (typeof module === 'string' && isAbsolute(module)) href = pathToFileURL(module).href;
  else if (typeof module === 'string' && module.startsWith('file:')) href = new URL(module).href;
  else throw fail(module, "allowed: module as a file: URL (new URL('./x.job.js', import.meta.url)) or an absolute path");
  if (!href.startsWith('file:')) throw fail(module, 'allowed: a file: URL (a worker imports a file of this machine)');
  if (typeof name !== 'string' || name === '') throw fail(name, "allowed: export as the exported function's name");
  return { module: href, export: name };
}

/** An executor's `handlers` option: names to worker handlers. */
export function readWorkerHandlers(input: unknown, what: string): Readonly<Record<string, JobHandlerFunction>> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidSchedulerOptionError(`${what}.handlers`, input, 'allowed: an object of handler names to { module, export }');
  }
  const handlers: Record<string, JobHandlerFunction> = {};
  for (const [name, ref] of Object.entries(input)) {
    if (name === '') throw new InvalidSchedulerOptionError(`${what}.handlers`, name, 'allowed: non-empty handler names');
    const target = readWorkerHandlerRef(ref, `${what}.handlers['${name}']`);
    handlers[name] = workerHandler({ module: target.module, export: target.export });
  }
  return Object.freeze(handlers);
}
