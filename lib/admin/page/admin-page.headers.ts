/**
 * The dashboard's Content-Security-Policy: everything from the module's own routes, nothing inline
 * (no inline script or style, no `eval`), no plugins, no framing, forms and `<base>` pinned. The
 * page builds every node with DOM APIs and text nodes, so job names, args and errors cannot inject
 * markup, and if one ever did, this policy would still refuse to run it.
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on the document and on every asset. */
export const ADMIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': ADMIN_PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
