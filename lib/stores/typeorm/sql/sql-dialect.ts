import { InvalidSchedulerOptionError } from '../../../core/errors.js';

/** The three SQL families the store speaks; each has its own locking and bulk-write idiom. */
export type DialectKind = 'postgres' | 'mysql' | 'sqlite';

/** Maps a TypeORM DataSource type to the store's dialect; throws for databases it cannot lock. */
export function dialectKindOf(type: string): DialectKind {
  switch (type) {
    case 'postgres':
    case 'aurora-postgres':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
    case 'aurora-mysql':
      return 'mysql';
    case 'better-sqlite3':
      return 'sqlite';
    default:
      throw new InvalidSchedulerOptionError('TypeOrmJobStore.dataSource.type', type, 'allowed: postgres, mysql, mariadb, better-sqlite3');
  }
}

/** A statement and its positional parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** What running a statement gives back: the rows of a query, the affected count of a write. */
export interface StatementResult {
  rows: Record<string, unknown>[];
  affected: number;
}

export class SqlDialect {
  constructor(
    readonly kind: DialectKind,
    /** MySQL before 8.0.1 and MariaDB before 10.6 lack SKIP LOCKED: claims then wait on each other (still correct). */
    readonly skipLocked: boolean,
  ) {}

  /** Quotes an identifier. Names come from schedulerTableNames, never from users' data. */
  id(name: string): string {
    return this.kind === 'mysql' ? `\`${name}\`` : `"${name}"`;
  }

  /**
   * `column = placeholder`, compared character for character. MySQL compares text by the column's
   * collation, usually case-insensitive (utf8mb4_general_ci), where '{"type":"CRON"}' equals
   * '{"type":"cron"}'; PostgreSQL and SQLite compare exactly already.
   */
  sameText(column: string, placeholder: string): string {
    return this.kind === 'mysql' ? `${column} = CONVERT(${placeholder} USING utf8mb4) COLLATE utf8mb4_bin` : `${column} = ${placeholder}`;
  }

  /** better-sqlite3 cannot bind booleans. */
  bool(value: boolean): boolean | number {
    return this.kind === 'postgres' ? value : value ? 1 : 0;
  }

  /** The lock a write transaction takes on the rows it selects; SQLite gets it from BEGIN IMMEDIATE instead. */
  get rowLock(): string {
    return this.kind === 'sqlite' ? '' : ' FOR UPDATE';
  }

  /** The lock that makes a claim exclusive: rows another claim holds are skipped where the database can. */
  get claimLock(): string {
    return this.rowLock && this.skipLocked ? `${this.rowLock} SKIP LOCKED` : this.rowLock;
  }

  /** A builder numbering placeholders the way this dialect wants them. */
  params(): ParamList {
    return new ParamList(this.kind === 'postgres');
  }

  /** True when the database rolled the transaction back to break a deadlock (or a serialization conflict). */
  isDeadlock(error: unknown): boolean {
    const e = (error as { driverError?: unknown })?.driverError ?? error;
    if (typeof e !== 'object' || e === null) return false;
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    return code === '40P01' || code === '40001' || code === 'ER_LOCK_DEADLOCK' || errno === 1213;
  }

  /** True for a duplicate primary or unique key, whatever the driver and however TypeORM wraps it. */
  isUniqueViolation(error: unknown): boolean {
    const e = (error as { driverError?: unknown })?.driverError ?? error;
    if (typeof e !== 'object' || e === null) return false;
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    return (
      code === '23505' || // PostgreSQL unique_violation
      code === 'ER_DUP_ENTRY' ||
      errno === 1062 ||
      code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
      code === 'SQLITE_CONSTRAINT_UNIQUE'
    );
  }
}

/** Collects parameter values and hands out their placeholders ($n on PostgreSQL, ? elsewhere). */
export class ParamList {
  readonly values: unknown[] = [];

  constructor(private readonly numbered: boolean) {}

  add(value: unknown): string {
    this.values.push(value);
    return this.numbered ? `$${this.values.length}` : '?';
  }

  /** Placeholders for a list, for `IN (...)`. */
  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }
}

/**
 * Rows per multi-row statement on MySQL and SQLite: 500 executions x 11 columns stays far below
 * both drivers' placeholder limits. PostgreSQL sends whole arrays through unnest() instead.
 */
export const ROWS_PER_STATEMENT = 500;

/** Splits a list into chunks, so multi-row statements stay under every driver's parameter limit. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
