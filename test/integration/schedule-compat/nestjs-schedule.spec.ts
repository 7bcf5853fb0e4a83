import 'reflect-metadata';
import { describe } from '@jest/globals';
import { describeDropIn } from './drop-in.suite.js';

/** The reference: the fixture application on @nestjs/schedule itself, which defines the behaviour the drop-in must keep. */
describe('the @nestjs/schedule application on @nestjs/schedule', () => {
  describeDropIn(() => import('./fixture/app.module.js'));
});
