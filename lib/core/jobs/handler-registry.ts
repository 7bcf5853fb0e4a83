import { ConflictingHandlerError } from '../errors.js';
import type { JobHandlerFunction } from './job-options.js';

/**
 * Handler name -> function. The only way a stored job reaches code: a row names a handler, it
 * never carries one, so the database cannot make the process run code it did not register.
 */
export class HandlerRegistry {
  private readonly handlers = new Map<string, JobHandlerFunction>();

  register(name: string, fn: JobHandlerFunction): void {
    const existing = this.handlers.get(name);
    if (existing && existing !== fn) throw new ConflictingHandlerError(name);
    this.handlers.set(name, fn);
  }

  unregister(name: string): boolean {
    return this.handlers.delete(name);
  }

  get(name: string): JobHandlerFunction | undefined {
    return this.handlers.get(name);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
