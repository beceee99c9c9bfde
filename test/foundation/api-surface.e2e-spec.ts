import { ServerProcess } from '../support/server-process';

interface OpenApi {
  paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** Routes that are deliberately reachable without a token. Adding one here is a security decision. */
// /metrics: Prometheus scrapers on the loopback admin listener, like /health; METRICS_TOKEN guards it when set
// (docs/logs-and-metrics.md). It exposes counters and hostnames, no secrets.
const PUBLIC_ROUTES = new Set(['GET /health', 'GET /metrics', 'GET /.well-known/acme-challenge/{token}']);

describe('admin API surface', () => {
  let server: ServerProcess;
  let doc: OpenApi;

  beforeAll(async () => {
    server = await ServerProcess.start();
    doc = (await server.api<OpenApi>('GET', '/openapi.json', { token: null })).body;
  });
  afterAll(() => server.stop());

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${server.apiUrl}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('documents every /api/v1 route with bearer security', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );
    const api = routes.filter((r) => r.route.includes(' /api/v1/'));
    expect(api.length).toBeGreaterThanOrEqual(7);
    for (const { route, op } of api)
      expect({ route, security: op.security }).toEqual({ route, security: [{ bearer: [] }] });
  });

  it('answers 401 without a token on every documented route that is not deliberately public', async () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const route = `${method.toUpperCase()} ${path}`;
        if (PUBLIC_ROUTES.has(route)) continue;
        const url = path.replace(/\{[^}]+\}/g, 'probe');
        const res = await server.api(method.toUpperCase(), url, {
          token: null,
          body: ['POST', 'PUT', 'PATCH'].includes(method.toUpperCase()) ? {} : undefined,
        });
        expect({
          route,
          status: res.status,
          challenge: res.headers.get('www-authenticate')?.startsWith('Bearer'),
        }).toEqual({ route, status: 401, challenge: true });
      }
    }
  });
});
