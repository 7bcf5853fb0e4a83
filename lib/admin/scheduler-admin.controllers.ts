import type { Type } from '@nestjs/common';
import { AdminEventsController } from './controllers/admin-events.controller.js';
import { AdminExecutionsController } from './controllers/admin-executions.controller.js';
import { AdminJobActionsController } from './controllers/admin-job-actions.controller.js';
import { AdminJobsController } from './controllers/admin-jobs.controller.js';
import { AdminStateController } from './controllers/admin-state.controller.js';
import { SchedulerAdminPageController } from './page/scheduler-admin-page.controller.js';

/**
 * Every controller the module mounts under its path. SchedulerAdminModule puts SchedulerAdminGuard
 * on each one listed here, so whatever is added to this list is behind the application's guards.
 */
export const ADMIN_CONTROLLERS: Type[] = [
  AdminStateController,
  AdminJobsController,
  AdminJobActionsController,
  AdminExecutionsController,
  AdminEventsController,
  SchedulerAdminPageController,
];
