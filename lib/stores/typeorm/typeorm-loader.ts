import { createRequire } from 'node:module';
import type * as TypeOrm from 'typeorm';

// typeorm is an optional peer dependency: an application on the memory store need not install it,
// and the package root must load without it. So no file of the package imports a typeorm value at
// module load; the few things that need one (the entities, a migration's up(), TypeOrmJobStore)
// ask here on first use. The load is synchronous (createSchedulerEntities returns its entities) and
// resolves 'typeorm' from this package's own location, as a static import would: the application's
// copy. typeorm 0.3 and 1.x are CommonJS with an ES module entry that re-exports the same instance,
// so the application and this package share one.

/** The typeorm module, as `import * as typeorm from 'typeorm'` gives it. */
export type TypeOrmModule = typeof TypeOrm;

let typeorm: TypeOrmModule | undefined;

/**
 * The application's typeorm, loaded on first use. Without typeorm installed, throws an Error naming
 * `user` (what needed it) and saying to install it.
 */
export function loadTypeOrm(user: string): TypeOrmModule {
  if (typeorm) return typeorm;
  try {
    typeorm = createRequire(import.meta.url)('typeorm') as TypeOrmModule;
  } catch (error) {
    if (!isTypeOrmNotFound(error)) throw error;
    throw new Error(
      `${user} needs the 'typeorm' package, an optional peer dependency of nestjs-apscheduler that is not installed: ` +
        `install it (npm install typeorm, version ^0.3.20 or ^1.0.0) with the driver for your database. ` +
        'The memory store (MemoryJobStore, the default) needs neither.',
      { cause: error },
    );
  }
  return typeorm;
}

/** typeorm itself is missing, not one of its own dependencies (that error is passed on as it is). */
function isTypeOrmNotFound(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.startsWith("Cannot find module 'typeorm'");
}

/**
 * An array whose items are made on first use. Every operation on it (an index, `length`, iterating,
 * spreading, `map`, `Array.isArray`, JSON, assigning) first fills it once and then acts on the filled
 * array, so a constant whose items need typeorm can be exported without loading typeorm at import.
 * If `make` throws, the array stays empty and the next use tries again. (Only `util.inspect` looks
 * past a Proxy without using it: it shows `[]` until the first use.)
 */
export function lazyArray<T>(make: () => T[]): T[] {
  const items: T[] = [];
  let filled = false;
  const fill = (): T[] => {
    if (!filled) {
      items.push(...make());
      filled = true;
    }
    return items;
  };
  // Each trap fills the target itself before acting on it, so the Proxy's invariants (which compare
  // with the target's own properties, such as the non-configurable `length`) always hold.
  return new Proxy(items, {
    get: (_target, key, receiver) => Reflect.get(fill(), key, receiver),
    set: (_target, key, value, receiver) => Reflect.set(fill(), key, value, receiver),
    has: (_target, key) => Reflect.has(fill(), key),
    ownKeys: () => Reflect.ownKeys(fill()),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(fill(), key),
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(fill(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(fill(), key),
    preventExtensions: () => Reflect.preventExtensions(fill()),
    isExtensible: () => Reflect.isExtensible(fill()),
  });
}
