import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SchedulerAdminModule } from '../lib/admin/index.js';
import { SchedulerModule, TypeOrmJobStore } from '../lib/index.js';
import { sampleDatabase } from './database.js';
import { EventLoggerService } from './event-logger.service.js';
import { FlakyJob } from './jobs/flaky.job.js';
import { HeartbeatJob } from './jobs/heartbeat.job.js';
import { RemindersService } from './jobs/reminders.service.js';
import { WakeUpJob } from './jobs/wake-up.job.js';
import { JobsController } from './jobs.controller.js';

@Module({
  imports: [
    TypeOrmModule.forRoot(sampleDatabase()),
    SchedulerModule.forRootAsync({
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => ({
        stores: { default: new TypeOrmJobStore({ dataSource }) },
        jobDefaults: { misfireGraceTime: 2000 },
      }),
    }),
    // The dashboard at /scheduler and its REST API at /scheduler/api. allowAnonymous only because this
    // is a sample on localhost: an application passes its own guards (`guards: [JwtAuthGuard]`), since
    // anyone who reaches these routes can run, pause, reschedule and remove jobs.
    SchedulerAdminModule.forRoot({ allowAnonymous: true }),
  ],
  controllers: [JobsController],
  providers: [WakeUpJob, HeartbeatJob, FlakyJob, RemindersService, EventLoggerService],
})
export class AppModule {}
