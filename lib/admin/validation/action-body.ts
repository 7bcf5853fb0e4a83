import { BadRequestException } from '@nestjs/common';
import { describeValue } from '../../core/errors.js';
import type { TriggerSpec } from '../../triggers/trigger.js';
import { invalidParameter } from '../scheduler-admin.messages.js';

function badField(field: string, value: unknown, allowed: string): BadRequestException {
  return new BadRequestException(invalidParameter('body field', field, describeValue(value), allowed));
}

/**
 * An action's JSON body: an object with only the fields the action takes. Express gives `{}` for
 * an empty body sent as JSON; Fastify refuses one, so clients send `{}`.
 */
export function readBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException(
      `Invalid body: ${describeValue(body)}; allowed: a JSON object${allowed.length ? ` with ${allowed.join(', ')}` : ', {}'}`,
    );
  }
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      throw badField(
        key,
        fields[key],
        allowed.length ? `not a field of this action; allowed: ${allowed.join(', ')}` : 'this action takes no fields; send {}',
      );
    }
  }
  return fields;
}

/** reschedule's `{ trigger }`: present and JSON-shaped; createTrigger checks the rest (InvalidTriggerError, 400). */
export function readTriggerBody(body: unknown): TriggerSpec {
  const { trigger } = readBody(body, ['trigger']);
  if (trigger === undefined)
    throw badField('trigger', trigger, 'required: a TriggerSpec, e.g. { "type": "cron", "expression": "0 9 * * 1-5" }');
  if (typeof trigger !== 'string' && (typeof trigger !== 'object' || trigger === null || Array.isArray(trigger))) {
    throw badField('trigger', trigger, 'allowed: a crontab string or a trigger object with a type (date, interval, cron, and, or)');
  }
  return trigger as TriggerSpec;
}
