import type { SqlDialect, ParamList } from '../sql/sql-dialect.js';
import type { Row } from './job-row.js';

/** Stands for a NULL next_run_time in a row's version. */
const NO_TIME = 'null';

/**
 * Jobs rows this process could not use (unparsable JSON, or the scheduler's plan threw on them),
 * remembered with the exact column text (args, trigger, retry, next_run_time) that failed. Claims and getNextRunTime exclude a row only
 * while that text is unchanged, so a broken row neither blocks the rows behind it nor makes the
 * loop spin on a due time it can never claim, and it comes back by itself once someone fixes it
 * (by hand or with updateJob). Each version of a row is reported once per process.
 */
export class UnreadableJobs {
  private readonly rows = new Map<string, RowVersion>();

  /** Returns true when this version of the row is new, i.e. should be reported. */
  remember(row: Row): boolean {
    const id = String(row.id);
    const version = versionOf(row);
    const known = this.rows.get(id);
    this.rows.set(id, version);
    return known === undefined || !sameVersion(known, version);
  }

  /**
   * A row read as a job is forgotten only if it changed: one remembered because the scheduler's
   * plan threw on it reads as a job (getJob, getJobs) while still being the row the plan refused,
   * and forgetting it there would make the next claim plan it, fail and report it again.
   */
  forgetChanged(row: Row): void {
    const id = String(row.id);
    const known = this.rows.get(id);
    if (known !== undefined && !sameVersion(known, versionOf(row))) this.rows.delete(id);
  }

  forget(id: string): void {
    this.rows.delete(id);
  }

  clear(): void {
    this.rows.clear();
  }

  get size(): number {
    return this.rows.size;
  }

  /** `AND NOT (...)` terms for a WHERE clause over the jobs table (empty when nothing is remembered). */
  exclusion(dialect: SqlDialect, params: ParamList): string {
    let sql = '';
    for (const [id, { args, trigger, retry, next }] of this.rows) {
      sql +=
        ` AND NOT (${dialect.id('id')} = ${params.add(id)}` +
        // The text exactly as remembered: a fix by a change of case alone is a change (MySQL's
        // collations would call the two equal).
        ` AND ${dialect.sameText(dialect.id('args'), params.add(args))}` +
        ` AND ${dialect.sameText(dialect.id('trigger'), params.add(trigger))}` +
        ` AND ${retry === NO_TIME ? `${dialect.id('retry')} IS NULL` : dialect.sameText(dialect.id('retry'), params.add(retry))}` +
        // The column compared with the value directly, not through COALESCE: SQLite applies the
        // column's INTEGER affinity to a text parameter only then.
        ` AND ${next === NO_TIME ? `${dialect.id('next_run_time')} IS NULL` : `${dialect.id('next_run_time')} = ${params.add(next)}`})`;
    }
    return sql;
  }
}

/** The column text a row failed with. */
interface RowVersion {
  args: string;
  trigger: string;
  retry: string;
  next: string;
}

function sameVersion(a: RowVersion, b: RowVersion): boolean {
  return a.args === b.args && a.trigger === b.trigger && a.retry === b.retry && a.next === b.next;
}

function versionOf(row: Row): RowVersion {
  const next = row.next_run_time === null || row.next_run_time === undefined ? NO_TIME : String(row.next_run_time);
  const retry = row.retry === null || row.retry === undefined ? NO_TIME : String(row.retry);
  return { args: String(row.args ?? ''), trigger: String(row.trigger ?? ''), retry, next };
}
