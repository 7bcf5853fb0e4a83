import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SchedulerError } from '../../../core/errors.js';

/**
 * Which instances of a cluster are alive, as the database itself knows it: each instance holds a
 * session-level lock named after it for as long as it runs (PostgreSQL: an advisory lock;
 * MariaDB/MySQL: GET_LOCK), on a connection of its own. The database releases a session's locks
 * the moment the session ends, so when a process is killed (kill -9, OOM, a crashed host whose
 * TCP connection is reset), the others see its lock free within a second, instead of waiting
 * out instanceTimeout. The heartbeat stays the rule for what a session lock cannot see: a process
 * that is alive but stalled (a long pause, a frozen VM), whose connection stays open.
 *
 * The lock is taken before the instance's heartbeat row is written and released after the row is
 * deleted, so no live instance is ever seen with a row and a free lock. A lost lock connection is
 * reopened and the lock taken again; meanwhile the others may take the instance for dead, which
 * the fencing of outcome writes makes safe.
 */
export interface SessionLiveness {
  /** Takes this instance's lock; throws when another session holds it (the same id running twice). */
  start(): Promise<void>;
  /** Of these instances, the ones whose lock no session holds: their process is gone. */
  deadAmong(instanceIds: readonly string[]): Promise<string[]>;
  /**
   * Checks this instance's own lock connection and takes the lock again if it was lost; true when
   * it had to (the database may have restarted, and then every instance is taking its lock again).
   */
  keep(): Promise<boolean>;
  /** Releases the lock (by closing its connection). */
  stop(): Promise<void>;
}

/** A live instance's id is already held by another session. @publicApi */
export class InstanceIdInUseError extends SchedulerError {
  constructor(instanceId: string) {
    super(
      `Another process holds the session lock of instance '${instanceId}': two schedulers sharing one store must not share an instanceId ` +
        '(leave instanceId unset for a random one, or make it unique per replica)',
    );
  }
}

/** The lock's keys: a namespace per table set, and the instance's id, hashed to 32 bits each (PostgreSQL). */
function pgKeys(namespace: string, instanceId: string): [number, number] {
  return [hash32(namespace), hash32(instanceId)];
}

function hash32(text: string): number {
  return createHash('sha1').update(text).digest().readInt32BE(0);
}

/** A GET_LOCK name: at most 64 characters, unique per table set and instance. */
function mysqlLockName(namespace: string, instanceId: string): string {
  return `apscheduler:${createHash('sha1').update(`${namespace}\u0000${instanceId}`).digest('hex')}`;
}

/** The liveness check of a dialect that has session locks; null for SQLite (one host, heartbeat only). */
export function sessionLivenessFor(
  kind: 'postgres' | 'mysql' | 'sqlite',
  dataSource: DataSource,
  namespace: string,
  instanceId: string,
): SessionLiveness | null {
  if (kind === 'postgres') return new PostgresLiveness(dataSource, namespace, instanceId);
  if (kind === 'mysql') return new MysqlLiveness(dataSource, namespace, instanceId);
  return null;
}

/** A connection of the lock's own, outside the application's queries. */
interface LockSession {
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Holds the lock on a session of its own for as long as the store runs; reopens it when it is lost. */
abstract class LockHolder implements SessionLiveness {
  private session: LockSession | null = null;
  private keeping: Promise<boolean> | null = null;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly namespace: string,
    protected readonly instanceId: string,
  ) {}

  async start(): Promise<void> {
    const session = await this.open();
    try {
      if (!(await this.acquire(session))) throw new InstanceIdInUseError(this.instanceId);
    } catch (error) {
      await session.close().catch(() => undefined);
      throw error;
    }
    this.session = session;
  }

  /** One at a time (the look every second and a rejoin may both ask): two would take the lock on two sessions. */
  keep(): Promise<boolean> {
    this.keeping ??= this.keepOnce().finally(() => (this.keeping = null));
    return this.keeping;
  }

  private async keepOnce(): Promise<boolean> {
    const session = this.session;
    if (session !== null) {
      try {
        if (await this.holds(session)) return false;
      } catch {
        // The connection is gone: the database released the lock with it.
      }
      this.session = null;
      await session.close().catch(() => undefined);
    }
    await this.start();
    return true;
  }

  async stop(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session === null) return;
    await this.release(session).catch(() => undefined);
    await session.close().catch(() => undefined);
  }

  abstract deadAmong(instanceIds: readonly string[]): Promise<string[]>;
  protected abstract open(): Promise<LockSession>;
  protected abstract acquire(session: LockSession): Promise<boolean>;
  protected abstract holds(session: LockSession): Promise<boolean>;
  protected abstract release(session: LockSession): Promise<void>;
}

