// Lowers the scheduling priority of the calling worker thread or child process by `increment`
// (0-19), so CPU-bound jobs yield the CPU to the application's event loop. Best effort: a platform
// that refuses (or a thread whose kernel id cannot be found, outside Linux) keeps its priority.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

export function lowerPriority(increment) {
  if (!(increment > 0)) return;
  try {
    // setpriority() applies to one thread on Linux: a worker thread finds its own kernel id.
    const id = isMainThread ? 0 : Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(id)) return;
    setPriority(id, Math.min(19, getPriority(id) + increment));
  } catch {
    // Not Linux (no /proc/thread-self for a thread), or not allowed: the priority stays.
  }
}
