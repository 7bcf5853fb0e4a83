import type { DataSource } from 'typeorm';
import type { StoreContext } from '../job-store.js';

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  release(error?: Error | boolean): void;
}

interface PgPool {
  connect(): Promise<PgClient>;
}

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * PostgreSQL LISTEN/NOTIFY between the processes sharing the tables: a change to a job on one
 * process wakes the others at once, so a new job's first run does not wait for their next poll.
 * Holds one connection of the DataSource's pool while the store runs.
 */
export class PostgresNotifier {
  private client: PgClient | null = null;
  private stopped = true;
  private notifyQueued = false;
  private reconnect: NodeJS.Timeout | undefined;
  private delay = RECONNECT_FIRST_MS;

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
    private readonly ctx: StoreContext,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('notification');
      await client.query(`UNLISTEN ${this.quoted}`).catch(() => undefined);
      client.removeAllListeners('error');
      client.release();
    }
  }

  /** Tells the other processes that jobs changed; changes made in one tick share one NOTIFY. */
  notify(): void {
    if (this.stopped || this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      // Best effort: a lost NOTIFY only means the others find the change at their next poll.
      this.dataSource.query('SELECT pg_notify($1, $2)', [this.channel, this.ctx.instanceId]).catch(() => undefined);
    });
  }

  private get quoted(): string {
    return `"${this.channel.replace(/"/g, '""')}"`;
  }

  private async listen(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master?: PgPool }).master;
    if (!pool || typeof pool.connect !== 'function') return;
    const client = await pool.connect();
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== this.ctx.instanceId) this.ctx.wakeUp();
    });
    client.on('error', (error) => this.connectionLost(client, error));
    try {
      await client.query(`LISTEN ${this.quoted}`);
    } catch (error) {
      this.connectionLost(client, error as Error);
      return;
    }
    this.client = client;
    this.delay = RECONNECT_FIRST_MS;
  }

  private connectionLost(client: PgClient, error: Error): void {
    client.removeAllListeners('notification');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    try {
      client.release(error);
    } catch {
      // already released
    }
    if (this.client === client) this.client = null;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.reconnect = setTimeout(() => {
      this.listen()
        // Notifications sent while we were away are gone: look at the jobs table again.
        .then(() => this.ctx.wakeUp())
        .catch(() => this.scheduleReconnect());
    }, this.delay);
    this.reconnect.unref();
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
  }
}
