// Part of `npm run build`: the files worker threads and child processes load themselves
// (lib/executors/runtime/*.mjs, plain ES modules that tsc does not compile) are copied beside the
// compiled executors, which find them in dist/executors/runtime/.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The output folder is `dist` unless given (node scripts/copy-executor-files.mjs <outDir>).
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'lib', 'executors', 'runtime');
const to = join(resolve(root, process.argv[2] ?? 'dist'), 'executors', 'runtime');
if (!existsSync(join(from, 'job-runtime.mjs'))) throw new Error(`copy-executor-files: ${from} has no job-runtime.mjs`);
cpSync(from, to, { recursive: true });
console.log(`copy-executor-files: ${from} -> ${to}`);
