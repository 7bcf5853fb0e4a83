/** Where the scheduler reports problems it cannot throw to a caller. @publicApi */
export interface SchedulerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, trace?: string): void;
  /** Optional (Nest's Logger has it): the levels `debug` and `verbose` of `logging` use log() without it. */
  debug?(message: string): void;
  verbose?(message: string): void;
}

/**
 * The logger, made safe to call: the scheduler logs exactly where it cannot throw to a caller (a
 * failed pass, a throwing subscriber), so a logger that throws must not take the loop down.
 */
export function neverThrowing(logger: SchedulerLogger): SchedulerLogger {
  const guard = (call: () => void) => {
    try {
      call();
    } catch {
      // Nowhere left to report it.
    }
  };
  return {
    log: (message) => guard(() => logger.log(message)),
    warn: (message) => guard(() => logger.warn(message)),
    error: (message, trace) => guard(() => logger.error(message, trace)),
    debug: (message) => guard(() => (typeof logger.debug === 'function' ? logger.debug(message) : logger.log(message))),
    verbose: (message) => guard(() => (typeof logger.verbose === 'function' ? logger.verbose(message) : logger.log(message))),
  };
}

/** The logger when none is given (the Nest layer gives Nest's). */
export const consoleLogger: SchedulerLogger = {
  log: (message) => console.log(`[Scheduler] ${message}`),
  warn: (message) => console.warn(`[Scheduler] ${message}`),
  error: (message, trace) => console.error(`[Scheduler] ${message}${trace ? `\n${trace}` : ''}`),
};
