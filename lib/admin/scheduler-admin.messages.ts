/** The admin module's error messages, in one place so tests and docs quote the same words. */
export const NO_GUARDS_MESSAGE =
  'SchedulerAdminModule needs `guards` (the Nest guards that already protect your application, e.g. its JWT or ' +
  'session guard), or `allowAnonymous: true` to serve the dashboard and its REST API to anyone who can reach it. ' +
  'Without either it refuses to start, so an unprotected admin is never mounted by accident.';

export const invalidOption = (field: string, value: string, allowed: string): string =>
  `Invalid SchedulerAdminModule option '${field}': ${value}; ${allowed}`;

export const ASYNC_PATH_MESSAGE =
  'SchedulerAdminModule.forRootAsync: give `path` beside the factory (forRootAsync({ path, useFactory })), not from it: routes are mounted before factories run';

export const ASYNC_NEEDS_FACTORY = 'SchedulerAdminModule.forRootAsync needs one of useFactory, useClass or useExisting';

export const READ_ONLY_MESSAGE = 'The scheduler admin is read-only (readOnly: true): actions are disabled';

export const JSON_ONLY_MESSAGE =
  "Actions need 'Content-Type: application/json' (send the body {}): a cross-site form or image cannot send it";

export const invalidParameter = (where: 'query parameter' | 'body field', field: string, value: string, allowed: string): string =>
  `Invalid ${where} '${field}': ${value}; ${allowed}`;
