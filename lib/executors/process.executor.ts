import { fork, type ChildProcess } from 'node:child_process';
import { readOptions, checkWhole } from '../utils/option-checks.js';
import {
  IsolatedExecutor,
  WorkerCrashError,
  isolatedOptionKeys,
  optionErrors,
  readCommonSettings,
  type IsolatedExecutorOptions,
  type WorkerMessage,
  type WorkerPool,
  rebuilt,
} from './isolated-executor.js';
import { runtimeFile } from './runtime-files.js';

/** @publicApi */
export interface ProcessExecutorOptions extends IsolatedExecutorOptions {
  /** Heap limit of each child process, MB (`--max-old-space-size`). Default: Node's. */
  maxOldSpaceSizeMb?: number;
  /** Node options of each child (fork's execArgv), e.g. ['--import', 'tsx']. Default: none. */
  execArgv?: string[];
  /** Environment of each child. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

const WHAT = 'ProcessExecutor';
const KEYS = isolatedOptionKeys(['maxOldSpaceSizeMb', 'execArgv', 'env']);
const fail = optionErrors(WHAT);
/** The end of a child's stderr kept to say why it died (V8 prints "heap out of memory" there). */
const STDERR_TAIL = 4096;

/**
 * Runs handlers in child processes (child_process.fork), one run per child at a time: isolation
 * from crashes, memory leaks and native code, at the cost of a process per worker. A child that
 * exits, is killed or runs out of memory ends its run with WorkerCrashError and is replaced.
 * Handlers are module files registered by name, as for WorkerThreadExecutor.
 * @publicApi
 */
export class ProcessExecutor extends IsolatedExecutor {
  private readonly execArgv: string[];
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(input: ProcessExecutorOptions = {}) {
    const options = readOptions(input, KEYS, WHAT, fail) as ProcessExecutorOptions;
    super(readCommonSettings(options, WHAT));
    const execArgv = options.execArgv ?? [];
    if (!(Array.isArray(execArgv) && execArgv.every((a) => typeof a === 'string'))) {
      throw fail('execArgv', options.execArgv, 'allowed: an array of strings');
    }
    if (options.maxOldSpaceSizeMb !== undefined) checkWhole(fail, 'maxOldSpaceSizeMb', options.maxOldSpaceSizeMb, 1, 1 << 20);
    if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
      throw fail('env', options.env, 'allowed: an object of environment variables');
    }
    this.execArgv =
      options.maxOldSpaceSizeMb === undefined ? [...execArgv] : [`--max-old-space-size=${options.maxOldSpaceSizeMb}`, ...execArgv];
    this.env = options.env;
  }

  protected createPool(): WorkerPool {
    return new ChildPool(this.settings.minWorkers, this.settings.idleTimeout, this.settings.nice, this.execArgv, this.env);
  }
}

interface Call {
  id: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Child {
  process: ChildProcess;
  call: Call | null;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  stderr: string;
  gone: boolean;
}

/** Forked children, each running one call at a time; the executor never asks for more than maxWorkers. */
class ChildPool implements WorkerPool {
  private readonly idle: Child[] = [];
  private readonly busy = new Map<number, Child>();
  private readonly all = new Set<Child>();

  constructor(
    private readonly minWorkers: number,
    private readonly idleTimeout: number,
    private readonly nice: number,
    private readonly execArgv: string[],
    private readonly env: NodeJS.ProcessEnv | undefined,
  ) {}

  run(message: WorkerMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let child: Child;
      try {
        child = this.idle.pop() ?? this.spawn();
      } catch (error) {
        reject(error);
        return;
      }
      clearTimeout(child.idleTimer);
      child.call = { id: message.id, resolve, reject };
      this.busy.set(message.id, child);
      child.process.ref();
      child.process.channel?.ref();
      try {
        child.process.send({ t: 'run', ...message });
      } catch (error) {
        this.ended(child, error);
      }
    });
  }

  abort(id: number, reason: { name: string; message: string }): void {
    const child = this.busy.get(id);
    if (child?.process.connected) child.process.send({ t: 'abort', id, reason }, () => undefined);
  }

  terminate(id: number): void {
    this.busy.get(id)?.process.kill('SIGKILL');
  }

  async close(): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const child of this.all) {
      clearTimeout(child.idleTimer);
      if (child.gone) continue;
      exits.push(new Promise((resolve) => child.process.once('exit', resolve)));
      // An idle child is unref'd: without this, the exit would not keep the loop alive to be seen.
      child.process.ref();
      child.process.kill();
    }
    await Promise.all(exits);
  }

  private spawn(): Child {
    const process = fork(runtimeFile('process-entry.mjs'), [String(this.nice)], {
      execArgv: this.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      ...(this.env ? { env: this.env } : {}),
    });
    const child: Child = { process, call: null, idleTimer: undefined, stderr: '', gone: false };
    this.all.add(child);
    process.stderr?.on('data', (chunk: Buffer) => {
      globalThis.process.stderr.write(chunk);
      child.stderr = (child.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    process.on('message', (message: { t?: string; id?: number; ok?: boolean; value?: unknown; error?: never; fatal?: boolean }) => {
      if (message?.t !== 'done' || child.call === null || child.call.id !== message.id) return;
      // An uncaught throw: the child exits after this answer, and takes no other run.
      if (message.fatal) child.gone = true;
      if (message.ok) this.ended(child, undefined, message.value);
      else this.ended(child, rebuilt(message.error!));
    });
    process.on('error', (error) => {
      if (child.call !== null) this.ended(child, error);
    });
    process.on('exit', (code, signal) => {
      child.gone = true;
      this.all.delete(child);
      const at = this.idle.indexOf(child);
      if (at >= 0) this.idle.splice(at, 1);
      clearTimeout(child.idleTimer);
      if (child.call !== null) this.ended(child, crash(code, signal, child.stderr));
    });
    return child;
  }

  /** A call ended (answer, crash or failed send): settle it, and keep the child if it lives. */
  private ended(child: Child, error: unknown, value?: unknown): void {
    const call = child.call;
    if (call === null) return;
    child.call = null;
    this.busy.delete(call.id);
    if (error === undefined) call.resolve(value);
    else call.reject(error);
    if (child.gone || !child.process.connected) {
      if (!child.gone) child.process.kill('SIGKILL');
      return;
    }
    child.process.unref();
    child.process.channel?.unref();
    this.idle.push(child);
    child.idleTimer = setTimeout(() => {
      if (child.call === null && this.all.size > this.minWorkers) child.process.kill();
    }, this.idleTimeout);
    child.idleTimer.unref();
  }
}

function crash(code: number | null, signal: NodeJS.Signals | null, stderr: string): WorkerCrashError {
  if (/heap out of memory|Reached heap limit/i.test(stderr)) {
    return new WorkerCrashError(
      'the child process ran out of memory (ERR_CHILD_OUT_OF_MEMORY): JavaScript heap out of memory',
      'ERR_CHILD_OUT_OF_MEMORY',
    );
  }
  if (signal !== null) return new WorkerCrashError(`the child process was killed by ${signal} while running the job`, 'ERR_CHILD_KILLED');
  return new WorkerCrashError(`the child process exited with code ${code} while running the job`, 'ERR_CHILD_EXITED');
}
