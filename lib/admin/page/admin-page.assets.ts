import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the dashboard, read once at start-up and served from memory. */
export interface AdminAsset {
  /** Text (every asset is): the platforms would send a Buffer returned by a handler as JSON. */
  readonly body: string;
  readonly contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/** The page's own document; served at `{path}`, never under `assets/`. */
export const ADMIN_PAGE_DOCUMENT = 'index.html';
const ASSET_BASE_MARKER = /%ASSETS%/g;

/**
 * Where the files are: `./assets/` beside this module (lib/ under ts-jest, dist/ after `npm run build`,
 * which copies them), else the `lib/admin/page/assets/` of an enclosing folder (a tree compiled
 * elsewhere, e.g. bench's dist-bench/, whose package ships lib/ too).
 */
export function adminAssetsDirectory(moduleUrl: string = import.meta.url): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const beside = join(here, 'assets');
  if (existsSync(join(beside, ADMIN_PAGE_DOCUMENT))) return beside;
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'lib', 'admin', 'page', 'assets');
    if (existsSync(join(candidate, ADMIN_PAGE_DOCUMENT))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`SchedulerAdminModule: the dashboard's files are missing (looked in ${beside}); reinstall the package`);
}

/** Every servable file of the directory by name (`app.mjs`, `style.css`, ...), plus the document template. */
export function loadAdminAssets(directory: string = adminAssetsDirectory()): { document: string; assets: Map<string, AdminAsset> } {
  const assets = new Map<string, AdminAsset>();
  for (const name of readdirSync(directory)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType || name === ADMIN_PAGE_DOCUMENT) continue;
    assets.set(name, { body: readFileSync(join(directory, name), 'utf8'), contentType });
  }
  return { document: readFileSync(join(directory, ADMIN_PAGE_DOCUMENT), 'utf8'), assets };
}

/**
 * The document with its asset URLs relative to the address it was asked at, so the page works at
 * `{path}` and `{path}/`, under a global prefix and behind a proxy that rewrites the prefix: at
 * `/x/scheduler` the files are `scheduler/assets/...`, at `/x/scheduler/` they are `assets/...`.
 */
export function renderAdminDocument(template: string, requestUrl: string): string {
  const path = requestUrl.split(/[?#]/, 1)[0] ?? '';
  const last = path.endsWith('/') ? '' : (path.split('/').pop() ?? '');
  // './' first: a segment such as `a:b` must not read as a URL scheme.
  const base = `./${last ? `${last}/` : ''}assets/`;
  return template.replace(ASSET_BASE_MARKER, escapeAttribute(base));
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
