import { describe } from '@jest/globals';
import { MemoryJobStore } from '../../../lib/index.js';
import { describeRunLife } from './run-life.suite.js';

describe('memory', () => {
  describeRunLife({ name: 'memory', newStore: async () => new MemoryJobStore() });
});
