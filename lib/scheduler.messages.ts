export const REQUEST_SCOPED_JOB = (className: string, method: string) =>
  `${className}.${method} is a scheduled job or job handler on a request-scoped provider; a scheduler has no ` +
  'request to build it for, so it is NOT registered. Make the provider singleton-scoped (the default).';
export const DUPLICATE_HANDLER = (name: string, className: string, method: string) =>
  `Handler name '${name}' is used twice (again by ${className}.${method}); give one of them another name.`;
