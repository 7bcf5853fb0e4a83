import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package as applications get it: `npm pack` of this tree (its prepack builds dist/), then each
 * application in test/consumers/<name> (its own package.json with exact versions, the tsconfig of
 * the Nest starter it stands for, a tiny src/) is copied to a temp directory, installs the tarball
 * and its dependencies from the registry, compiles with its own tsc and runs: it boots, runs a
 * @ScheduledJob and a job added with SchedulerService.addJob, and exits 0 by itself.
 *
 * Needs the npm registry (the npm cache makes repeats fast). Unreachable, the suite is skipped with
 * a message, or fails when CI=true. KEEP_CONSUMERS=1 keeps the temp directory to look at.
 */

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONSUMERS_DIR = join(REPO, 'test/consumers');
const CONSUMERS = readdirSync(CONSUMERS_DIR)
  .filter((name) => existsSync(join(CONSUMERS_DIR, name, 'package.json')))
  .sort();

/** Copied to the packing directory: everything but installed, built and local files. */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'coverage']);
const notCopied = (path: string) => {
  const name = basename(path);
  return NOT_COPIED.has(name) || name.startsWith('dist-') || /\.(sqlite.*|tgz|tsbuildinfo)$/.test(name);
};

interface Ran {
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end; a failure (exit code, signal, timeout) throws with the end of its output. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Ran {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  const ms = Date.now() - started;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`);
    throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed (${why}, after ${ms} ms):\n${output.slice(-6000)}`);
  }
  return { stdout: result.stdout, stderr: result.stderr, ms };
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** null when the registry answers, else why not. */
function probeRegistry(): string | null {
  const ping = spawnSync(npm, ['ping'], { encoding: 'utf8', timeout: 30_000 });
  if (ping.error) return ping.error.message;
  return ping.status === 0 ? null : `npm ping: ${`${ping.stdout}${ping.stderr}`.trim().split('\n').slice(-3).join(' ')}`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => path.split('\\').join('/'))
    .sort();
}

/**
 * The application's copy of a native package gets its addon: the one this repository built when
 * the versions are the same (same Node, same machine, so the same binary a build would make), else
 * a build of its own (npm rebuild).
 */
