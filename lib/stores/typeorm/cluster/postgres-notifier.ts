import type { DataSource } from 'typeorm';
import type { StoreContext } from '../../job-store.js';

interface PgClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
  end(): Promise<void>;
  connection?: { stream?: { unref?(): void } };
}

/** The parts of TypeORM's PostgresDriver used to open a connection like the pool's. */
interface PgDriver {
  postgres?: { Client: new (config: unknown) => PgClient };
  master?: { options?: unknown };
}

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * PostgreSQL LISTEN/NOTIFY between the processes sharing the tables: a change to a job on one
 * process wakes the others at once, so a new job's first run does not wait for their next poll.
 * LISTEN needs a connection of its own for as long as the store runs. It is opened with the
 * pool's settings but outside the pool, so it takes no slot from the application and never makes
 * DataSource.destroy() wait; its socket does not keep the process alive.
 */
export class PostgresNotifier {
  private client: PgClient | null = null;
  private stopped = true;
  private notifyQueued = false;
  private reconnect: NodeJS.Timeout | undefined;
  private delay = RECONNECT_FIRST_MS;
  private readonly dead = new WeakSet<PgClient>();

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
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
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
    const driver = this.dataSource.driver as unknown as PgDriver;
    const Client = driver.postgres?.Client;
    const config = driver.master?.options;
    if (!Client || !config) return;
    const client = new Client(config);
    client.on('error', (error) => this.connectionLost(client, error));
    try {
      await client.connect();
    } catch (error) {
      this.connectionLost(client, error as Error);
      return;
    }
    client.connection?.stream?.unref?.();
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== this.ctx.instanceId) this.ctx.wakeUp();
    });
    try {
      await client.query(`LISTEN ${this.quoted}`);
    } catch (error) {
      this.connectionLost(client, error as Error);
      return;
    }
    this.client = client;
    this.delay = RECONNECT_FIRST_MS;
  }

  private connectionLost(client: PgClient, _error: Error): void {
    // An error event and a failing query can both report the same death: reconnect once.
    if (this.dead.has(client)) return;
    this.dead.add(client);
    client.removeAllListeners('notification');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
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
