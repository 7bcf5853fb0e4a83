import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';

@Module({ imports: [ScheduleModule.forRoot()] })
class PeerScheduleModule {}

/**
 * The peer as an application uses it: a Nest application context with ScheduleModule.forRoot(),
 * jobs added at run time through SchedulerRegistry (as its docs show for dynamic cron jobs).
 * Imported dynamically by the peer variants only.
 */
export async function bootNestSchedule(): Promise<{ app: INestApplicationContext; registry: SchedulerRegistry }> {
  const app = await NestFactory.createApplicationContext(PeerScheduleModule, { logger: false });
  await app.init();
  return { app, registry: app.get(SchedulerRegistry) };
}
