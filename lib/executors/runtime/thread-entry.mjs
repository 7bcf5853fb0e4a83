// The file piscina's worker threads load (WorkerThreadExecutor). Tasks come as piscina tasks;
// aborts come on a BroadcastChannel named in workerData, as { id, reason }.
import { workerData } from 'node:worker_threads';
import { abortCall, runCall } from './job-runtime.mjs';
import { lowerPriority } from './nice.mjs';

lowerPriority(workerData.nice);

const channel = new BroadcastChannel(workerData.abortChannel);
channel.unref();
channel.onmessage = (event) => abortCall(event.data.id, event.data.reason);

export function runJob(message) {
  return runCall(message);
}
