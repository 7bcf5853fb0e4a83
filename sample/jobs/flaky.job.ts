import { Injectable } from '@nestjs/common';
import { ScheduledJob } from '../../lib/index.js';

@Injectable()
export class FlakyJob {
  /** Fails on purpose: the error is recorded in the history and emitted on error$. */
  @ScheduledJob({ id: 'flaky', trigger: { type: 'interval', seconds: 5 } })
  sync() {
    throw new Error('upstream API returned 503');
  }
}
