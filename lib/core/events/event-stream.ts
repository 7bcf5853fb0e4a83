import { Observable, type Observer, type Operator, type Subject, type Subscriber, type Subscription } from 'rxjs';
import type { RunTallies, RunTally, RunTallySource } from './run-tally.js';
import type { SchedulerEvent, SchedulerEventMap, SchedulerEventType } from './scheduler-events.js';

type Report = (error: unknown) => void;

/**
 * An Observable whose subscribers cannot hurt the scheduler. RxJS rethrows an error thrown by a
 * subscriber's callback on a later tick, which would crash the process; here it is caught and
 * reported instead. `lift` keeps the guard on every stream piped from this one.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    subscribe: ((this: Observable<T>, subscriber: Subscriber<T>) => (() => void) | Subscription | void) | undefined,
    private readonly report: Report,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new GuardedObservable<R>(undefined, this.report);
    observable.source = this;
    observable.operator = operator;
    return observable;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    return super.subscribe({
      next: observer.next && this.guard(observer.next.bind(observer)),
      // Without an error callback RxJS rethrows an operator's error on a later tick, which would
      // crash the process (`events$.pipe(map(() => { throw ... })).subscribe()`): it is reported.
      error: observer.error ? this.guard(observer.error.bind(observer)) : this.report,
      complete: observer.complete && this.guard(observer.complete.bind(observer)),
    });
  }

  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.report(err);
      }
    };
  }
}

/**
 * Who listens to which event types. The scheduler builds an event only when someone listens to
 * its type: with thousands of fires a second, job_submitted and job_executed objects nobody reads
 * would be most of what a fire allocates.
 */
export class EventInterest {
  private everything = 0;
  /** Types with at least one listener, and how many. */
  private readonly byType = new Map<SchedulerEventType, number>();

  wants(type: SchedulerEventType): boolean {
    return this.everything > 0 || this.byType.has(type);
  }

  /** Registers a listener of `types` (null: of every type). Returns its release; a second call does nothing. */
  listen(types: readonly SchedulerEventType[] | null): () => void {
    if (types === null) this.everything++;
    else for (const type of types) this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (types === null) this.everything--;
      else
        for (const type of types) {
          const left = this.byType.get(type)! - 1;
          if (left > 0) this.byType.set(type, left);
          else this.byType.delete(type);
        }
    };
  }
}

/**
 * The scheduler's events$. Its subscribers count as listeners of every type; `only(types)`, which
 * `ofType` uses when piped straight from this stream, makes a stream whose subscribers count for
 * those types alone.
 */
export class SchedulerEventStream extends GuardedObservable<SchedulerEvent> implements RunTallySource {
  constructor(
    private readonly subject: Subject<SchedulerEvent>,
    private readonly interest: EventInterest,
    private readonly onError: Report,
    private readonly tallies?: RunTallies,
  ) {
    super((subscriber) => relay(subject, interest, null, subscriber), onError);
  }

  /**
   * Tells `listener` of every run that ended well, as numbers, instead of a job_executed event
   * (see run-tally.ts); returns its release. Not public API: the admin module's counters use it.
   */
  tallyRuns(listener: RunTally): () => void {
    if (this.tallies === undefined) throw new Error('this events$ has no run tallies');
    return this.tallies.add(listener);
  }

  only<T extends SchedulerEventType>(types: readonly T[]): Observable<SchedulerEventMap[T]> {
    const wanted = new Set<SchedulerEventType>(types);
    const { subject, interest } = this;
    return new GuardedObservable<SchedulerEventMap[T]>(
      (subscriber) => relay(subject, interest, wanted, subscriber as Subscriber<SchedulerEvent>),
      this.onError,
    );
  }
}

function relay(
  subject: Subject<SchedulerEvent>,
  interest: EventInterest,
  types: ReadonlySet<SchedulerEventType> | null,
  subscriber: Subscriber<SchedulerEvent>,
): () => void {
  const release = interest.listen(types === null ? null : [...types]);
  const subscription = subject.subscribe({
    next: (event) => {
      if (types === null || types.has(event.type)) subscriber.next(event);
    },
    error: (error: unknown) => subscriber.error(error),
    complete: () => subscriber.complete(),
  });
  return () => {
    subscription.unsubscribe();
    release();
  };
}
