import { GithubStandin } from '../support/github-standin';
import { Backend, echoBackend } from '../support/loopback';
import { waitFor } from '../support/wait';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, startProtectedServer } from './protection-fixture';

interface Resource {
  id: string;
  proxy_target: string;
}
interface WorkflowEvents {
  events: { id: string; type: string; payload: Record<string, unknown> }[];
}

/** Issue 6: deleting a proxy target removes its registry entries and redirect client through the `proxy-cleanup` workflow group. */
describe('proxy.deleted → the target’s protection state is cleaned', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  const origin = (host: string) => `http://${host}:${server.httpPort}`;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend('cleanup');
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('removes the deleted target’s registry entries and OAuth client, keeps the other target’s', async () => {
    await protectTarget(server, 'gone.example.test', backend.url, { required_users: ['*'], mode: 'redirect' });
    await protectTarget(server, 'kept.example.test', backend.url, { required_users: ['*'] });
    const auth = await server.api<{ redirect_client_id: string }>(
      'GET',
      '/api/v1/proxy/targets/gone.example.test/auth',
    );
    const clientId = auth.body.redirect_client_id;
    expect(clientId).toEqual(expect.any(String));
    expect((await server.api('GET', `/api/v1/oauth/clients/${clientId}`)).status).toBe(200);
    const register = (host: string, path: string) =>
      server.api<Resource>('POST', '/api/v1/resources', {
        body: { uri: `${origin(host)}${path}`, name: `${host}${path}`, proxy_target: host },
      });
    const gone = [await register('gone.example.test', '/mcp'), await register('gone.example.test', '/mcp/admin')];
    const kept = await register('kept.example.test', '/mcp');
    expect([...gone, kept].map((r) => r.status)).toEqual([201, 201, 201]);

    const deleted = await server.api('DELETE', '/api/v1/proxy/targets/gone.example.test');
    expect(deleted.status).toBe(200);

    const listed = async () => (await server.api<Resource[]>('GET', '/api/v1/resources')).body.map((r) => r.id);
    await waitFor(
      'the resources of the deleted target removed (value: resource ids left)',
      listed,
      (ids) => ids.length === 1,
      { timeoutMs: 10_000 },
    );
    expect(await listed()).toEqual([kept.body.id]);
    await waitFor(
      'the OAuth client of the deleted target gone (value: GET status)',
      async () => (await server.api('GET', `/api/v1/oauth/clients/${clientId}`)).status,
      (status) => status === 404,
      { timeoutMs: 10_000 },
    );
    for (const r of gone) expect((await server.api('GET', `/api/v1/resources/${r.body.id}`)).status).toBe(404);

    const events = await server.api<WorkflowEvents>('GET', '/api/v1/workflow/events?type=proxy.deleted');
    expect(events.status).toBe(200);
    expect(events.body.events).toHaveLength(1);
    expect(events.body.events[0].payload).toMatchObject({
      hostname: 'gone.example.test',
      certificate_deleted: false,
      auth: { mode: 'redirect', redirect_client_id: clientId },
    });
    expect(events.body.events[0].payload.created_at).toEqual(expect.any(String));
  });
});
