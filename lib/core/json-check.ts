import { SerializationError } from './errors.js';

/**
 * Refuses a value that would not come back equal from JSON: what a persistent store keeps must
 * read back as what the handler was given, or the job would run with different arguments.
 */
export function assertJsonSafe(value: unknown, path: string, seen: Set<object> = new Set()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} becomes null in JSON`);
      return;
    case 'undefined':
      fail(path, 'undefined is not JSON (use null)');
    case 'bigint':
      fail(path, 'a BigInt is not JSON (pass it as a string)');
    case 'symbol':
      fail(path, 'a symbol is not JSON');
    case 'function':
      fail(path, 'a function is not JSON (register it with @JobHandler and pass its name)');
  }
  if (value === null) return;
  const object = value as object;
  if (seen.has(object)) fail(path, 'it contains a cycle');
  if (object instanceof Date) fail(path, 'a Date comes back as a string (pass date.toISOString())');
  if (Array.isArray(object)) {
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) fail(`${path}[${i}]`, 'a sparse array hole becomes null in JSON');
      assertJsonSafe(object[i], `${path}[${i}]`, seen);
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
    assertJsonSafe(item, `${path}.${key}`, seen);
  }
  seen.delete(object);
}

function fail(path: string, reason: string): never {
  throw new SerializationError(path, reason);
}
