import 'reflect-metadata';
import {
  Controller,
  Get,
  Header,
  Inject,
  Module,
  type INestApplication,
  type LoggerService,
  type Provider,
  type Type,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import {
  SchedulerHealthIndicator,
  SchedulerMetrics,
  type SchedulerHealthOptions,
  type SchedulerMetricsOptions,
} from '../../../lib/admin/index.js';
import { SchedulerModule, SchedulerService, type SchedulerModuleOptions } from '../../../lib/index.js';

export const METRICS_REGISTRY = 'METRICS_REGISTRY';
export const HEALTH_OPTIONS = 'HEALTH_OPTIONS';

/** What an application would write: a terminus /health route with the indicator, and a Prometheus /metrics route. */
@Controller()
class ObservabilityController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly scheduler: SchedulerHealthIndicator,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(HEALTH_OPTIONS) private readonly options: SchedulerHealthOptions,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.scheduler.isHealthy('scheduler', this.options)]);
  }

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface ObservabilityApp {
  app: INestApplication;
  scheduler: SchedulerService;
  registry: Registry;
  url: string;
  get(path: string): Promise<{ status: number; body: string; json: () => unknown; contentType: string | null }>;
  close(): Promise<void>;
}

/** Boots the application on a free port of 127.0.0.1 (Express). */
export async function startObservabilityApp(
  options: SchedulerModuleOptions,
  setup: {
    providers?: Provider[];
    health?: SchedulerHealthOptions;
    metrics?: Omit<SchedulerMetricsOptions, 'registry'>;
    logger?: LoggerService | false;
    imports?: Type[];
  } = {},
): Promise<ObservabilityApp> {
  const registry = new Registry();
  @Module({
    imports: [TerminusModule.forRoot({ logger: false }), ...(setup.imports ?? [])],
    controllers: [ObservabilityController],
    providers: [
      SchedulerHealthIndicator,
      SchedulerMetrics.provider({ ...setup.metrics, registry }),
      { provide: METRICS_REGISTRY, useValue: registry },
      { provide: HEALTH_OPTIONS, useValue: setup.health ?? {} },
      ...(setup.providers ?? []),
    ],
  })
  class ObservabilityModule {}

  const ref = await Test.createTestingModule({ imports: [SchedulerModule.forRoot(options), ObservabilityModule] }).compile();
  const app = ref.createNestApplication({ logger: setup.logger ?? false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let closed = false;
  return {
    app,
    scheduler: app.get(SchedulerService),
    registry,
    url,
    async get(path) {
      const response = await fetch(`${url}${path}`);
      const body = await response.text();
      return { status: response.status, body, json: () => JSON.parse(body) as unknown, contentType: response.headers.get('content-type') };
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

/** Polls `check` every 100 ms until it is true or `ms` have passed; returns whether it became true. */
export async function eventually(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
