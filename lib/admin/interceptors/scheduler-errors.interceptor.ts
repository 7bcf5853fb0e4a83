import {
  BadRequestException,
  ConflictException,
  HttpException,
  Injectable,
  NotFoundException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import {
  InvalidJobOptionError,
  InvalidQueryError,
  InvalidTriggerError,
  JobLookupError,
  SchedulerNotRunningError,
  SerializationError,
  StoreLookupError,
} from '../../core/errors.js';

/**
 * The scheduler's named errors as HTTP answers (`{ statusCode, error, message }`, the message the
 * scheduler wrote): an unknown job is 404, a refused value 400, an action the scheduler's state
 * does not allow 409. Anything else stays a 500, which Nest logs.
 */
@Injectable()
export class SchedulerErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: unknown) => throwError(() => toHttpException(error))));
  }
}

export function toHttpException(error: unknown): unknown {
  if (error instanceof HttpException || !(error instanceof Error)) return error;
  if (error instanceof JobLookupError) return new NotFoundException(error.message);
  if (
    error instanceof InvalidTriggerError ||
    error instanceof InvalidJobOptionError ||
    error instanceof InvalidQueryError ||
    error instanceof SerializationError ||
    error instanceof StoreLookupError
  ) {
    return new BadRequestException(error.message);
  }
  if (error instanceof SchedulerNotRunningError) return new ConflictException(error.message);
  return error;
}