/** The parts of TypeORM's PostgresDriver and of pg used to open a connection like the pool's. */
interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
  connection?: { stream?: { unref?(): void } };
}
interface PgDriver {
  postgres?: { Client: new (config: unknown) => PgClient };
  master?: { options?: unknown };
}

/**
 * PostgreSQL: the lock's connection is opened with the pool's settings but outside the pool (as
 * the NOTIFY listener's is), so it takes no slot from the application, never makes
 * DataSource.destroy() wait, and its socket does not keep the process alive.
 */
class PostgresLiveness extends LockHolder {
  protected async open(): Promise<LockSession> {
    const driver = this.dataSource.driver as unknown as PgDriver;
    const Client = driver.postgres?.Client;
    const config = driver.master?.options;
    if (!Client || !config) throw new SchedulerError('TypeOrmJobStore: cannot open a connection for the instance lock (no pg Client)');
    const client = new Client(config);
    // A dropped connection is found by keep(); the error must not crash the process meanwhile.
    client.on('error', () => undefined);
    await client.connect();
    client.connection?.stream?.unref?.();
    return {
      query: async <T>(sql: string, params: unknown[]) => (await client.query(sql, params)).rows as T[],
      close: () => client.end(),
    };
  }

  protected async acquire(session: LockSession): Promise<boolean> {
    const [space, key] = pgKeys(this.namespace, this.instanceId);
    const rows = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok', [space, key]);
    return rows[0]?.ok === true;
  }

  protected async holds(session: LockSession): Promise<boolean> {
    const [space, key] = pgKeys(this.namespace, this.instanceId);
    const rows = await session.query<unknown>(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ($1::int4)::oid AND objid = ($2::int4)::oid AND objsubid = 2" +
        ' AND granted AND pid = pg_backend_pid()',
      [space, key],
    );
    return rows.length > 0;
  }

  protected async release(session: LockSession): Promise<void> {
    const [space, key] = pgKeys(this.namespace, this.instanceId);
    await session.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [space, key]);
  }

  /** One look at pg_locks: the keys of the namespace some session holds in this database. */
  async deadAmong(instanceIds: readonly string[]): Promise<string[]> {
    if (instanceIds.length === 0) return [];
    const [space] = pgKeys(this.namespace, '');
    const rows: { key: number | string }[] = await this.dataSource.query(
      "SELECT objid::bigint AS key FROM pg_locks WHERE locktype = 'advisory' AND classid = ($1::int4)::oid AND objsubid = 2 AND granted" +
        ' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())',
      [space],
    );
    // objid is an oid (unsigned); the key was taken as a signed int4.
    const held = new Set(rows.map((row) => Number(row.key) | 0));
    return instanceIds.filter((id) => !held.has(pgKeys(this.namespace, id)[1]));
  }
}

/** MariaDB/MySQL: the lock is held on one connection of the pool (a QueryRunner), for as long as the store runs. */
class MysqlLiveness extends LockHolder {
  private get name(): string {
    return mysqlLockName(this.namespace, this.instanceId);
  }

  protected async open(): Promise<LockSession> {
    const runner = this.dataSource.createQueryRunner('master');
    await runner.connect();
    return {
      query: <T>(sql: string, params: unknown[]) => runner.query(sql, params) as Promise<T[]>,
      close: () => runner.release(),
    };
  }

  protected async acquire(session: LockSession): Promise<boolean> {
    const rows = await session.query<{ ok: number | string | null }>('SELECT GET_LOCK(?, 0) AS ok', [this.name]);
    return Number(rows[0]?.ok) === 1;
  }

  protected async holds(session: LockSession): Promise<boolean> {
    const rows = await session.query<{ mine: number | string | null }>('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [this.name]);
    return Number(rows[0]?.mine) === 1;
  }

  protected async release(session: LockSession): Promise<void> {
    await session.query('SELECT RELEASE_LOCK(?)', [this.name]);
  }

  /** One statement: IS_USED_LOCK of each, NULL when no session holds it. */
  async deadAmong(instanceIds: readonly string[]): Promise<string[]> {
    if (instanceIds.length === 0) return [];
    const names = instanceIds.map((id) => mysqlLockName(this.namespace, id));
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${names.map((_, i) => `IS_USED_LOCK(?) AS l${i}`).join(', ')}`,
      names,
    );
    const row = rows[0] ?? {};
    return instanceIds.filter((_, i) => row[`l${i}`] === null || row[`l${i}`] === undefined);
  }
}
