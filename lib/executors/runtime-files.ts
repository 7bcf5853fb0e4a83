import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a file of lib/executors/runtime/ (plain .mjs that worker threads and child processes
 * load themselves): `./runtime/` beside this module (lib/ under ts-jest, dist/ after `npm run build`,
 * which copies them), else the `lib/executors/runtime/` of an enclosing folder (a tree compiled
 * elsewhere, as bench/ is; the package ships lib/ beside dist/).
 */
export function runtimeFile(name: string, moduleUrl: string = import.meta.url): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const beside = join(here, 'runtime', name);
  if (existsSync(beside)) return beside;
  for (let dir = here; ;) {
    const candidate = join(dir, 'lib', 'executors', 'runtime', name);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`nestjs-apscheduler: the executor runtime file ${name} was not found beside ${here}`);
}
