// The entry point `nestjs-apscheduler/admin`: nothing in the package root imports it, so an
// application without the dashboard loads none of it.
export { SchedulerAdminModule } from './scheduler-admin.module.js';
export { SchedulerAdminGuard } from './guards/scheduler-admin.guard.js';
export { SCHEDULER_ADMIN_OPTIONS, SCHEDULER_ADMIN_MODULE_OPTIONS } from './scheduler-admin.constants.js';
export type {
  SchedulerAdminAsyncOptions,
  SchedulerAdminOptions,
  SchedulerAdminOptionsFactory,
} from './interfaces/scheduler-admin-options.interface.js';
export type { ResolvedAdminOptions } from './scheduler-admin.options.js';
export type { JobView } from './views/job-view.js';
export type { JobListView } from './controllers/admin-jobs.controller.js';
export type { SchedulerStateView } from './controllers/admin-state.controller.js';
export { describeTrigger } from './views/trigger-text.js';

// Health (@nestjs/terminus, an optional peer loaded on the first isHealthy) and metrics
// (prom-client, an optional peer loaded when a SchedulerMetrics is made).
export { SchedulerHealthIndicator, type SchedulerHealthResult } from './health/scheduler-health.indicator.js';
export { assessSchedulerHealth, type SchedulerHealthOptions, type SchedulerHealthVerdict } from './health/scheduler-health.rules.js';
export { SchedulerMetrics, type MetricsRegistry, type SchedulerMetricsOptions } from './metrics/scheduler-metrics.js';
