import { Controller, Get, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AdminEventStreams } from '../events/admin-event-streams.js';
import { readQuery, type RawQuery } from '../validation/query-params.js';

/** Express's response is Node's; Fastify's reply wraps it (`raw`) and must be told it is taken over. */
interface PlatformResponse {
  raw?: ServerResponse;
  hijack?: () => void;
}

/** `GET {path}/api/events`: the scheduler's events as Server-Sent Events (see AdminEventStreams). */
@Controller('api/events')
export class AdminEventsController {
  constructor(private readonly streams: AdminEventStreams) {}

  @Get()
  events(@Query() raw: RawQuery, @Res() response: PlatformResponse & ServerResponse): void {
    readQuery(raw, []);
    if (typeof response.hijack === 'function' && response.raw) {
      response.hijack();
      this.streams.attach(response.raw);
    } else {
      this.streams.attach(response);
    }
  }
}
