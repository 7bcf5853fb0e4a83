/**
 * Worker handlers of the executors scenario: a module file that worker threads and child
 * processes import (compiled to dist-bench/ like the rest of bench/). Each is fn(...args, ctx).
 */

/** Spins the CPU for `ms` without yielding. */
export function spin(ms: number): number {
  const end = Date.now() + ms;
  let n = 0;
  while (Date.now() < end) n++;
  return n;
}

export function noop(): undefined {
  return undefined;
}

/** bare piscina calls a handler with its task only. */
export function piscinaNoop(_task: unknown): undefined {
  return undefined;
}
