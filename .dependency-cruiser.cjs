/**
 * The layout's rules (DESIGN.md "Layout"), checked in CI by `npm run lint`:
 * no import circles, and the framework-free core never reaches into the Nest layer.
 * Type-only imports count: a circle of types is still a circle for a reader.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: a reader cannot take either file first.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-without-nest',
      severity: 'error',
      comment: 'lib/core, triggers, stores and executors are framework-free (DESIGN.md): no Nest import.',
      from: { path: '^lib/(core|triggers|stores|executors)/' },
      to: { path: '(^|/)node_modules/@nestjs/' },
    },
    {
      name: 'core-not-from-nest-layer',
      severity: 'error',
      comment: 'The Nest layer (module, service, explorer, decorators, interfaces) builds on the core, never the other way.',
      from: { path: '^lib/(core|triggers|stores|executors)/' },
      to: { path: '^lib/([^/]+\\.ts$|decorators/|interfaces/)' },
    },
    {
      name: 'triggers-stand-alone',
      severity: 'error',
      comment: 'Triggers compute fire times and know nothing of jobs, stores or the loop.',
      from: { path: '^lib/triggers/' },
      to: { path: '^lib/(core/(?!errors\\.ts)|stores/|executors/)' },
    },
    {
      name: 'only-index-is-public',
      severity: 'error',
      comment: 'Nothing imports the public surface from inside the package.',
      from: { path: '^lib/', pathNot: '^lib/index\\.ts$' },
      to: { path: '^lib/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
