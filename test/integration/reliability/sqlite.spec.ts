import { describeTypeOrmRunLife } from './typeorm-kit.js';

await describeTypeOrmRunLife('sqlite');
