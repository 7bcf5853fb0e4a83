// The file ProcessExecutor's child processes run (child_process.fork, 'advanced' serialization).
// Messages from the parent: { t: 'run', id, module, export, args, ctx } and { t: 'abort', id, reason };
// answers: { t: 'done', id, ok, value | error }. One run at a time.
import { abortCall, describeError, runCall } from './job-runtime.mjs';
import { lowerPriority } from './nice.mjs';

lowerPriority(Number(process.argv[2] ?? 0));

let current = null;

function answer(id, reply, then) {
  try {
    process.send({ t: 'done', id, ...reply }, then);
  } catch (error) {
    // A return value the channel cannot carry (a function, a class instance with one).
    process.send(
      {
        t: 'done',
        id,
        ok: false,
        error: { name: 'DataCloneError', message: `the return value cannot be sent back: ${describeError(error).message}` },
      },
      then,
    );
  }
}

process.on('message', (message) => {
  if (message?.t === 'abort') return abortCall(message.id, message.reason);
  if (message?.t !== 'run') return;
  current = message.id;
  void Promise.resolve(runCall(message)).then((reply) => {
    current = null;
    answer(message.id, reply);
  });
});

// A throw outside the handler's promise (in a timer, an event handler) ends the process, as it
// would any Node process; the run's record gets the error rather than only "exited with code 1".
function fatal(error) {
  if (current === null || !process.connected) process.exit(1);
  answer(current, { ok: false, error: describeError(error), fatal: true }, () => process.exit(1));
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
// The scheduler's process is gone: so is this one.
process.on('disconnect', () => process.exit(0));
process.send({ t: 'ready' });
