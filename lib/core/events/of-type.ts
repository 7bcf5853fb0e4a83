import { filter, type OperatorFunction } from 'rxjs';
import { SchedulerEventStream } from './event-stream.js';
import type { SchedulerEvent, SchedulerEventMap, SchedulerEventType } from './scheduler-events.js';

/**
 * Narrows an event stream to the given types. Piped straight from the scheduler's events$, the
 * scheduler also knows that only these types are wanted, and does not build the others for it.
 * @publicApi
 */
export function ofType<T extends SchedulerEventType>(...types: T[]): OperatorFunction<SchedulerEvent, SchedulerEventMap[T]> {
  const wanted = new Set<SchedulerEventType>(types);
  const narrow = filter((event: SchedulerEvent): event is SchedulerEventMap[T] => wanted.has(event.type));
  return (source) => (source instanceof SchedulerEventStream ? source.only(types) : narrow(source));
}
