// An ES module Nest 11 application on the memory store, with typeorm NOT installed (it is an
// optional peer), nor the admin entry's optional peers: both entry points must load without them, a decorated and a dynamic job must run,
// and what needs typeorm must say to install it.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  JobHandler,
  SCHEDULER_ENTITIES,
  ScheduledJob,
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

// The admin entry point loads without @nestjs/terminus, prom-client, @opentelemetry/api or typeorm installed.
@Module({ imports: [SchedulerModule.forRoot({}), SchedulerAdminModule.forRoot({ allowAnonymous: true })], providers: [Jobs] })
class AppModule {}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`consumer: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What needs typeorm fails with an error that says to install it. */
function expectInstallTypeOrm(what: string, use: () => unknown): void {
  try {
    use();
  } catch (error) {
    const message = String((error as Error).message);
    if (message.includes(what) && message.includes('npm install typeorm')) return;
    throw new Error(`consumer: ${what} without typeorm failed with an unclear error: ${message}`, { cause: error });
  }
  throw new Error(`consumer: ${what} worked without typeorm installed`);
}

async function main(): Promise<void> {
  let typeormInstalled = true;
  try {
    createRequire(import.meta.url).resolve('typeorm');
  } catch {
    typeormInstalled = false;
  }
  if (typeormInstalled) throw new Error('consumer: typeorm is installed here, so this application proves nothing');
  expectInstallTypeOrm('TypeOrmJobStore', () => new TypeOrmJobStore({ dataSource: {} as never }));
  expectInstallTypeOrm('createSchedulerEntities', () => SCHEDULER_ENTITIES.length);

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
  await app.close();
  console.log(
    `consumer ok: decorated and dynamic jobs ran on the memory store, without typeorm (${typeof module === 'object' ? 'commonjs' : 'esm'})`,
  );
}

// No process.exit on success: the process must end by itself once the application is closed.
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
