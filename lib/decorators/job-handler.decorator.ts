import { SetMetadata } from '@nestjs/common';
import { InvalidJobOptionError } from '../core/errors.js';
import { JOB_HANDLER_METADATA } from '../scheduler.constants.js';

/**
 * Makes the method a handler that dynamic or stored jobs may name. Default name:
 * `ClassName.methodName`.
 * @publicApi
 */
export function JobHandler(name?: string): MethodDecorator {
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new InvalidJobOptionError('handler', name, '@JobHandler takes a non-empty name or nothing');
  }
  return SetMetadata(JOB_HANDLER_METADATA, { name });
}
