import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { SchedulerMetadataAccessor } from './scheduler-metadata.accessor.js';
import { REQUEST_SCOPED_JOB } from './scheduler.messages.js';
import { SchedulerService } from './scheduler.service.js';

/**
 * Finds @ScheduledJob and @JobHandler methods on every provider and controller at module init:
 * registers each as a handler and records each scheduled job, which the scheduler upserts when it
 * starts on application bootstrap.
 */
@Injectable()
export class SchedulerExplorer implements OnModuleInit {
  private readonly logger = new Logger('SchedulerModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: SchedulerMetadataAccessor,
    private readonly scheduler: SchedulerService,
  ) {}

  async onModuleInit(): Promise<void> {
    const wrappers: InstanceWrapper[] = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      if (!proto) continue;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        await this.explore(wrapper, instance as Record<string, unknown>, method);
      }
    }
  }

  private async explore(wrapper: InstanceWrapper, instance: Record<string, unknown>, method: string): Promise<void> {
    const fn = instance[method];
    const job = this.metadata.getScheduledJob(fn);
    const handler = this.metadata.getJobHandler(fn);
    if (!job && !handler) return;
    const className = instance.constructor?.name ?? wrapper.name;
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(REQUEST_SCOPED_JOB(String(className), method));
      return;
    }
    const defaultName = `${String(className)}.${method}`;
    const bound = (fn as (...args: unknown[]) => unknown).bind(instance);
    if (handler) this.scheduler.registry.register(handler.name ?? defaultName, bound);
    if (job) {
      this.scheduler.registry.register(defaultName, bound);
      await this.scheduler.upsertJob({ ...job, id: job.id ?? defaultName, name: job.name ?? defaultName, handler: defaultName });
    }
  }
}
