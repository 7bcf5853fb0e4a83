import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { adminAssetsDirectory, loadAdminAssets, renderAdminDocument } from '../../../lib/admin/page/admin-page.assets.js';
import { ADMIN_PAGE_CSP } from '../../../lib/admin/page/admin-page.headers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..', '..');
const assetsDir = join(root, 'lib', 'admin', 'page', 'assets');
const scripts = readdirSync(assetsDir).filter((f) => f.endsWith('.mjs'));

/** The dashboard's files without a browser: what they reference, what they must never contain. */
describe('admin page files', () => {
  it('finds its files beside the module, and in lib/ from a tree compiled elsewhere (dist-bench)', () => {
    expect(adminAssetsDirectory()).toBe(assetsDir);
    const compiledElsewhere = pathToFileURL(join(root, 'dist-bench', 'lib', 'admin', 'page', 'admin-page.assets.js')).href;
    expect(adminAssetsDirectory(compiledElsewhere)).toBe(assetsDir);
  });

  it('links its files relative to the address it is asked at', () => {
    const { document } = loadAdminAssets();
    const links = (url: string) => [...renderAdminDocument(document, url).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(links('/scheduler')).toContain('./scheduler/assets/app.mjs');
    expect(links('/internal/ops/scheduler?x=1')).toContain('./scheduler/assets/app.mjs');
    expect(links('/scheduler/')).toContain('./assets/app.mjs');
    expect(links('/')).toContain('./assets/app.mjs');
    expect(links('/a:b')).toContain('./a:b/assets/app.mjs');
    expect(renderAdminDocument(document, '/x"onload="y')).not.toContain('"onload');
  });

  it('serves every file the document and the modules import', () => {
    const { document, assets } = loadAdminAssets();
    const referenced = [...document.matchAll(/%ASSETS%([\w.-]+)/g)].map((m) => m[1]!);
    for (const file of scripts) {
      const source = readFileSync(join(assetsDir, file), 'utf8');
      referenced.push(...[...source.matchAll(/from '\.\/([\w.-]+)'/g)].map((m) => m[1]!));
    }
    for (const file of new Set(referenced)) expect(assets.has(file)).toBe(true);
    expect(assets.has('index.html')).toBe(false);
    // Every module but the entry is preloaded, so the browser fetches them at once (first render).
    const preloaded = [...document.matchAll(/rel="modulepreload" href="%ASSETS%([\w.-]+)"/g)].map((m) => m[1]);
    expect(preloaded.sort()).toEqual(scripts.filter((f) => f !== 'app.mjs').sort());
  });

  it('has no inline script or style, and never turns text into markup', () => {
    const { document } = loadAdminAssets();
    expect(document).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(document).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    for (const file of scripts) {
      const source = readFileSync(join(assetsDir, file), 'utf8');
      expect({
        file,
        found: source.match(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('style'/g),
      }).toEqual({
        file,
        found: null,
      });
    }
    expect(ADMIN_PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('type-checks the browser code (JSDoc types, DOM library)', () => {
    const configPath = join(here, 'tsconfig.client.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    expect(parsed).toBeDefined();
    expect(parsed!.fileNames.length).toBe(scripts.length);
    const program = ts.createProgram(parsed!.fileNames, parsed!.options);
    const messages = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(messages).toEqual([]);
  });
});
