// Runs one job handler inside a worker thread or a child process (plain JavaScript: Node loads
// this file itself, not through TypeScript). The main side sends the handler's module and export,
// the job's args and the run's context; this file imports the module (once), calls
// `fn(...args, ctx)` with ctx.signal as an AbortSignal, and answers { ok, value } or { ok, error }.

/** Imported modules by URL: a handler's file is imported once per worker. */
const modules = new Map();
/** The AbortController of each call in progress, by call id. */
const calls = new Map();

/** An error as plain data: name, message, stack and code survive any channel. */
export function describeError(error) {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const described = {
      name: String(error.name ?? 'Error'),
      message: String(error.message ?? ''),
      stack: typeof error.stack === 'string' ? error.stack : undefined,
    };
    if (error.code !== undefined) described.code = String(error.code);
    return described;
  }
  let text;
  try {
    text = typeof error === 'string' ? error : JSON.stringify(error);
  } catch {
    text = String(error);
  }
  return { name: 'Error', message: `the handler threw a non-Error value: ${text}` };
}

/** Handlers already imported, by "url#export": a call to one of them does not wait for a promise. */
const handlers = new Map();

async function load(url, name) {
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = import(url);
    modules.set(url, loading);
    loading.catch(() => modules.delete(url));
  }
  const module = await loading;
  const fn = module[name];
  if (typeof fn !== 'function') {
    const found = Object.keys(module).filter((key) => typeof module[key] === 'function');
    throw new TypeError(`${url} does not export a function '${name}' (it exports: ${found.join(', ') || 'no functions'})`);
  }
  handlers.set(`${url}#${name}`, fn);
  return fn;
}

/** The handler's ctx; its AbortController is made when `signal` is first read (or to abort). */
class Context {
  #id;

  constructor(id, c) {
    this.jobId = c.jobId;
    this.jobName = c.jobName;
    this.scheduledRunTime = new Date(c.scheduledRunTime);
    this.instanceId = c.instanceId;
    this.attempt = c.attempt ?? 1;
    this.#id = id;
  }

  get signal() {
    return controllerOf(this.#id).signal;
  }
}

function controllerOf(id) {
  let controller = calls.get(id);
  if (controller === undefined || controller === null) {
    controller = new AbortController();
    calls.set(id, controller);
  }
  return controller;
}

function failed(error) {
  return { ok: false, error: describeError(error) };
}

/**
 * Calls the handler of `message`; never rejects. A handler already imported that returns a plain
 * value answers synchronously, without a promise.
 */
export function runCall(message) {
  const { id } = message;
  calls.set(id, null);
  const fn = handlers.get(`${message.module}#${message.export}`);
  if (fn === undefined) {
    return load(message.module, message.export).then(
      () => runCall(message),
      (error) => {
        calls.delete(id);
        return failed(error);
      },
    );
  }
  let value;
  try {
    value = fn(...message.args, new Context(id, message.ctx));
  } catch (error) {
    calls.delete(id);
    return failed(error);
  }
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof value.then !== 'function') {
    calls.delete(id);
    return { ok: true, value };
  }
  return Promise.resolve(value).then(
    (result) => {
      calls.delete(id);
      return { ok: true, value: result };
    },
    (error) => {
      calls.delete(id);
      return failed(error);
    },
  );
}

/** The scheduler aborted call `id` (timeout, shutdown): its handler's ctx.signal aborts. */
export function abortCall(id, reason) {
  if (!calls.has(id)) return;
  const error = new Error(reason?.message ?? 'aborted');
  error.name = reason?.name ?? 'AbortError';
  controllerOf(id).abort(error);
}
