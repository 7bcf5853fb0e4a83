import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

// The local PostgreSQL server, stopped and started by the suites that test an outage
// (persistence/outage.spec.ts, observability/health.spec.ts). Each starts it again when done.

/** Starts or stops (fast: open sessions are cut) the machine's PostgreSQL cluster. */
export function postgresCluster(action: 'start' | 'stop'): void {
  const version = readdirSync('/etc/postgresql')[0];
  const args = ['--skip-systemctl-redirect', version, 'main', action];
  if (action === 'stop') args.push('-m', 'fast');
  execFileSync('pg_ctlcluster', args, { stdio: 'inherit' });
}

/** The server on 127.0.0.1:5432 accepts connections. */
export function postgresReady(): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);
    return true;
  } catch {
    return false;
  }
}

/** This process may stop and start the server (a Debian cluster, run as root). */
export const canControlPostgres = existsSync('/etc/postgresql') && process.getuid?.() === 0;
