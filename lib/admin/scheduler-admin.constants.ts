/** Injection token of the options as given to forRoot / returned by forRootAsync's factory. */
export const SCHEDULER_ADMIN_MODULE_OPTIONS = 'SCHEDULER_ADMIN_MODULE_OPTIONS';
/** Injection token of the checked options (ResolvedAdminOptions) every admin route reads. */
export const SCHEDULER_ADMIN_OPTIONS = 'SCHEDULER_ADMIN_OPTIONS';
/** Page at /scheduler, API at /scheduler/api. */
export const DEFAULT_ADMIN_PATH = 'scheduler';
/** The largest page a list route answers: a page of 500 rows is one indexed query on every store. */
export const MAX_ADMIN_PAGE = 500;
export const DEFAULT_ADMIN_PAGE = 50;
/** ms between the event stream's heartbeat comments: proxies close a stream silent for 30-60 s. */
export const DEFAULT_HEARTBEAT_INTERVAL = 15_000;
