// The layers of the module map (docs/architecture.md), bottom first. A module may import modules of
// its own layer or of a layer below, never above; inside a layer no two modules form a cycle. Read by
// .dependency-cruiser.cjs (the rules) and scripts/depgraph.mjs (the generated graph).
module.exports = [
  {
    name: 'foundation',
    why: 'configuration, Redis, HTTP plumbing, crypto, logging: no product feature',
    modules: ['libs/config', 'libs/redis', 'libs/http', 'libs/crypto', 'libs/logging'],
  },
  {
    name: 'platform',
    why: 'API tokens and the guard, metrics, the workflow bus: used by every feature',
    modules: ['libs/tokens', 'libs/metrics', 'libs/workflow'],
  },
  {
    name: 'features',
    why: 'the configuration and admin features; each owns its Redis records and /api/v1 routes',
    modules: [
      'libs/certificates',
      'libs/proxy-targets',
      'libs/routes',
      'libs/instances',
      'libs/request-log',
      'libs/ports',
      'libs/docker',
      'libs/oauth',
      'libs/health',
      'libs/dashboard',
    ],
  },
  {
    name: 'data path',
    why: 'the public listeners and the forwarding engines; read the features, define the seams',
    modules: ['libs/dispatcher'],
  },
  {
    name: 'dispatcher plug-ins',
    why: "fill the dispatcher's seams (public-surface handlers, the target auth policy, the rate limiter)",
    modules: ['libs/resources', 'libs/protection', 'libs/rate-limits'],
  },
  {
    name: 'apps',
    why: 'compose the libraries into programs',
    modules: ['apps/server', 'apps/cli', 'apps/mcp-echo'],
  },
];
