import { spawn } from 'node:child_process';
import { RESULT_PREFIX, type ChildResult, type ScenarioDefinition } from './scenario.js';

/**
 * Runs one variant of a scenario as a fresh child process (`node --expose-gc <file> <variant>` in
 * `cwd`) and reads the `@@BENCH_RESULT` line it prints. Used by run-all.ts and compare-trees.ts.
 * Other output is kept as the last few lines, for the error of a failed run and, on success, as
 * `info.childOutputLines` / `info.childOutputLast`.
 */
export function runScenarioChild(file: string, cwd: string, scenario: ScenarioDefinition, variant: string): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const args = ['--expose-gc', ...(scenario.nodeArgs ?? []), file, variant];
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let result: ChildResult | null = null;
    let buffered = '';
    const tail: string[] = [];
    let otherLines = 0;
    const keep = (line: string) => {
      if (!line) return;
      otherLines++;
      tail.push(line);
      if (tail.length > 8) tail.shift();
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult;
        else keep(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => chunk.split('\n').forEach(keep));
    const timer = setTimeout(() => {
      keep(`killed after ${scenario.timeoutMs} ms`);
      child.kill('SIGKILL');
    }, scenario.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (result && code === 0) {
        if (otherLines > 0) {
          result.info = { ...result.info, childOutputLines: otherLines, childOutputLast: tail[tail.length - 1].slice(0, 200) };
        }
        resolvePromise(result);
      } else {
        reject(new Error(`exit ${code ?? signal}: ${tail.join(' | ')}`));
      }
    });
  });
}
