import { describe, expect, it } from '@jest/globals';
import type { Submission } from '../../../../lib/core/runs/submission.js';
import { StagedRuns } from '../../../../lib/core/runs/staged-runs.js';

/** What StagedRuns reads of a submission. */
function run(jobId: string, store = 'default', executor = 'default'): Submission {
  return { jobId, store, executor, stagedAt: Number.NaN } as unknown as Submission;
}

describe('StagedRuns', () => {
  it('takes back one job out of many without touching the others', () => {
    const staged = new StagedRuns();
    const runs = Array.from({ length: 1000 }, (_, i) => run(`j${i}`));
    runs.forEach((r, i) => staged.add(1000 + (i % 3), r));
    expect(staged.takeJob('default', 'j1')).toEqual([runs[1]]);
    expect(staged.takeJob('default', 'j1')).toEqual([]);
    expect(staged.countFor('default')).toBe(999);
    const due = staged.takeDue(1002);
    expect(due.runs).toHaveLength(999);
    expect(due.runs).not.toContain(runs[1]);
    expect(due.executor).toBe('default');
    expect(staged.earliest).toBe(Infinity);
  });

  it('moves the earliest time on when every run of it is taken back', () => {
    const staged = new StagedRuns();
    staged.add(500, run('a'));
    staged.add(700, run('b'));
    expect(staged.earliest).toBe(500);
    staged.takeJob('default', 'a');
    expect(staged.earliest).toBe(700);
    expect(staged.takeDue(600).runs).toEqual([]);
  });

  it('a run taken back and staged again at the same time fires once, with its new executor', () => {
    const staged = new StagedRuns();
    const a = run('a');
    staged.add(100, a);
    staged.add(100, run('b'));
    const [taken] = staged.takeJob('default', 'a');
    (taken as { executor: string }).executor = 'other';
    staged.add(100, taken!);
    expect(staged.countFor('default')).toBe(1);
    expect(staged.countFor('other')).toBe(1);
    const due = staged.takeDue(100);
    expect(due.runs.filter((s) => s === a)).toHaveLength(1);
    expect(due.runs).toHaveLength(2);
    expect(due.executor).toBeNull();
    expect(staged.countFor('other')).toBe(0);
  });

  it('takes a whole store back, and forgets fired runs so a job staged again is found', () => {
    const staged = new StagedRuns();
    staged.add(100, run('a', 's1'));
    staged.add(200, run('b', 's1'));
    staged.add(100, run('c', 's2'));
    expect(
      staged
        .takeStore('s1')
        .map((s) => s.jobId)
        .sort(),
    ).toEqual(['a', 'b']);
    const due = staged.takeDue(100);
    expect(due.runs.map((s) => s.jobId)).toEqual(['c']);
    staged.forget(due.runs);
    const again = run('c', 's2');
    staged.add(1100, again);
    expect(staged.takeJob('s2', 'c')).toEqual([again]);
  });
});
