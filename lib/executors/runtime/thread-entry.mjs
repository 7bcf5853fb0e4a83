// The file piscina's worker threads load (WorkerThreadExecutor). Tasks come as piscina tasks;
// aborts come on a BroadcastChannel named in workerData, as { id, reason }.
import { workerData } from 'node:worker_threads';
import { abortCall, runCall } from './job-runtime.mjs';
import { lowerPriority } from './nice.mjs';

lowerPriority(workerData.nice);

const channel = new BroadcastChannel(workerData.abortChannel);
channel.unref();
channel.onmessage = (event) => abortCall(event.data.id, event.data.reason);

/** A run as WorkerThreadExecutor sends it (threadTask): a flat array, in this order. */
export function runJob(task) {
  const [id, module, exportName, args, jobId, jobName, scheduledRunTime, instanceId, attempt] = task;
  return runCall({ id, module, export: exportName, args, ctx: { jobId, jobName, scheduledRunTime, instanceId, attempt } });
}
