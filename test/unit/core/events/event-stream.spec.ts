import { describe, expect, it } from '@jest/globals';
import { Subject, map, of } from 'rxjs';
import { EventInterest, SchedulerEventStream } from '../../../../lib/core/events/event-stream.js';
import { type SchedulerEvent, type SchedulerEventType } from '../../../../lib/core/events/scheduler-events.js';
import { ofType } from '../../../../lib/core/events/of-type.js';

const event = (type: SchedulerEventType): SchedulerEvent => ({ type, timestamp: new Date(0), instanceId: 'i' });

function stream() {
  const subject = new Subject<SchedulerEvent>();
  const interest = new EventInterest();
  const reported: unknown[] = [];
  const events$ = new SchedulerEventStream(subject, interest, (error) => reported.push(error));
  const emit = (type: SchedulerEventType) => subject.next(event(type));
  return { events$, interest, emit, reported };
}

describe('EventInterest', () => {
  it('wants a type while someone listens to it, or to everything', () => {
    const interest = new EventInterest();
    expect(interest.wants('job_executed')).toBe(false);
    const errors = interest.listen(['job_error']);
    expect(interest.wants('job_error')).toBe(true);
    expect(interest.wants('job_executed')).toBe(false);
    const all = interest.listen(null);
    expect(interest.wants('job_executed')).toBe(true);
    all();
    errors();
    expect(interest.wants('job_error')).toBe(false);
  });

  it('counts listeners of a type, and releasing one twice does not drop another', () => {
    const interest = new EventInterest();
    const first = interest.listen(['job_missed']);
    const second = interest.listen(['job_missed']);
    first();
    first();
    expect(interest.wants('job_missed')).toBe(true);
    second();
    expect(interest.wants('job_missed')).toBe(false);
  });
});

describe('SchedulerEventStream', () => {
  it('counts an events$ subscriber for every type until it unsubscribes', () => {
    const { events$, interest, emit } = stream();
    const seen: string[] = [];
    const subscription = events$.subscribe((e) => seen.push(e.type));
    expect(interest.wants('job_submitted')).toBe(true);
    emit('job_submitted');
    emit('job_error');
    subscription.unsubscribe();
    expect(interest.wants('job_submitted')).toBe(false);
    emit('job_error');
    expect(seen).toEqual(['job_submitted', 'job_error']);
  });

  it('narrows with ofType piped straight from it, wanting only those types', () => {
    const { events$, interest, emit } = stream();
    const seen: string[] = [];
    const subscription = events$.pipe(ofType('job_error', 'job_missed')).subscribe((e) => seen.push(e.type));
    expect(interest.wants('job_error')).toBe(true);
    expect(interest.wants('job_missed')).toBe(true);
    expect(interest.wants('job_executed')).toBe(false);
    for (const type of ['job_executed', 'job_error', 'job_submitted', 'job_missed'] as const) emit(type);
    expect(seen).toEqual(['job_error', 'job_missed']);
    subscription.unsubscribe();
    expect(interest.wants('job_error')).toBe(false);
  });

  it('wants everything when another operator comes first, and still filters', () => {
    const { events$, interest, emit } = stream();
    const seen: string[] = [];
    events$
      .pipe(
        map((e) => e),
        ofType('job_error'),
      )
      .subscribe((e) => seen.push(e.type));
    expect(interest.wants('job_executed')).toBe(true);
    emit('job_executed');
    emit('job_error');
    expect(seen).toEqual(['job_error']);
  });

  it('reports a narrowed subscriber that throws, and keeps delivering to the others', () => {
    const { events$, emit, reported } = stream();
    const seen: string[] = [];
    events$.pipe(ofType('job_error')).subscribe(() => {
      throw new Error('bad subscriber');
    });
    events$.pipe(ofType('job_error')).subscribe((e) => seen.push(e.type));
    emit('job_error');
    emit('job_error');
    expect(seen).toEqual(['job_error', 'job_error']);
    expect(reported.map((e) => (e as Error).message)).toEqual(['bad subscriber', 'bad subscriber']);
  });

  it('leaves ofType an ordinary filter on any other stream', () => {
    const seen: string[] = [];
    of(event('job_added'), event('job_error'))
      .pipe(ofType('job_error'))
      .subscribe((e) => seen.push(e.type));
    expect(seen).toEqual(['job_error']);
  });
});
