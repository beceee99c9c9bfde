import type { ColumnSpec, ResourceSpec } from './command-spec';
import { EchoProcesses } from './echo-processes';
import { runEchoSetup } from './mcp-echo-setup';

/**
 * Every command of the CLI, one entry per API operation. To add a resource, append a ResourceSpec
 * (see command-spec.ts); parsing, help, requests, tables and `--json` need no other change.
 */
const countsColumn = (header: string, key: string): ColumnSpec => ({
  header,
  key,
  format: (value) => {
    const entries = Object.entries((value ?? {}) as Record<string, number>).filter(([, n]) => n > 0);
    return entries.length === 0 ? '-' : entries.map(([kind, n]) => `${kind}=${n}`).join(',');
  },
});

const tokenColumns: ColumnSpec[] = [
  { header: 'NAME', key: 'name' },
  { header: 'CERT EMAIL', key: 'cert_email' },
  { header: 'CREATED', key: 'created_at' },
  { header: 'ROTATED', key: 'rotated_at' },
  countsColumn('OWNS', 'owned'),
];

export const COMMANDS: ResourceSpec[] = [
  {
    resource: 'health',
    summary: 'Server and Redis health (no token needed)',
    defaultVerb: 'show',
    verbs: [{ verb: 'show', summary: 'Show health; exits 1 when degraded', method: 'GET', path: '/health', public: true, printBodyOnError: true }],
  },
  {
    resource: 'token',
    aliases: ['tokens'],
    summary: 'API tokens',
    verbs: [
      {
        verb: 'create',
        summary: 'Create a token; its value is shown once',
        method: 'POST',
        path: '/api/v1/tokens',
        args: [{ name: 'name', in: 'body', description: 'unique name: letters, digits, _ . -' }],
        options: [{ flag: 'cert-email', type: 'string', description: 'e-mail for ACME certificates created with this token' }],
        note: 'Store the token now: it is never shown again.',
      },
      { verb: 'list', summary: 'List tokens with what they own', method: 'GET', path: '/api/v1/tokens', columns: tokenColumns },
      { verb: 'show', summary: 'Show one token', method: 'GET', path: '/api/v1/tokens/{name}', args: [{ name: 'name', description: 'token name' }] },
      {
        verb: 'delete',
        summary: 'Delete a token and everything it owns',
        method: 'DELETE',
        path: '/api/v1/tokens/{name}',
        args: [{ name: 'name', description: 'token name' }],
      },
      {
        verb: 'rotate',
        summary: 'Replace a token value; the new value is shown once',
        method: 'POST',
        path: '/api/v1/tokens/{name}/rotate',
        args: [{ name: 'name', description: 'token name' }],
        note: 'Store the token now: it is never shown again.',
      },
      { verb: 'me', summary: 'Show the calling token', method: 'GET', path: '/api/v1/tokens/me' },
      {
        verb: 'email',
        summary: "Set the calling token's certificate e-mail",
        method: 'PUT',
        path: '/api/v1/tokens/me/email',
        args: [{ name: 'cert_email', in: 'body', description: 'e-mail address' }],
      },
    ],
  },
  {
    resource: 'mcp',
    summary: 'MCP servers behind the proxy',
    verbs: [
      {
        verb: 'echo-setup',
        summary: 'Start the example MCP echo servers and publish them protected (idempotent)',
        calls:
          'several: GET /.well-known/oauth-authorization-server; per server POST|PUT /api/v1/proxy/targets, POST /api/v1/proxy/targets/{hostname}/auth, POST /api/v1/proxy/targets/{hostname}/resource, POST|PUT /api/v1/resources',
        options: [
          { flag: 'base-domain', type: 'string', description: 'domain of the hostnames <prefix>-stateless.<domain>, <prefix>-stateful.<domain> (env BASE_DOMAIN)' },
          { flag: 'auth-hostname', type: 'string', description: 'the authorization server hostname (env AUTH_HOSTNAME, default auth.<domain>)' },
          { flag: 'prefix', type: 'string', description: 'first label of the hostnames (default echo)' },
          { flag: 'users', type: 'list', description: 'GitHub logins allowed (default *: anyone who may sign in)' },
          { flag: 'stateless-port', type: 'integer', description: 'loopback port of the stateless server (default 3101)' },
          { flag: 'stateful-port', type: 'integer', description: 'loopback port of the stateful server (default 3102)' },
          { flag: 'stateless-url', type: 'string', description: 'use a stateless server running elsewhere (origin, e.g. http://10.0.0.5:3101)' },
          { flag: 'stateful-url', type: 'string', description: 'use a stateful server running elsewhere' },
          { flag: 'start', type: 'boolean', description: 'start the servers here (default; --no-start when they already run on the ports)' },
          { flag: 'enable-https', type: 'boolean', description: 'serve the hostnames over HTTPS (default on; --no-enable-https for plain HTTP)' },
          { flag: 'data-dir', type: 'string', description: 'where the pid and log files go (default <repository>/data)' },
        ],
        handler: runEchoSetup,
      },
      {
        verb: 'echo-stop',
        summary: 'Stop the echo servers echo-setup started (pid files in data/)',
        calls: 'none (local processes only)',
        public: true,
        options: [{ flag: 'data-dir', type: 'string', description: 'where the pid files are (default <repository>/data)' }],
        handler: async ({ values, stdout }) => {
          const processes = new EchoProcesses(values.data_dir as string | undefined);
          for (const mode of ['stateless', 'stateful'] as const) {
            const pid = await processes.stop(mode);
            stdout(pid === null ? `${mode}: not running\n` : `${mode}: stopped (pid ${pid})\n`);
          }
          return 0;
        },
      },
    ],
  },
];
