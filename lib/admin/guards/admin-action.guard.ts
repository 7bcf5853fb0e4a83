import {
  Inject,
  Injectable,
  NotFoundException,
  UnsupportedMediaTypeException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { SCHEDULER_ADMIN_OPTIONS } from '../scheduler-admin.constants.js';
import { JSON_ONLY_MESSAGE, READ_ONLY_MESSAGE } from '../scheduler-admin.messages.js';
import type { ResolvedAdminOptions } from '../scheduler-admin.options.js';

/** What this guard reads of the platform's request (Express and Fastify both expose `headers`). */
interface ActionRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * On the action routes, after SchedulerAdminGuard: with readOnly the route answers 404 as if it did
 * not exist; otherwise the request must say `Content-Type: application/json`. Browsers send that
 * type cross-site only after a CORS preflight, which the application does not grant, so a form,
 * an image or a link on another site cannot run, pause or remove a job.
 */
@Injectable()
export class AdminActionGuard implements CanActivate {
  constructor(@Inject(SCHEDULER_ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.options.readOnly) throw new NotFoundException(READ_ONLY_MESSAGE);
    const type = context.switchToHttp().getRequest<ActionRequest>().headers['content-type'];
    const mediaType = (Array.isArray(type) ? type[0] : type)?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') throw new UnsupportedMediaTypeException(JSON_ONLY_MESSAGE);
    return true;
  }
}
