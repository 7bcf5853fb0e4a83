// Part of `npm run build`: the dashboard's browser files (lib/admin/page/assets/, plain ES modules,
// CSS and HTML that tsc does not compile) are copied beside the compiled page controller, which
// serves them from dist/admin/page/assets/.
import { cpSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The output folder is `dist` unless given (node scripts/copy-admin-assets.mjs <outDir>).
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'lib', 'admin', 'page', 'assets');
const to = join(resolve(root, process.argv[2] ?? 'dist'), 'admin', 'page', 'assets');
if (!existsSync(join(from, 'index.html'))) throw new Error(`copy-admin-assets: ${from} has no index.html`);
cpSync(from, to, { recursive: true });
console.log(`copy-admin-assets: ${from} -> ${to}`);