function reuseNativeAddon(dir: string, pkg: string): void {
  const theirs = join(dir, 'node_modules', pkg);
  if (!existsSync(join(theirs, 'package.json'))) return;
  const ours = join(REPO, 'node_modules', pkg);
  const versionOf = (root: string) => (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (existsSync(join(ours, 'build/Release')) && versionOf(ours) === versionOf(theirs)) {
    cpSync(join(ours, 'build/Release'), join(theirs, 'build/Release'), { recursive: true });
  } else {
    run(npm, ['rebuild', pkg], dir, 480_000);
  }
}

const timings: string[] = [];
const problem = CONSUMERS.length === 0 ? 'no consumer applications in test/consumers' : probeRegistry();

if (problem !== null && process.env.CI !== 'true') {
  console.warn(`Skipping the consumer applications: ${problem} (set CI=true to make this a failure)`);
  describe.skip('consumer applications', () => {
    it('npm registry unreachable', () => undefined);
  });
} else {
  describe('consumer applications (the packed tarball, installed in Nest projects)', () => {
    let work = '';
    let tarball = '';
    let packed = '';

    beforeAll(() => {
      if (problem !== null) throw new Error(`${problem} (CI=true: the consumer applications must run)`);
      work = mkdtempSync(join(tmpdir(), 'nestjs-apscheduler-consumers-'));
      const source = join(work, 'source');
      cpSync(REPO, source, { recursive: true, filter: (path) => !notCopied(path) });
      symlinkSync(join(REPO, 'node_modules'), join(source, 'node_modules'), 'dir');
      const pack = run(npm, ['pack', '--pack-destination', work], source, 300_000);
      timings.push(`npm pack (prepack builds dist): ${pack.ms} ms`);
      const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
      if (!name) throw new Error(`npm pack wrote no tarball:\n${pack.stdout}${pack.stderr}`);
      tarball = join(work, name);
      mkdirSync(join(work, 'unpacked'));
      run('tar', ['-xzf', tarball, '-C', join(work, 'unpacked')], work, 60_000);
      packed = join(work, 'unpacked', 'package');
    }, 360_000);

    afterAll(() => {
      if (timings.length > 0) console.log(`consumer applications:\n  ${timings.join('\n  ')}`);
      if (work && !process.env.KEEP_CONSUMERS) rmSync(work, { recursive: true, force: true });
      else if (work) console.log(`consumer applications: kept ${work}`);
    });

    it('ships the built code, its types, their maps and the sources they point to, and nothing else', () => {
      const files = filesUnder(packed);
      for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'lib/index.ts']) {
        expect(files).toContain(file);
      }
      expect(files.filter((file) => !/^(dist|lib)\//.test(file)).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
      expect(files.filter((file) => /\.(spec|test)\.|tsbuildinfo/.test(file))).toEqual([]);
      const maps = files.filter((file) => file.endsWith('.map'));
      expect(maps).toContain('dist/index.js.map');
      expect(maps).toContain('dist/index.d.ts.map');
      const unresolved: string[] = [];
      for (const map of maps) {
        const { sources } = JSON.parse(readFileSync(join(packed, map), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const target = resolve(dirname(join(packed, map)), source);
          if (!existsSync(target) || relative(packed, target).startsWith('..')) unresolved.push(`${map} -> ${source}`);
        }
      }
      expect(unresolved).toEqual([]);
      // typeorm is an optional peer: no module of the package imports it at load.
      const importsTypeOrm = files.filter(
        (file) =>
          file.startsWith('dist/') && file.endsWith('.js') && /\bfrom\s*['"]typeorm['"]/.test(readFileSync(join(packed, file), 'utf8')),
      );
      expect(importsTypeOrm).toEqual([]);
    });

    it('does not load typeorm from the package root until something needs it, even when it is installed', () => {
      // The packing directory's node_modules is this repository's, where typeorm is installed.
      const script = [
        "const api = require('./dist/index.js');",
        "const typeorm = () => Object.keys(require.cache).filter((file) => file.includes('/node_modules/typeorm/'));",
        "if (typeorm().length > 0) { console.log('loaded at import: ' + typeorm()[0]); process.exit(1); }",
        "if (api.SCHEDULER_ENTITIES.length !== 3) { console.log('SCHEDULER_ENTITIES: ' + api.SCHEDULER_ENTITIES.length); process.exit(1); }",
        "if (typeorm().length === 0) { console.log('not loaded by SCHEDULER_ENTITIES either'); process.exit(1); }",
        "console.log('lazy');",
      ].join('\n');
      const result = run(process.execPath, ['--input-type=commonjs', '-e', script], join(work, 'source'), 60_000);
      expect(result.stdout.trim()).toBe('lazy');
    });

    it.each(CONSUMERS)(
      '%s installs the tarball, compiles, runs a decorated and a dynamic job and exits 0',
      (name) => {
        const dir = join(work, name);
        cpSync(join(CONSUMERS_DIR, name), dir, { recursive: true, filter: (path) => !notCopied(path) });
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          type?: string;
          dependencies: Record<string, string>;
        };
        manifest.dependencies['nestjs-apscheduler'] = `file:${tarball}`;
        writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

        // Install scripts off: the one that matters, better-sqlite3's, compiles its addon from source here (its
        // prebuilt binaries are on GitHub, out of reach), ~90 s per application. See reuseNativeAddon.
        const install = run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir, 480_000);
        reuseNativeAddon(dir, 'better-sqlite3');
        const version = (pkg: string) => {
          const file = join(dir, 'node_modules', pkg, 'package.json');
          return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'none';
        };
        const versions = ['@nestjs/core', '@nestjs/typeorm', 'typeorm', 'better-sqlite3', 'typescript'].map(
          (pkg) => `${pkg} ${version(pkg)}`,
        );

        let compileMs = 0;
        for (const config of readdirSync(dir).filter((file) => /^tsconfig.*\.json$/.test(file))) {
          compileMs += run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', config], dir, 180_000).ms;
        }
        const main = ['dist/main.js', 'dist/src/main.js'].find((file) => existsSync(join(dir, file)));
        if (!main) throw new Error(`${name}: tsc wrote no dist/main.js`);
        const app = run(process.execPath, [main], dir, 60_000);
        timings.push(`${name}: install ${install.ms} ms, tsc ${compileMs} ms, run ${app.ms} ms (${versions.join(', ')})`);
        if (app.stderr.trim() !== '') console.log(`${name} wrote to stderr:\n${app.stderr}`);
        expect(app.stdout).toMatch(/^consumer ok: decorated and dynamic jobs ran/m);
        // The package was loaded the way the application's format loads it: require() or import.
        expect(app.stdout).toContain(manifest.type === 'module' ? '(esm)' : '(commonjs)');
      },
      900_000,
    );
  });
}
