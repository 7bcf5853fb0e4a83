/** Values a handler may throw or reject with that do not turn into an Error easily. */

/**
 * Hostile values are hostile while a test runs. A test disarms them when it is over: should the
 * scheduler let one escape as an uncaught exception, Jest can then still print the failure instead
 * of crashing the whole file on it.
 */
const hostility = { armed: true };

export function armHostileValues(): void {
  hostility.armed = true;
}

export function disarmHostileValues(): void {
  hostility.armed = false;
}

const explode = (what: string) =>
  function (this: unknown) {
    if (hostility.armed) throw new Error(`${what} exploded`);
    return `(${what}, disarmed)`;
  };

/** Every way of reading it as an error throws: its message, stack, name, toString and primitive value. */
function hostileObject(): object {
  return Object.defineProperties(
    {},
    {
      message: { get: explode('message getter'), enumerable: true },
      stack: { get: explode('stack getter'), enumerable: true },
      name: { get: explode('name getter'), enumerable: true },
      toString: { value: explode('toString') },
      [Symbol.toPrimitive]: { value: explode('toPrimitive') },
    },
  );
}

/** A genuine Error (instanceof passes) whose message, stack and name getters throw. */
function hostileError(): Error {
  const error = new Error('never readable');
  // The stack is formatted lazily, from the message: made now, before the message turns hostile.
  void error.stack;
  Object.defineProperties(error, {
    stack: { get: explode('stack getter'), configurable: true },
    name: { get: explode('name getter'), configurable: true },
    toString: { value: explode('toString'), configurable: true },
  });
  Object.defineProperty(error, 'message', { get: explode('message getter'), configurable: true });
  return error;
}

/**
 * A revoked Proxy while armed: every trap answers as a revoked proxy's does (TypeError "Cannot
 * perform 'get' on a proxy that has been revoked", `instanceof` included); a plain object after.
 */
export function revokedProxy(): object {
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const target = {};
  const handler: ProxyHandler<object> = {};
  for (const trap of [
    'defineProperty',
    'deleteProperty',
    'get',
    'getOwnPropertyDescriptor',
    'getPrototypeOf',
    'has',
    'isExtensible',
    'ownKeys',
    'preventExtensions',
    'set',
    'setPrototypeOf',
  ] as const) {
    (handler as Record<string, unknown>)[trap] = (_target: object, ...args: unknown[]) =>
      (Reflect[trap] as (...a: unknown[]) => unknown)(hostility.armed ? revoked : target, ...args);
  }
  return new Proxy(target, handler);
}

/** Looks like a promise, but reading `then` throws. */
function thenGetterThrows(): object {
  return Object.defineProperty({}, 'then', { get: explode('then getter'), enumerable: true });
}

export interface HostileValue {
  /** Part of a job id. */
  key: string;
  description: string;
  make(): unknown;
}

/** Thrown synchronously or rejected with. */
export const HOSTILE_THROWN: readonly HostileValue[] = [
  { key: 'null', description: 'null', make: () => null },
  { key: 'undefined', description: 'undefined', make: () => undefined },
  { key: 'nullproto', description: 'a null-prototype object', make: () => Object.create(null) },
  {
    key: 'nullproto-bigint',
    description: 'a null-prototype object holding a BigInt (JSON.stringify and String() both throw)',
    make: () => Object.assign(Object.create(null), { size: 10n }),
  },
  { key: 'hostile-object', description: 'an object whose message/stack/name getters throw', make: hostileObject },
  { key: 'hostile-error', description: 'an Error whose message/stack/name getters throw', make: hostileError },
  { key: 'revoked-proxy', description: 'a revoked Proxy', make: revokedProxy },
  { key: 'then-getter', description: 'an object whose then getter throws', make: thenGetterThrows },
];

/** Returned by the handler instead of a result. */
export const HOSTILE_RETURNED: readonly (HostileValue & { timeout?: number })[] = [
  { key: 'then-getter', description: 'a promise-like whose then getter throws', make: thenGetterThrows },
  { key: 'revoked-proxy', description: 'a revoked Proxy', make: revokedProxy },
  {
    key: 'then-throws',
    description: 'a thenable whose then() throws a revoked Proxy',
    make: () => ({
      then() {
        throw revokedProxy();
      },
    }),
  },
  { key: 'never-settles', description: 'a thenable that never settles, with timeout set', make: () => ({ then() {} }), timeout: 150 },
];

/** What a subscriber reading an event's error gets; never throws itself. */
export function readError(error: unknown): { isError: boolean; message: unknown; problems: string[] } {
  const problems: string[] = [];
  const say = (what: string, thrown: unknown) => problems.push(`${what} threw ${thrown instanceof Error ? thrown.message : typeof thrown}`);
  let isError = false;
  let message: unknown;
  try {
    isError = error instanceof Error;
  } catch (thrown) {
    say('instanceof Error', thrown);
  }
  try {
    message = (error as Error).message;
  } catch (thrown) {
    say('reading .message', thrown);
  }
  return { isError, message, problems };
}
