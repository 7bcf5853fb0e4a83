import { Subject, type Observable } from 'rxjs';
import type { SchedulerLogger } from '../scheduler-logger.js';
import { toError } from '../../utils/thrown-value.js';
import { EventInterest, SchedulerEventStream } from './event-stream.js';
import { RunTallies } from './run-tally.js';
import type { SchedulerEvent, SchedulerEventType } from './scheduler-events.js';

/**
 * Where every part of the scheduler sends what happened, and where events$ comes from. An event
 * nobody listens to is not built (wants), and neither a subscriber nor a failing emit can throw
 * into the code that emitted: that code is the loop, or a run ending.
 */
export class EventBus {
  readonly events$: Observable<SchedulerEvent>;
  private readonly subject = new Subject<SchedulerEvent>();
  /** Who listens to which event types. */
  private readonly interest = new EventInterest();
  /** Listeners told of every run that ended well, without an event object (see run-tally.ts). */
  readonly tallies: RunTallies;

  constructor(
    private readonly instanceId: string,
    private readonly logger: SchedulerLogger,
  ) {
    const report = (err: unknown) => this.logger.error(`An events$ subscriber threw: ${toError(err).message}`, toError(err).stack);
    this.tallies = new RunTallies((err) => this.logger.error(`A run tally threw: ${toError(err).message}`, toError(err).stack));
    this.events$ = new SchedulerEventStream(this.subject, this.interest, report, this.tallies);
  }

  /** Someone listens to events of this type: only then is such an event worth building. */
  wants(type: SchedulerEventType): boolean {
    return this.interest.wants(type);
  }

  event<E extends SchedulerEvent = SchedulerEvent>(
    type: SchedulerEventType,
    fields: Partial<Omit<E, 'type' | 'timestamp' | 'instanceId'>> = {},
  ): E {
    return { type, timestamp: new Date(), instanceId: this.instanceId, ...fields } as E;
  }

  emit(event: SchedulerEvent): void {
    if (!this.interest.wants(event.type)) return;
    try {
      this.subject.next(event);
    } catch (err) {
      this.logger.error(`Emitting '${event.type}' failed: ${toError(err).message}`);
    }
  }
}
