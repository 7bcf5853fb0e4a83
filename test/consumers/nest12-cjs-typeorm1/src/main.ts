// A CommonJS Nest 12 application on TypeORM 1 and SQLite, compiled with the tsconfig of Nest 12's
// `nest new --type cjs` (module nodenext, no "type" in package.json). It imports the package through require(),
// creates the tables with the scheduler's migrations, and checks that a decorated and a dynamic job
// run on the TypeORM store.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  JobHandler,
  SCHEDULER_ENTITIES,
  ScheduledJob,
  SchedulerMigrations,
  SchedulerModule,
  SchedulerService,
  TypeOrmJobStore,
  type JobContext,
} from 'nestjs-apscheduler';
import { SchedulerAdminModule } from 'nestjs-apscheduler/admin';

const ran = new Set<string>();

@Injectable()
class Jobs {
  @ScheduledJob({ trigger: { type: 'interval', milliseconds: 250 } })
  decorated(ctx: JobContext): void {
    if (ctx.jobId === 'Jobs.decorated') ran.add('decorated');
  }

  @JobHandler('consumer.greet')
  greet(word: string, ctx: JobContext): void {
    if (word === 'hello' && ctx.jobId === 'dynamic') ran.add('dynamic');
  }
}

@Module({
  imports: [
    // The tables made by the migrations, as with synchronize: false in production.
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: 'consumer.sqlite',
      entities: [...SCHEDULER_ENTITIES],
      migrations: SchedulerMigrations,
      migrationsRun: true,
    }),
    SchedulerModule.forRootAsync({
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => ({ stores: { default: new TypeOrmJobStore({ dataSource }) } }),
    }),
    // The admin entry point, through require() like the root; allowAnonymous: a test application with no HTTP server.
    SchedulerAdminModule.forRoot({ allowAnonymous: true }),
  ],
  providers: [Jobs],
})
class AppModule {}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`consumer: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const scheduler = app.get(SchedulerService);
  await scheduler.addJob({
    id: 'dynamic',
    handler: 'consumer.greet',
    args: ['hello'],
    trigger: { type: 'date', runDate: new Date(Date.now() + 200) },
  });
  await until('both jobs to run', () => ran.has('decorated') && ran.has('dynamic'));
  await until(
    'the dynamic run to be recorded',
    async () => (await scheduler.getExecutions({ jobId: 'dynamic', status: 'executed' })).length > 0,
  );
  const rows: { id: string }[] = await app.get(DataSource).query('SELECT id FROM scheduler_jobs');
  if (!rows.some((row) => row.id === 'Jobs.decorated')) throw new Error('consumer: the decorated job is not in the SQLite jobs table');
  await app.close();
  console.log(
    `consumer ok: decorated and dynamic jobs ran on ${TypeOrmJobStore.name} (${typeof module === 'object' ? 'commonjs' : 'esm'})`,
  );
}

// No process.exit on success: the process must end by itself once the application is closed.
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
