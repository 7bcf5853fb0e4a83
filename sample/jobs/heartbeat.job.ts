import { Injectable, Logger } from '@nestjs/common';
import { ScheduledJob, type JobContext } from '../../lib/index.js';

@Injectable()
export class HeartbeatJob {
  private readonly logger = new Logger('HeartbeatJob');
  private beats = 0;

  /** Every 3 seconds. Its next run time is kept in the database, so runs missed while down are seen. */
  @ScheduledJob({ id: 'heartbeat', trigger: { type: 'interval', seconds: 3 } })
  beat(ctx: JobContext) {
    this.beats++;
    this.logger.log(`beat #${this.beats} on ${ctx.instanceId}`);
    return this.beats;
  }
}
