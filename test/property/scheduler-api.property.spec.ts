/**
 * Property-based tests of the scheduler's public calls on every store: the memory store, and the
 * TypeORM store on SQLite, PostgreSQL and MariaDB (describeDatabase: CI=true fails when a server
 * is missing). See api-properties.ts for the properties, harness.ts for the checks every case ends
 * with. fast-check chooses the seed; a failure prints it with the shrunk counterexample, and
 * FC_SEED=<seed> FC_PATH=<path> replays it.
 */
import { describe } from '@jest/globals';
import { DATABASES, describeDatabase } from '../support/databases.js';
import { defineApiProperties } from './api-properties.js';
import { databaseFactory, memoryFactory } from './harness.js';

describe('memory', () => {
  defineApiProperties({ factory: memoryFactory });
});

for (const name of DATABASES) {
  await describeDatabase(name, (db) => {
    defineApiProperties({ factory: () => databaseFactory(db, 'pa') });
  });
}
