// The module map, checked: `npm run depgraph` (also part of `npm run lint` and `npm test`).
// The layers live in scripts/lib/module-layers.cjs; docs/architecture.md explains them.
const layers = require('./scripts/lib/module-layers.cjs');

// Unit specs sit next to their code but are tests, left out of the graph: they may build fixtures
// from any module (libs/config's spec makes a certificate with the dispatcher's helper).
const SPEC = '\\.spec\\.ts$';
const modulePattern = (modules) => `^(${modules.join('|')})/`;

// One rule per layer: nothing in it imports a module of a layer above.
const upwardRules = layers.slice(0, -1).map((layer, index) => ({
  name: `no-upward-from-${layer.name.replaceAll(' ', '-')}`,
  comment: `${layer.name} (${layer.modules.join(', ')}) must not import a higher layer`,
  severity: 'error',
  from: { path: modulePattern(layer.modules) },
  to: { path: modulePattern(layers.slice(index + 1).flatMap((higher) => higher.modules)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upwardRules,
    {
      name: 'no-cycle-between-modules',
      comment: 'two modules that import each other, through any files, form a cycle',
      severity: 'error',
      // folder scope: every folder is a node; a module's code is its src/ folder
      scope: 'folder',
      from: { path: '^(libs|apps)/[^/]+/src$' },
      to: { path: '^(libs|apps)/[^/]+/src$', circular: true },
    },
    {
      name: 'no-lib-to-app',
      comment: 'apps compose the libraries; a library never reaches into an app',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-app-to-app',
      comment: 'each app is its own program; what two apps share belongs in a library',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-production-to-test',
      comment: 'test helpers are not shipped: library and app code never import test/',
      severity: 'error',
      from: { path: '^(libs|apps)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    // includeOnly keeps node_modules out of the graph; test/ stays in so no-production-to-test sees it.
    includeOnly: '^(libs|apps|test)/',
    exclude: { path: ['(^|/)(dist|node_modules)/', SPEC] },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: they tie the modules together as much as value imports do.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
  },
};
