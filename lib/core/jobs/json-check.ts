import { SerializationError } from '../errors.js';
import { describeThrown } from '../../utils/thrown-value.js';

/**
 * Refuses a value that would not come back equal from JSON: what a persistent store keeps must
 * read back as what the handler was given, or the job would run with different arguments.
 */
/** How deep args may nest: deeper JSON is a mistake, and would overflow the stack here and in drivers. */
export const MAX_JSON_DEPTH = 100;

export function assertJsonSafe(value: unknown, path: string, seen: Set<object> = new Set()): void {
  try {
    check(value, path, seen, 0);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    // A Proxy or getter that throws when read.
    throw new SerializationError(path, `it throws when read (${describeThrown(error)})`);
  }
}

function check(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} becomes null in JSON`);
      return;
    case 'undefined':
      return fail(path, 'undefined is not JSON (use null)');
    case 'bigint':
      return fail(path, 'a BigInt is not JSON (pass it as a string)');
    case 'symbol':
      return fail(path, 'a symbol is not JSON');
    case 'function':
      return fail(path, 'a function is not JSON (register it with @JobHandler and pass its name)');
  }
  if (value === null) return;
  if (depth >= MAX_JSON_DEPTH) fail(path, `it nests more than ${MAX_JSON_DEPTH} levels deep`);
  const object = value as object;
  if (seen.has(object)) fail(path, 'it contains a cycle');
  if (object instanceof Date) fail(path, 'a Date comes back as a string (pass date.toISOString())');
  if (Array.isArray(object)) {
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) fail(`${path}[${i}]`, 'a sparse array hole becomes null in JSON');
      check(object[i], `${path}[${i}]`, seen, depth + 1);
    }
    seen.delete(object);
    return;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    const kind = (proto?.constructor as { name?: string } | undefined)?.name ?? 'object';
    fail(path, `a ${kind} instance would come back as a plain object (pass plain data)`);
  }
  if (Object.getOwnPropertySymbols(object).length > 0) fail(path, 'symbol keys are not JSON');
  seen.add(object);
  for (const [key, item] of Object.entries(object)) {
    check(item, `${path}.${key}`, seen, depth + 1);
  }
  seen.delete(object);
}

function fail(path: string, reason: string): never {
  throw new SerializationError(path, reason);
}
