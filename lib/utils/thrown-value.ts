/** The longest description of a thrown non-Error kept in a message. */
const MAX_DESCRIPTION = 1000;

/**
 * Anything a handler threw or rejected with, as an Error whose name, message and stack can be read
 * without throwing. A handler may throw null, a null-prototype object, a revoked Proxy (even
 * `instanceof` throws on one) or an Error whose getters throw; the run must still be recorded as an
 * error, so nothing here may throw. An ordinary Error is returned as it is.
 */
export function toError(value: unknown): Error {
  try {
    if (value instanceof Error && isReadableError(value)) return value;
  } catch {
    // A revoked proxy: fall through to a description.
  }
  const error = new Error(describeThrown(value));
  error.name = 'NonErrorThrown';
  return error;
}

function isReadableError(error: Error): boolean {
  return (
    typeof error.name === 'string' && typeof error.message === 'string' && (error.stack === undefined || typeof error.stack === 'string')
  );
}

/** A message for a thrown value, never throwing: its text, its JSON, or at least its kind. */
export function describeThrown(value: unknown): string {
  if (typeof value === 'string') return clip(value);
  try {
    if (value instanceof Error) {
      // An Error whose name, message or stack getter throws or is not a string.
      const message = safeRead(() => value.message);
      return clip(`Error with unreadable properties${typeof message === 'string' ? `: ${message}` : ''}`);
    }
  } catch {
    return 'Non-error thrown: a value that cannot be inspected (a revoked Proxy?)';
  }
  const json = safeRead(() => JSON.stringify(value));
  if (typeof json === 'string') return clip(`Non-error thrown: ${json}`);
  const tag = safeRead(() => Object.prototype.toString.call(value));
  if (typeof tag === 'string') return `Non-error thrown: ${tag}`;
  return `Non-error thrown: a value of type ${typeof value} that cannot be described`;
}

function safeRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION)}…`;
}

/** The most characters of an execution's error text every store keeps. */
export const MAX_ERROR_CHARS = 2_000;
/** The most characters of an execution's traceback every store keeps (MySQL TEXT: 65,535 bytes, 4 per character). */
export const MAX_TRACEBACK_CHARS = 16_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text every store can hold: PostgreSQL refuses NUL in text, a lone surrogate does not survive
 * UTF-8, and a column has a size. The same rules for every store, so history reads the same
 * whichever store wrote it.
 */
export function storableText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what PostgreSQL's text type refuses.
  let safe = text.includes('\u0000') ? text.replace(/\u0000/g, '\\0') : text;
  safe = safe.replace(LONE_SURROGATE, '\uFFFD');
  if (safe.length <= max) return safe;
  const suffix = '\n[truncated]';
  let cut = max - suffix.length;
  // Do not split a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(safe[cut - 1]!)) cut--;
  return `${safe.slice(0, Math.max(cut, 0))}${suffix}`;
}

/** Whether a string survives every store unchanged: no NUL, no lone surrogate. */
export function isStorableString(text: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}
