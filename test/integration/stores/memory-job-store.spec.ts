import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';
import { runJobStoreContract } from './job-store.contract.js';

runJobStoreContract('MemoryJobStore', () => new MemoryJobStore());
