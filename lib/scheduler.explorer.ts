import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { JobContext, JobHandlerFunction } from './core/jobs/job-options.js';
import { SchedulerMetadataAccessor } from './scheduler-metadata.accessor.js';
import { SchedulerOrchestrator } from './scheduler.orchestrator.js';
import { SchedulerService } from './scheduler.service.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds @ScheduledJob and @JobHandler methods on every provider and controller at module init:
 * registers each as a handler and hands each scheduled job to the orchestrator, which adds it
 * when the application bootstraps. A method of a request-scoped or durable provider runs in a DI
 * context of its own per run (as @nestjs/bullmq does for processors), in which `@Inject(REQUEST)`
 * is the run's JobContext.
 */
@Injectable()
export class SchedulerExplorer implements OnModuleInit {
  private readonly injector = new Injector();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: SchedulerMetadataAccessor,
    private readonly scheduler: SchedulerService,
    private readonly orchestrator: SchedulerOrchestrator,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const wrappers: InstanceWrapper[] = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      if (!proto) continue;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        this.explore(wrapper, instance as Record<string, unknown>, method);
      }
    }
  }

  private explore(wrapper: InstanceWrapper, instance: Record<string, unknown>, method: string): void {
    const fn = instance[method];
    const job = this.metadata.getScheduledJob(fn);
    const handler = this.metadata.getJobHandler(fn);
    if (!job && !handler) return;
    const className = String(instance.constructor?.name ?? wrapper.name);
    const defaultName = `${className}.${method}`;
    const call = wrapper.isDependencyTreeStatic() ? (fn as Method).bind(instance) : this.perRun(wrapper, method);
    if (handler) this.scheduler.registry.register(handler.name ?? defaultName, call as JobHandlerFunction);
    if (job) {
      this.scheduler.registry.register(defaultName, call as JobHandlerFunction);
      this.orchestrator.declare({ source: defaultName, options: job, handler: defaultName });
    }
  }

  /** The method of a request-scoped or durable provider, resolved in a DI context of each run's own. */
  private perRun(wrapper: InstanceWrapper, method: string): Method {
    const host = wrapper.host!;
    return async (...args: unknown[]) => {
      // The scheduler calls a handler with the job's args and then the run's context.
      const ctx = args[args.length - 1] as JobContext;
      // A durable provider's ContextIdStrategy may map the context to a shared sub-tree.
      const contextId = ContextIdFactory.getByRequest(ctx);
      this.moduleRef.registerRequestByContextId(ctx, contextId);
      const instance = (await this.injector.loadPerContext(wrapper.instance as object, host, host.providers, contextId)) as Record<
        string,
        Method
      >;
      return instance[method](...args);
    };
  }
}
