import { Observable, type Observer, type Operator, type Subscription } from 'rxjs';

type Report = (error: unknown) => void;

/**
 * An Observable whose subscribers cannot hurt the scheduler. RxJS rethrows an error thrown by a
 * subscriber's callback on a later tick, which would crash the process; here it is caught and
 * reported instead. `lift` keeps the guard on every stream piped from this one.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    subscribe: ((this: Observable<T>, subscriber: import('rxjs').Subscriber<T>) => (() => void) | Subscription | void) | undefined,
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
      error: observer.error && this.guard(observer.error.bind(observer)),
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
