import type { CanActivate, Type } from '@nestjs/common';
import { describeValue } from '../core/errors.js';
import { MAX_TIMER_MS } from '../utils/option-checks.js';
import type { SchedulerAdminOptions } from './interfaces/scheduler-admin-options.interface.js';
import { DEFAULT_ADMIN_PATH, DEFAULT_HEARTBEAT_INTERVAL } from './scheduler-admin.constants.js';
import { ASYNC_PATH_MESSAGE, NO_GUARDS_MESSAGE, invalidOption } from './scheduler-admin.messages.js';

/** The options every admin route reads, checked once at bootstrap. */
export interface ResolvedAdminOptions {
  path: string;
  guards: readonly (Type<CanActivate> | CanActivate)[];
  allowAnonymous: boolean;
  readOnly: boolean;
  heartbeatInterval: number;
}

const KEYS: ReadonlySet<string> = new Set(['path', 'guards', 'allowAnonymous', 'readOnly', 'heartbeatInterval']);
/** URL path segments of unreserved characters: the path is spliced into routes, never a pattern. */
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

const fail = (field: string, value: unknown, allowed: string): Error => new Error(invalidOption(field, describeValue(value), allowed));

/** `path` without its surrounding slashes; '' mounts the page at / and the API at /api. */
export function readAdminPath(value: unknown): string {
  if (value === undefined) return DEFAULT_ADMIN_PATH;
  if (typeof value !== 'string') throw fail('path', value, "allowed: a URL path such as 'scheduler' or 'ops/scheduler'");
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '' && !PATH.test(trimmed)) {
    throw fail('path', value, "allowed: segments of letters, digits and '.', '_', '~', '-' separated by '/'");
  }
  return trimmed;
}

/**
 * Checks the options at bootstrap (in a provider, so forRoot and forRootAsync fail the same way,
 * when the application is created). `path` was read when the module was built.
 */
export function resolveAdminOptions(input: unknown, path: string, pathFromFactory = false): ResolvedAdminOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw fail('options', input, 'allowed: an object of SchedulerAdminModule options');
  }
  const options = input as SchedulerAdminOptions & Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (options[key] !== undefined && !KEYS.has(key)) throw fail(key, options[key], `not an option; allowed: ${[...KEYS].join(', ')}`);
  }
  if (pathFromFactory && options.path !== undefined && readAdminPath(options.path) !== path) throw new Error(ASYNC_PATH_MESSAGE);
  const allowAnonymous = readFlag('allowAnonymous', options.allowAnonymous);
  const readOnly = readFlag('readOnly', options.readOnly);
  const guards = options.guards ?? [];
  if (!Array.isArray(guards)) throw fail('guards', guards, 'allowed: an array of guard classes or instances');
  guards.forEach((guard: unknown, i) => {
    const isClass = typeof guard === 'function';
    const isInstance = typeof guard === 'object' && guard !== null && typeof (guard as CanActivate).canActivate === 'function';
    if (!isClass && !isInstance) throw fail(`guards[${i}]`, guard, 'allowed: a guard class or an object with canActivate()');
  });
  if (guards.length === 0 && !allowAnonymous) throw new Error(NO_GUARDS_MESSAGE);
  const heartbeatInterval = options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  if (!Number.isInteger(heartbeatInterval) || heartbeatInterval < 1 || heartbeatInterval > MAX_TIMER_MS) {
    throw fail('heartbeatInterval', heartbeatInterval, `allowed: a whole number of ms from 1 to ${MAX_TIMER_MS}`);
  }
  return { path, guards: [...guards], allowAnonymous, readOnly, heartbeatInterval };
}

function readFlag(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw fail(field, value, 'allowed: true or false');
  return value;
}
