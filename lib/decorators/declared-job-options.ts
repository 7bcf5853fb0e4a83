import { InvalidJobOptionError } from '../core/errors.js';
import { SCHEDULED_JOB_KEYS, readJobOptions } from '../core/jobs/job-validation.js';
import { checkBoolean, type OptionErrorFactory } from '../utils/option-checks.js';

const optionError: OptionErrorFactory = (field, value, allowed) => new InvalidJobOptionError(field, value, allowed);

/** What the Nest layer adds to a decorated job's options (see ScheduledJobOptions). */
const DECLARATION_FLAGS = ['enabled', 'paused', 'runOnStart'] as const;

/** The keys of @ScheduledJob and of a module options' `jobs[id]` entry. */
const DECLARED_JOB_KEYS: ReadonlySet<string> = new Set([
  ...[...SCHEDULED_JOB_KEYS].filter((key) => key !== 'nextRunTime'),
  ...DECLARATION_FLAGS,
]);

/**
 * Checks the options of a declared job (a decorator's, or a configuration's override of one):
 * unknown keys are refused with a "did you mean", every value as addJob would, the flags as
 * booleans, and paused with runOnStart as a contradiction.
 */
export function readDeclaredJobOptions(options: object, what: string): Record<string, unknown> {
  const read = readJobOptions(options, DECLARED_JOB_KEYS, what, 'options');
  for (const flag of DECLARATION_FLAGS) if (read[flag] !== undefined) checkBoolean(optionError, flag, read[flag]);
  if (read.paused === true && read.runOnStart === true) {
    throw new InvalidJobOptionError('runOnStart', true, `a job declared paused cannot also run on start (${what})`);
  }
  return read;
}
