import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const LIB = join(import.meta.dirname, '../../../../lib');
/** Optional peers of health, metrics and tracing: no file may load them at import. */
const PEERS = ['@nestjs/terminus', 'prom-client', '@opentelemetry/api'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('optional peers of observability', () => {
  it('are imported for their types only (values are loaded on first use)', () => {
    const offending: string[] = [];
    for (const file of sources(LIB)) {
      const text = readFileSync(file, 'utf8');
      // Static imports and re-exports, over several lines too; `import type` and `import()` are fine.
      for (const match of text.matchAll(/^(import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
        if (PEERS.includes(match[2])) offending.push(`${relative(LIB, file)}: ${match[0].split('\n')[0]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('are not reached from the package root at all', () => {
    const root = readFileSync(join(LIB, 'index.ts'), 'utf8');
    expect(root).not.toMatch(/from '\.\/admin\//);
  });
});
