import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  console.log(
    `Sample running: the dashboard at http://localhost:${port}/scheduler, and /jobs and /executions. Ctrl-C to stop; start it again to see the jobs survive.`,
  );
  // For a demo or a smoke test: stop by itself after SAMPLE_RUN_SECONDS.
  const seconds = Number(process.env.SAMPLE_RUN_SECONDS ?? 0);
  if (seconds > 0) setTimeout(() => void app.close(), seconds * 1000);
}

void bootstrap();
