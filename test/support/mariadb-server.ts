import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The local MariaDB server, stopped and started by the suites that test an outage
// (cluster/cluster.spec.ts). Each starts it again when done.

/** Stops the server (its sessions are cut) or starts it in the background, as .ci/run does. */
export function mariadbServer(action: 'start' | 'stop'): void {
  if (action === 'stop') execFileSync('mariadb-admin', ['-h', '127.0.0.1', '-uroot', 'shutdown'], { stdio: 'inherit' });
  else execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'], { stdio: 'inherit' });
}

/** The server on 127.0.0.1:3306 answers. */
export function mariadbReady(): boolean {
  try {
    execFileSync('mariadb-admin', ['-h', '127.0.0.1', '-uroot', 'ping'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** This process may stop and start the server (run as root, with the Debian package's daemon). */
export const canControlMariadb = existsSync('/usr/sbin/mariadbd') && process.getuid?.() === 0;
