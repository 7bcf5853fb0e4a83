export * from './job-handler.decorator.js';
export * from './scheduled-job.decorator.js';
