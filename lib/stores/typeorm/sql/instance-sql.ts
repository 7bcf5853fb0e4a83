import type { SchedulerTableNames } from '../schema/scheduler-tables.js';
import { chunk, type ParamList, type SqlDialect, type Statement } from './sql-dialect.js';

const IDS_PER_STATEMENT = 500;

/** The statements of the cluster bookkeeping: instance heartbeats and runs lost with an instance. */
export class InstanceSql {
  private readonly instances: string;
  private readonly executions: string;

  constructor(
    private readonly d: SqlDialect,
    names: SchedulerTableNames,
  ) {
    this.instances = d.id(names.instances);
    this.executions = d.id(names.executions);
  }

  private c(column: string): string {
    return this.d.id(column);
  }

  deleteInstance(id: string): Statement {
    const p = this.d.params();
    return { sql: `DELETE FROM ${this.instances} WHERE ${this.c('instance_id')} = ${p.add(id)}`, params: p.values };
  }

  /**
   * This instance's row, written afresh whether or not one is there (a restart with a fixed id, a
   * rejoin after the others removed it): one statement, so no transaction of it is ever left
   * holding the row (a process frozen in one would hold up the others' look for dead instances).
   */
  registerInstance(id: string, now: number): Statement {
    const p = this.d.params();
    const [idParam, startedParam, beatParam] = [p.add(id), p.add(now), p.add(now)];
    const started = this.c('started_at');
    const beat = this.c('last_heartbeat');
    const upsert =
      this.d.kind === 'mysql'
        ? ` ON DUPLICATE KEY UPDATE ${started} = VALUES(${started}), ${beat} = VALUES(${beat})`
        : ` ON CONFLICT (${this.c('instance_id')}) DO UPDATE SET ${started} = excluded.${started}, ${beat} = excluded.${beat}`;
    return {
      sql:
        `INSERT INTO ${this.instances} (${this.c('instance_id')}, ${started}, ${beat})` +
        ` VALUES (${idParam}, ${startedParam}, ${beatParam})${upsert}`,
      params: p.values,
    };
  }

  /**
   * This instance's heartbeat, on its row as it registered it (`startedAt`): no row is affected once
   * another instance took it for dead and deleted the row, or after it registered again since.
   */
  heartbeat(id: string, now: number, startedAt: number): Statement {
    const p = this.d.params();
    return {
      sql:
        `UPDATE ${this.instances} SET ${this.c('last_heartbeat')} = ${p.add(now)}` +
        ` WHERE ${this.c('instance_id')} = ${p.add(id)} AND ${this.c('started_at')} = ${p.add(startedAt)}`,
      params: p.values,
    };
  }

  /** Instances still heartbeating, other than this one. */
  liveInstances(self: string, cutoff: number): Statement {
    const p = this.d.params();
    return {
      sql:
        `SELECT ${this.c('instance_id')} FROM ${this.instances}` +
        ` WHERE ${this.c('last_heartbeat')} >= ${p.add(cutoff)} AND ${this.c('instance_id')} <> ${p.add(self)}`,
      params: p.values,
    };
  }

  /**
   * Running executions whose owner is not alive: its heartbeat is older than the cutoff, or it has
   * no instance row at all (it stopped and a run it abandoned was left behind). Locked, so two
   * reapers never both take the same run.
   */
  orphanedRuns(cutoff: number): Statement {
    return this.runningRuns(
      (p) => `NOT IN (SELECT ${this.c('instance_id')} FROM ${this.instances} WHERE ${this.c('last_heartbeat')} >= ${p.add(cutoff)})`,
    );
  }

  /** Running executions of these instances (found dead by their session lock), locked. */
  runsOf(instanceIds: readonly string[]): Statement {
    return this.runningRuns((p) => `IN (${p.list(instanceIds)})`);
  }

  deleteInstances(ids: readonly string[]): Statement[] {
    return chunk(ids, IDS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `DELETE FROM ${this.instances} WHERE ${this.c('instance_id')} IN (${p.list(part)})`, params: p.values };
    });
  }

  /** Runs recorded as running under this instance id before this process started (a restart with a fixed id). */
  ownRuns(self: string): Statement {
    return this.runningRuns((p) => `= ${p.add(self)}`);
  }

  /** Running executions, locked, whose instance_id satisfies `owner`. */
  private runningRuns(owner: (p: ParamList) => string): Statement {
    const p = this.d.params();
    return {
      sql:
        `SELECT ${this.c('id')}, ${this.c('job_id')}, ${this.c('scheduled_run_time')}, ${this.c('attempt')}, ${this.c('instance_id')}` +
        ` FROM ${this.executions} WHERE ${this.c('status')} = 'running' AND ${this.c('instance_id')} ${owner(p)}` +
        this.d.claimLock,
      params: p.values,
    };
  }

  markLost(ids: readonly string[], now: number, reason: string): Statement[] {
    return chunk(ids, IDS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return {
        sql:
          `UPDATE ${this.executions} SET ${this.c('status')} = 'lost', ${this.c('finished_at')} = ${p.add(now)},` +
          ` ${this.c('error')} = ${p.add(reason)} WHERE ${this.c('status')} = 'running' AND ${this.c('id')} IN (${p.list(part)})`,
        params: p.values,
      };
    });
  }

  /** Hands runs to this instance as one new submission, to run them again. */
  takeOver(ids: readonly string[], self: string, batchId: string): Statement[] {
    return chunk(ids, IDS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return {
        sql:
          `UPDATE ${this.executions} SET ${this.c('instance_id')} = ${p.add(self)}, ${this.c('batch_id')} = ${p.add(batchId)}` +
          ` WHERE ${this.c('status')} = 'running' AND ${this.c('id')} IN (${p.list(part)})`,
        params: p.values,
      };
    });
  }

  /** Every heartbeat row, for a list of the cluster's processes. */
  allInstances(): Statement {
    return {
      sql:
        `SELECT ${this.c('instance_id')}, ${this.c('started_at')}, ${this.c('last_heartbeat')} FROM ${this.instances}` +
        ` ORDER BY ${this.c('instance_id')}`,
      params: [],
    };
  }

  deleteExpired(cutoff: number): Statement {
    const p = this.d.params();
    return { sql: `DELETE FROM ${this.instances} WHERE ${this.c('last_heartbeat')} < ${p.add(cutoff)}`, params: p.values };
  }
}
