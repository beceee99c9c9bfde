import type { ArgSpec, ColumnSpec, OptionSpec, ResourceSpec, VerbSpec } from './command-spec';
import { runAuthConfig } from './auth-config';
import { EchoProcesses } from './echo-processes';
import { mcpActivityText } from './mcp-activity-text';
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

function yesNo(value: unknown): string {
  if (value === true) return 'yes';
  if (value === false) return 'no';
  return '-';
}

function isoTime(value: unknown): string {
  if (typeof value === 'number') return new Date(value).toISOString();
  if (value == null) return '-';
  return String(value);
}

// ---- Proxy targets --------------------------------------------------------------------------------

/** Settings a proxy target takes on create and update. */
const proxySettings: OptionSpec[] = [
  { flag: 'enabled', type: 'boolean', description: 'serve this hostname at all (--no-enabled answers 404)' },
  { flag: 'enable-http', type: 'boolean', description: 'serve on the HTTP listener (default true)' },
  { flag: 'enable-https', type: 'boolean', description: 'serve on the HTTPS listener (default true)' },
  {
    flag: 'preserve-host-header',
    type: 'boolean',
    description: "send the client's Host header to the backend (default true)",
  },
  {
    flag: 'redirect-http-to-https',
    type: 'boolean',
    description: 'answer plain HTTP with a 301 to https (default false)',
  },
  { flag: 'custom-headers', type: 'json', description: 'headers added to backend requests, e.g. \'{"X-Env":"prod"}\'' },
  { flag: 'custom-response-headers', type: 'json', description: 'headers added to responses' },
  { flag: 'connect-timeout', type: 'number', description: 'seconds to connect to the backend (1-600, default 10)' },
  { flag: 'read-timeout', type: 'number', description: 'seconds the backend may stay silent (default 300)' },
  { flag: 'cert-name', type: 'string', description: 'use this existing certificate (yours, covering the hostname)' },
];

const proxyColumns: ColumnSpec[] = [
  { header: 'HOSTNAME', key: 'hostname' },
  { header: 'TARGET', key: 'target_url' },
  { header: 'ENABLED', key: 'enabled', format: yesNo },
  { header: 'HTTP', key: 'enable_http', format: yesNo },
  { header: 'HTTPS', key: 'enable_https', format: yesNo },
  { header: 'CERTIFICATE', key: 'cert_name' },
  { header: 'ROUTES', key: 'route_mode' },
  { header: 'OWNER', key: 'owner' },
];

const hostnameArg = { name: 'hostname', description: 'proxy target hostname' };

// ---- Rate limits ----------------------------------------------------------------------------------

/** `60/1m per user` (docs/rate-limits.md). */
const rateLimitText = (limit: Record<string, unknown>) =>
  `${String(limit.limit)}/${String(limit.window)} per ${String(limit.per)}`;

const rateLimitColumns: ColumnSpec[] = [
  { header: 'PER', key: 'per' },
  { header: 'LIMIT', key: 'limit' },
  { header: 'WINDOW', key: 'window' },
];

// ---- Routes ---------------------------------------------------------------------------------------

const routeSettings: OptionSpec[] = [
  { flag: 'priority', type: 'integer', description: '0-999, higher is tried first (default 50)' },
  { flag: 'methods', type: 'list', description: 'HTTP methods served (default: all), e.g. GET,POST' },
  { flag: 'is-regex', type: 'boolean', description: 'path_pattern is a JavaScript regex (default: a prefix)' },
  {
    flag: 'scope',
    type: 'string',
    description: 'global (every proxy target, default) or proxy (only --proxy-hostnames)',
  },
  { flag: 'proxy-hostnames', type: 'list', description: 'proxy targets of a scope=proxy route' },
  { flag: 'enabled', type: 'boolean', description: 'route in use (default true)' },
  { flag: 'bypass-auth', type: 'boolean', description: "skip the target's auth policy for this route" },
  { flag: 'description', type: 'string', description: 'free text' },
];

const routeColumns: ColumnSpec[] = [
  { header: 'ID', key: 'route_id' },
  { header: 'PRIORITY', key: 'priority' },
  { header: 'PATTERN', key: 'path_pattern', format: (v, row) => `${String(v)}${row.is_regex ? ' (regex)' : ''}` },
  { header: 'METHODS', key: 'methods', format: (v) => (Array.isArray(v) && v.length ? v.join(',') : 'ALL') },
  { header: 'TARGET', key: 'target_value', format: (v, row) => `${String(row.target_type)}:${String(v)}` },
  {
    header: 'SCOPE',
    key: 'scope',
    format: (v, row) => (v === 'proxy' ? `proxy:${formatList(row.proxy_hostnames)}` : String(v)),
  },
  { header: 'ENABLED', key: 'enabled', format: yesNo },
  { header: 'DESCRIPTION', key: 'description' },
];
function formatList(value: unknown): string {
  return Array.isArray(value) && value.length ? value.join(',') : '-';
}

/** `route create` and its scoped variants (the original `route-create-global` / `route-create-proxy`). */
function routeCreate(verb: string, summary: string, scope?: 'global' | 'proxy'): VerbSpec {
  let options = routeSettings;
  if (scope === 'global') options = routeSettings.filter((o) => o.flag !== 'scope' && o.flag !== 'proxy-hostnames');
  if (scope === 'proxy')
    options = routeSettings
      .map((o) => (o.flag === 'proxy-hostnames' ? { ...o, required: true } : o))
      .filter((o) => o.flag !== 'scope');
  return {
    verb,
    summary,
    method: 'POST',
    path: '/api/v1/routes',
    fixedBody: scope ? { scope } : undefined,
    args: [
      { name: 'path_pattern', in: 'body', description: 'path prefix such as /api/ (or a regex with --is-regex)' },
      { name: 'target_type', in: 'body', description: 'instance, port, hostname or url' },
      { name: 'target_value', in: 'body', description: 'instance name, port number, proxy hostname or URL' },
    ],
    options,
  };
}

// ---- Certificates ---------------------------------------------------------------------------------

const certColumns: ColumnSpec[] = [
  { header: 'NAME', key: 'cert_name' },
  { header: 'DOMAINS', key: 'domains' },
  { header: 'STATUS', key: 'status' },
  { header: 'EXPIRES', key: 'expires_at' },
  { header: 'OWNER', key: 'owner' },
  { header: 'ERROR', key: 'error' },
];
const certNameArg = { name: 'cert_name', description: 'certificate name' };

// ---- Services and ports ---------------------------------------------------------------------------

/** `state` or `state: reason` of a `lifecycle: {state, reason}` field. */
function lifecycleText(value: unknown): string {
  if (!value || typeof value !== 'object') return '-';
  const { state, reason } = value as { state?: unknown; reason?: unknown };
  return reason ? `${String(state)}: ${String(reason)}` : String(state);
}
const serviceColumns: ColumnSpec[] = [
  { header: 'NAME', key: 'service_name' },
  { header: 'IMAGE', key: 'image' },
  { header: 'LIFECYCLE', key: 'lifecycle', format: (v) => lifecycleText(v) },
  { header: 'STATUS', key: 'status' },
  { header: 'TARGET', key: 'target_url' },
  { header: 'PROXY', key: 'proxy_hostname' },
  {
    header: 'PORTS',
    key: 'ports',
    format: (v) =>
      Array.isArray(v) && v.length
        ? v
            .map(
              (p: Record<string, unknown>) =>
                `${String(p.name)}=${String(p.bind_address)}:${String(p.host_port)}->${String(p.container_port)}/${String(p.protocol)}`,
            )
            .join(',')
        : '-',
  },
  { header: 'OWNER', key: 'owner' },
];
const serviceArg = { name: 'service_name', description: 'service name' };
const portColumns: ColumnSpec[] = [
  { header: 'PORT', key: 'port' },
  { header: 'BIND', key: 'bind_address' },
  { header: 'PROTOCOL', key: 'protocol' },
  { header: 'SERVICE', key: 'service' },
  { header: 'NAME', key: 'name' },
  { header: 'OWNER', key: 'owner' },
  { header: 'DESCRIPTION', key: 'description' },
];

// ---- OAuth ----------------------------------------------------------------------------------------

const oauthFilter: OptionSpec[] = [
  { flag: 'user', type: 'string', description: 'GitHub login' },
  { flag: 'client-id', type: 'string', description: 'OAuth client id' },
];

// ---- Request log ----------------------------------------------------------------------------------

const logWindow: OptionSpec[] = [
  { flag: 'hours', type: 'integer', description: 'how far back (default 24)' },
  { flag: 'since', type: 'string', description: 'from this time (ISO 8601) instead of --hours' },
  { flag: 'until', type: 'string', description: 'up to this time (ISO 8601)' },
];
const logFilters: OptionSpec[] = [
  { flag: 'q', type: 'string', description: 'free text' },
  { flag: 'hostname', type: 'string', description: 'host asked for' },
  { flag: 'ip', type: 'string', description: 'client IP' },
  { flag: 'user', type: 'string', description: 'OAuth user or API token name' },
  { flag: 'client-id', type: 'string', description: 'OAuth client id' },
  { flag: 'status', type: 'string', description: 'status code or class: 404, 4xx' },
  { flag: 'method', type: 'string', description: 'HTTP method' },
  { flag: 'path', type: 'string', description: 'path prefix' },
  { flag: 'listener', type: 'string', description: 'api, http, https or proxy-protocol' },
  { flag: 'mcp-method', type: 'string', description: 'JSON-RPC method of inspected MCP requests, e.g. tools/call' },
  { flag: 'mcp-name', type: 'string', description: 'tool or prompt name or resource URI of inspected MCP requests' },
  {
    flag: 'decision',
    type: 'string',
    description: 'allowed, denied-scope, denied-identity (MCP policies, 403s) or rate-limited (429s)',
  },
  { flag: 'mcp-rule', type: 'string', description: 'id of the MCP policy rule that decided' },
  ...logWindow,
];
const logPaging: OptionSpec[] = [
  { flag: 'limit', type: 'integer', description: 'at most this many entries (default 100, max 1000)' },
  { flag: 'offset', type: 'integer', description: 'skip this many (newest first)' },
];
const logColumns: ColumnSpec[] = [
  { header: 'TIME', key: 'ts', format: isoTime },
  { header: 'LISTENER', key: 'listener' },
  { header: 'IP', key: 'client_ip' },
  { header: 'HOST', key: 'host' },
  { header: 'METHOD', key: 'method' },
  { header: 'PATH', key: 'path' },
  { header: 'STATUS', key: 'status' },
  { header: 'MS', key: 'duration_ms' },
  { header: 'USER', key: 'auth_user' },
  { header: 'CLIENT', key: 'oauth_client_id' },
  { header: 'MCP', key: 'mcp_method' },
  { header: 'NAME', key: 'mcp_name' },
  { header: 'DECISION', key: 'decision' },
  { header: 'RULE', key: 'mcp_rule' },
  { header: 'ERROR', key: 'error' },
];
function logSearch(verb: string, summary: string, path: string, args: ArgSpec[] = []): VerbSpec {
  const pinned = new Set(args.map((a) => a.name));
  return {
    verb,
    summary,
    method: 'GET',
    path,
    args,
    options: [...logFilters.filter((o) => !pinned.has(o.flag.replace(/-/g, '_'))), ...logPaging],
    listKey: 'entries',
    columns: logColumns,
  };
}

// ---- Workflow -------------------------------------------------------------------------------------

const deadLetterArg = { name: 'id', description: 'dead letter id (from workflow dead-letters)' };
const deadLetterColumns: ColumnSpec[] = [
  { header: 'ID', key: 'id' },
  { header: 'GROUP', key: 'group' },
  { header: 'TYPE', key: 'type' },
  { header: 'ATTEMPTS', key: 'attempts' },
  { header: 'FAILED', key: 'failed_at' },
  { header: 'ERROR', key: 'error' },
  { header: 'PAYLOAD', key: 'payload', format: (v) => JSON.stringify(v ?? {}) },
];

// ---- Protection and the resource registry ---------------------------------------------------------

/** Body of POST /api/v1/proxy/targets/{hostname}/auth (SetTargetAuthDto); every field optional. */
const authSettings: OptionSpec[] = [
  {
    flag: 'enabled',
    type: 'boolean',
    description: 'protection on (default true; --no-enabled keeps the settings but turns it off)',
  },
  { flag: 'auth-proxy', type: 'string', description: 'the auth hostname (default AUTH_HOSTNAME)' },
  {
    flag: 'mode',
    type: 'string',
    description:
      'forward (bearer token, default), redirect (browser sign-in) or passthrough (identity when a token is sent)',
  },
  {
    flag: 'required-users',
    type: 'list',
    description: 'GitHub logins allowed; * (or none) for any user who may sign in',
  },
  { flag: 'required-emails', type: 'list', description: 'e-mail addresses allowed besides the logins' },
  {
    flag: 'required-orgs',
    type: 'list',
    description: 'GitHub organisations whose members are allowed besides the logins, e.g. acme',
  },
  {
    flag: 'required-teams',
    type: 'list',
    description: 'GitHub teams (organisation/team-slug) whose members are allowed, e.g. acme/platform',
  },
  { flag: 'allowed-scopes', type: 'list', description: 'the token needs one of these scopes (default: any)' },
  {
    flag: 'allowed-audiences',
    type: 'list',
    description: "token audiences accepted besides the target's resource URIs",
  },
  { flag: 'excluded-paths', type: 'list', description: 'path prefixes served without authentication, e.g. /health' },
  {
    flag: 'pass-headers',
    type: 'boolean',
    description: 'send X-Auth-User-Id, -User-Name, -User-Email, -Scopes, -Client-Id to the backend (default true)',
  },
  { flag: 'header-prefix', type: 'string', description: 'prefix of those headers (default X-Auth-)' },
  { flag: 'cookie-name', type: 'string', description: 'session cookie of the redirect mode (default proxy_session)' },
  {
    flag: 'forward-authorization',
    type: 'boolean',
    description: "pass the client's Authorization header to the backend (default false)",
  },
];

const resourceFields = (forTarget: boolean): OptionSpec[] => [
  ...(forTarget
    ? [
        {
          flag: 'endpoint',
          type: 'string',
          description: 'path of the resource on the target (default /mcp)',
        } as OptionSpec,
      ]
    : []),
  {
    flag: 'scopes',
    type: 'list',
    description: forTarget
      ? 'scopes of the resource (default mcp:read,mcp:write)'
      : 'scopes of the resource, all required (default OAUTH_SCOPES)',
  },
  ...(forTarget
    ? [{ flag: 'name', type: 'string', description: 'display name (default the hostname)' } as OptionSpec]
    : []),
  { flag: 'description', type: 'string', description: 'free text' },
  { flag: 'resource-documentation', type: 'string', description: 'an http(s) URL with documentation for developers' },
];

const resourceColumns: ColumnSpec[] = [
  { header: 'ID', key: 'id' },
  { header: 'URI', key: 'uri' },
  { header: 'NAME', key: 'name' },
  { header: 'TARGET', key: 'proxy_target' },
  { header: 'SCOPES', key: 'scopes', format: formatList },
  { header: 'OWNER', key: 'owner' },
];
const resourceIdArg = { name: 'id', description: 'resource id (see "resource list")' };

/** The rules of an MCP policy as a table: what each matches and what it requires. */
const policyRuleColumns: ColumnSpec[] = [
  { header: 'ID', key: 'id' },
  { header: 'METHOD', key: 'method' },
  { header: 'NAME', key: 'name', format: (v) => (typeof v === 'string' ? v : '*') },
  {
    header: 'REQUIRES',
    key: 'scopes',
    format: (_v, row) => {
      const parts = [
        ...((row.scopes as string[] | undefined) ?? []).map((s) => `scope ${s}`),
        ...((row.users as string[] | undefined) ?? []).map((u) => `user ${u}`),
        ...((row.emails as string[] | undefined) ?? []).map((e) => `email ${e}`),
        ...((row.orgs as string[] | undefined) ?? []).map((o) => `org ${o}`),
        ...((row.teams as string[] | undefined) ?? []).map((t) => `team ${t}`),
      ];
      return parts.length > 0 ? parts.join(', ') : '-';
    },
  },
  { header: 'DENY', key: 'deny', format: (v) => (v === true ? 'yes' : 'no') },
  {
    header: 'LIMITS',
    key: 'rate_limits',
    format: (v) =>
      Array.isArray(v) && v.length > 0 ? v.map((l) => rateLimitText(l as Record<string, unknown>)).join(', ') : '-',
  },
];

export const COMMANDS: ResourceSpec[] = [
  {
    resource: 'health',
    summary: 'Server and Redis health (no token needed)',
    defaultVerb: 'show',
    verbs: [
      {
        verb: 'show',
        summary: 'Show health; exits 1 when degraded',
        method: 'GET',
        path: '/health',
        public: true,
        printBodyOnError: true,
      },
    ],
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
        options: [
          { flag: 'cert-email', type: 'string', description: 'e-mail for ACME certificates created with this token' },
        ],
        note: 'Store the token now: it is never shown again.',
      },
      {
        verb: 'list',
        summary: 'List tokens with what they own',
        method: 'GET',
        path: '/api/v1/tokens',
        columns: tokenColumns,
      },
      {
        verb: 'show',
        summary: 'Show one token',
        method: 'GET',
        path: '/api/v1/tokens/{name}',
        args: [{ name: 'name', description: 'token name' }],
      },
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
          {
            flag: 'base-domain',
            type: 'string',
            description:
              'domain of the hostnames <prefix>-stateless.<domain>, <prefix>-stateful.<domain> (env BASE_DOMAIN)',
          },
          {
            flag: 'auth-hostname',
            type: 'string',
            description: 'the authorization server hostname (env AUTH_HOSTNAME, default auth.<domain>)',
          },
          { flag: 'prefix', type: 'string', description: 'first label of the hostnames (default echo)' },
          { flag: 'users', type: 'list', description: 'GitHub logins allowed (default *: anyone who may sign in)' },
          {
            flag: 'stateless-port',
            type: 'integer',
            description: 'loopback port of the stateless server (default 3101)',
          },
          {
            flag: 'stateful-port',
            type: 'integer',
            description: 'loopback port of the stateful server (default 3102)',
          },
          {
            flag: 'stateless-url',
            type: 'string',
            description: 'use a stateless server running elsewhere (origin, e.g. http://10.0.0.5:3101)',
          },
          { flag: 'stateful-url', type: 'string', description: 'use a stateful server running elsewhere' },
          {
            flag: 'start',
            type: 'boolean',
            description: 'start the servers here (default; --no-start when they already run on the ports)',
          },
          {
            flag: 'enable-https',
            type: 'boolean',
            description: 'serve the hostnames over HTTPS (default on; --no-enable-https for plain HTTP)',
          },
          {
            flag: 'data-dir',
            type: 'string',
            description: 'where the pid and log files go (default <repository>/data)',
          },
        ],
        handler: runEchoSetup,
      },
      {
        verb: 'echo-stop',
        summary: 'Stop the echo servers echo-setup started (pid files in data/)',
        calls: 'none (local processes only)',
        public: true,
        options: [
          { flag: 'data-dir', type: 'string', description: 'where the pid files are (default <repository>/data)' },
        ],
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
  {
    resource: 'proxy',
    aliases: ['proxies', 'target', 'targets'],
    summary: 'Proxy targets: hostname -> backend URL, with certificate and route settings',
    verbs: [
      {
        verb: 'create',
        summary: 'Create a proxy target (and its certificate when AUTO_CERTIFICATES is on)',
        method: 'POST',
        path: '/api/v1/proxy/targets',
        args: [
          { name: 'hostname', in: 'body', description: 'public hostname, e.g. app.example.com' },
          { name: 'target_url', in: 'body', description: 'backend URL, e.g. http://127.0.0.1:3000' },
        ],
        options: [
          { flag: 'cert-email', type: 'string', description: 'e-mail for the ACME certificate' },
          {
            flag: 'acme-directory-url',
            type: 'string',
            description: 'production, staging or an https:// ACME directory',
          },
          ...proxySettings,
        ],
      },
      {
        verb: 'list',
        summary: 'List proxy targets',
        method: 'GET',
        path: '/api/v1/proxy/targets',
        columns: proxyColumns,
      },
      {
        verb: 'show',
        summary: 'Show one proxy target',
        method: 'GET',
        path: '/api/v1/proxy/targets/{hostname}',
        args: [hostnameArg],
      },
      {
        verb: 'update',
        summary: 'Change settings of a proxy target',
        method: 'PUT',
        path: '/api/v1/proxy/targets/{hostname}',
        args: [hostnameArg],
        options: [{ flag: 'target-url', type: 'string', description: 'backend URL' }, ...proxySettings],
      },
      {
        verb: 'delete',
        summary: 'Delete a proxy target (it stops serving at once)',
        method: 'DELETE',
        path: '/api/v1/proxy/targets/{hostname}',
        args: [hostnameArg],
        options: [{ flag: 'delete-certificate', type: 'boolean', description: 'also delete its certificate' }],
      },
      {
        verb: 'cert-attach',
        summary: 'Serve an existing certificate for a proxy target',
        method: 'PUT',
        path: '/api/v1/proxy/targets/{hostname}',
        args: [
          hostnameArg,
          { name: 'cert_name', in: 'body', description: 'certificate name (yours, covering the hostname)' },
        ],
      },
      {
        verb: 'routes',
        summary: "Show a proxy target's route settings",
        method: 'GET',
        path: '/api/v1/proxy/targets/{hostname}/routes',
        args: [hostnameArg],
      },
      {
        verb: 'routes-set',
        summary: 'Choose which routes apply to a proxy target',
        method: 'PUT',
        path: '/api/v1/proxy/targets/{hostname}/routes',
        args: [
          hostnameArg,
          { name: 'route_mode', in: 'body', description: 'all (minus disabled), selective (only enabled) or none' },
        ],
        options: [
          { flag: 'enabled-routes', type: 'list', description: 'route ids used with route_mode selective' },
          { flag: 'disabled-routes', type: 'list', description: 'route ids skipped with route_mode all' },
        ],
      },
      {
        verb: 'route-enable',
        summary: 'Use one route on a proxy target',
        method: 'POST',
        path: '/api/v1/proxy/targets/{hostname}/routes/{route_id}/enable',
        args: [hostnameArg, { name: 'route_id', description: 'route id' }],
      },
      {
        verb: 'route-disable',
        summary: 'Stop using one route on a proxy target',
        method: 'POST',
        path: '/api/v1/proxy/targets/{hostname}/routes/{route_id}/disable',
        args: [hostnameArg, { name: 'route_id', description: 'route id' }],
      },
      {
        verb: 'auth-set',
        summary: 'Protect a proxy target with OAuth (or change its settings); applies on every replica within a second',
        method: 'POST',
        path: '/api/v1/proxy/targets/{hostname}/auth',
        args: [hostnameArg],
        options: authSettings,
      },
      {
        verb: 'auth-config',
        summary: 'Change only the given protection settings (auth-set replaces them all)',
        calls: 'GET then POST /api/v1/proxy/targets/{hostname}/auth',
        args: [hostnameArg],
        options: authSettings,
        handler: runAuthConfig,
      },
      {
        verb: 'auth-show',
        summary: "Show a proxy target's protection settings",
        method: 'GET',
        path: '/api/v1/proxy/targets/{hostname}/auth',
        args: [hostnameArg],
      },
      {
        verb: 'auth-delete',
        summary: 'Turn protection off',
        method: 'DELETE',
        path: '/api/v1/proxy/targets/{hostname}/auth',
        args: [hostnameArg],
      },
      {
        verb: 'rate-limits-show',
        summary: "Show a proxy target's rate limits (docs/rate-limits.md)",
        method: 'GET',
        path: '/api/v1/proxy/targets/{hostname}/rate-limits',
        args: [hostnameArg],
        columns: rateLimitColumns,
      },
      {
        verb: 'rate-limits-set',
        summary: "Set (replace) a proxy target's rate limits; every request to it counts",
        method: 'PUT',
        path: '/api/v1/proxy/targets/{hostname}/rate-limits',
        args: [
          hostnameArg,
          {
            name: 'limits',
            in: 'json-body',
            example: '[{"per":"user","limit":60,"window":"1m"}]',
            description:
              'a JSON array of at most 5 limits, or @file to read it, e.g. \'[{"per":"user","limit":60,"window":"1m"}]\' (per: user, client or address; window: 30s, 1m, 1h, 1d...)',
          },
        ],
        columns: rateLimitColumns,
      },
      {
        verb: 'rate-limits-clear',
        summary: "Remove a proxy target's rate limits",
        method: 'DELETE',
        path: '/api/v1/proxy/targets/{hostname}/rate-limits',
        args: [hostnameArg],
      },
      {
        verb: 'resource-set',
        summary:
          "Publish resource metadata for an endpoint of the target (creates or replaces that endpoint's registry entry)",
        method: 'POST',
        path: '/api/v1/proxy/targets/{hostname}/resource',
        args: [hostnameArg],
        options: resourceFields(true),
      },
      {
        verb: 'resource-show',
        summary: "List the target's registry entries",
        method: 'GET',
        path: '/api/v1/proxy/targets/{hostname}/resource',
        args: [hostnameArg],
        columns: resourceColumns,
      },
      {
        verb: 'resource-clear',
        summary: "Delete the target's registry entries",
        method: 'DELETE',
        path: '/api/v1/proxy/targets/{hostname}/resource',
        args: [hostnameArg],
      },
    ],
  },
  {
    resource: 'resource',
    aliases: ['resources'],
    summary: 'The protected resource registry: MCP servers (or other APIs) behind protected proxy targets',
    verbs: [
      {
        verb: 'create',
        summary: 'Register a resource; its metadata (RFC 9728) is served at once',
        method: 'POST',
        path: '/api/v1/resources',
        args: [
          {
            name: 'uri',
            in: 'body',
            description: 'the URI clients connect to, e.g. https://mcp.example.com/mcp (its host is the proxy target)',
          },
          { name: 'name', in: 'body', description: 'display name' },
          { name: 'proxy_target', in: 'body', description: 'hostname of the proxy target serving it' },
        ],
        options: resourceFields(false),
      },
      {
        verb: 'list',
        summary: 'List resources (yours; the admin sees all)',
        method: 'GET',
        path: '/api/v1/resources',
        columns: resourceColumns,
      },
      {
        verb: 'show',
        summary: 'Show one resource',
        method: 'GET',
        path: '/api/v1/resources/{id}',
        args: [resourceIdArg],
      },
      {
        verb: 'update',
        summary: 'Change a resource',
        method: 'PUT',
        path: '/api/v1/resources/{id}',
        args: [resourceIdArg],
        options: [
          { flag: 'uri', type: 'string', description: 'resource URI' },
          { flag: 'name', type: 'string', description: 'display name' },
          { flag: 'proxy-target', type: 'string', description: 'proxy target hostname' },
          ...resourceFields(false),
        ],
      },
      {
        verb: 'delete',
        summary: 'Delete a resource',
        method: 'DELETE',
        path: '/api/v1/resources/{id}',
        args: [resourceIdArg],
      },
      {
        verb: 'validate',
        summary:
          'Check a resource end to end (target, auth, challenge, metadata, MCP initialize); exits 1 naming the first failure',
        method: 'POST',
        path: '/api/v1/resources/{id}/validate',
        args: [resourceIdArg],
        listKey: 'checks',
        columns: [
          { header: 'CHECK', key: 'check' },
          { header: 'OK', key: 'ok', format: yesNo },
          { header: 'DETAIL', key: 'detail' },
        ],
        failWhen: (body) => {
          const answer = body as { valid?: boolean; reason?: string | null } | null;
          return answer?.valid === false ? `resource not valid: ${answer.reason ?? 'unknown reason'}` : undefined;
        },
      },
      {
        verb: 'policy-show',
        summary: 'Show the MCP policy of a resource (its default, then the rules in order); 404 when it has none',
        method: 'GET',
        path: '/api/v1/resources/{id}/policy',
        args: [resourceIdArg],
        listKey: 'rules',
        columns: policyRuleColumns,
      },
      {
        verb: 'policy-set',
        summary:
          'Set the MCP policy of a resource (replaces it): ordered rules, the first that matches a call decides (docs/mcp.md, "Policies")',
        method: 'PUT',
        path: '/api/v1/resources/{id}/policy',
        args: [resourceIdArg],
        options: [
          {
            flag: 'rules',
            type: 'json',
            required: true,
            description:
              'the rules as a JSON array, or @file to read it, e.g. \'[{"id":"writes","method":"tools/call","name":"write_*","scopes":["mcp:write"]}]\'; subjects: "users", "emails", "orgs" (["acme"]), "teams" (["acme/platform"]); "rate_limits": [{"per":"user","limit":10,"window":"1m"}]',
          },
          { flag: 'default', type: 'string', description: 'allow (default) or deny: what a call no rule matches gets' },
          {
            flag: 'metric-names',
            type: 'boolean',
            description: 'tool and prompt names as Prometheus labels (default false)',
          },
        ],
        listKey: 'rules',
        columns: policyRuleColumns,
      },
      {
        verb: 'policy-clear',
        summary: 'Remove the MCP policy of a resource: every MCP call is allowed again',
        method: 'DELETE',
        path: '/api/v1/resources/{id}/policy',
        args: [resourceIdArg],
      },
      {
        verb: 'discover',
        summary: "Register your protected targets without an entry from their backend's own resource metadata",
        method: 'POST',
        path: '/api/v1/resources/discover',
      },
    ],
  },
  {
    resource: 'route',
    aliases: ['routes'],
    summary: 'Path routes: requests matching a path go to an instance, port, hostname or URL',
    verbs: [
      routeCreate('create', 'Create a route'),
      routeCreate('create-global', 'Create a route for every proxy target', 'global'),
      routeCreate('create-proxy', 'Create a route for some proxy targets (--proxy-hostnames)', 'proxy'),
      {
        verb: 'list',
        summary: 'List routes, highest priority first',
        method: 'GET',
        path: '/api/v1/routes',
        columns: routeColumns,
      },
      {
        verb: 'show',
        summary: 'Show one route',
        method: 'GET',
        path: '/api/v1/routes/{route_id}',
        args: [{ name: 'route_id', description: 'route id' }],
      },
      {
        verb: 'update',
        summary: 'Change a route',
        method: 'PUT',
        path: '/api/v1/routes/{route_id}',
        args: [{ name: 'route_id', description: 'route id' }],
        options: [
          { flag: 'path-pattern', type: 'string', description: 'path prefix or regex' },
          { flag: 'target-type', type: 'string', description: 'instance, port, hostname or url' },
          { flag: 'target-value', type: 'string', description: 'where matching requests go' },
          ...routeSettings,
        ],
      },
      {
        verb: 'delete',
        summary: 'Delete a route',
        method: 'DELETE',
        path: '/api/v1/routes/{route_id}',
        args: [{ name: 'route_id', description: 'route id' }],
      },
    ],
  },
  {
    resource: 'instance',
    aliases: ['instances'],
    summary: 'Named backends that routes can point at (the original "external services")',
    verbs: [
      {
        verb: 'create',
        summary: 'Register an instance',
        method: 'POST',
        path: '/api/v1/instances',
        args: [
          { name: 'name', in: 'body', description: 'lower-case letters, digits, _ . -' },
          { name: 'target_url', in: 'body', description: 'where requests go, e.g. http://10.0.0.5:8080' },
        ],
        options: [{ flag: 'description', type: 'string', description: 'free text' }],
      },
      {
        verb: 'list',
        summary: 'List instances',
        method: 'GET',
        path: '/api/v1/instances',
        columns: [
          { header: 'NAME', key: 'name' },
          { header: 'TARGET', key: 'target_url' },
          { header: 'BUILT IN', key: 'builtin', format: yesNo },
          { header: 'OWNER', key: 'owner' },
          { header: 'DESCRIPTION', key: 'description' },
        ],
      },
      {
        verb: 'show',
        summary: 'Show one instance',
        method: 'GET',
        path: '/api/v1/instances/{name}',
        args: [{ name: 'name', description: 'instance name' }],
      },
      {
        verb: 'update',
        summary: 'Change an instance',
        method: 'PUT',
        path: '/api/v1/instances/{name}',
        args: [{ name: 'name', description: 'instance name' }],
        options: [
          { flag: 'target-url', type: 'string', description: 'where requests go' },
          { flag: 'description', type: 'string', description: 'free text' },
        ],
      },
      {
        verb: 'delete',
        summary: 'Delete an instance',
        method: 'DELETE',
        path: '/api/v1/instances/{name}',
        args: [{ name: 'name', description: 'instance name' }],
      },
    ],
  },
  {
    resource: 'cert',
    aliases: ['certs', 'certificate', 'certificates'],
    summary: 'ACME certificates (HTTP-01)',
    verbs: [
      {
        verb: 'create',
        summary: 'Order a certificate for one domain (in the background; see "cert status")',
        method: 'POST',
        path: '/api/v1/certificates',
        args: [{ name: 'domain', in: 'body', description: 'hostname to certify' }],
        options: [
          {
            flag: 'email',
            type: 'string',
            description: "ACME account e-mail (default: the token's cert_email, then ADMIN_EMAIL)",
          },
          { flag: 'cert-name', type: 'string', description: 'name (default proxy-<domain with dots as dashes>)' },
          {
            flag: 'acme-directory-url',
            type: 'string',
            description: 'production (default), staging or an https:// ACME directory',
          },
        ],
      },
      {
        verb: 'create-multi',
        summary: 'Order one certificate for several domains',
        method: 'POST',
        path: '/api/v1/certificates/multi-domain',
        args: [{ name: 'cert_name', in: 'body', description: 'certificate name' }],
        options: [
          {
            flag: 'domains',
            type: 'list',
            required: true,
            description: '1-100 hostnames; the first is the common name',
          },
          {
            flag: 'acme-directory-url',
            type: 'string',
            required: true,
            description: 'production, staging or an https:// ACME directory',
          },
          { flag: 'email', type: 'string', description: 'ACME account e-mail' },
        ],
      },
      { verb: 'list', summary: 'List certificates', method: 'GET', path: '/api/v1/certificates', columns: certColumns },
      {
        verb: 'show',
        summary: 'Show one certificate',
        method: 'GET',
        path: '/api/v1/certificates/{cert_name}',
        args: [certNameArg],
        options: [
          { flag: 'include-private-key', type: 'boolean', description: 'include the PEM private key (owner or admin)' },
        ],
      },
      {
        verb: 'status',
        summary: "Show a certificate's order status",
        method: 'GET',
        path: '/api/v1/certificates/{cert_name}/status',
        args: [certNameArg],
        options: [
          { flag: 'wait', type: 'integer', description: 'wait up to this many seconds for the order to finish' },
        ],
      },
      {
        verb: 'renew',
        summary: 'Renew now (refused with more than 30 days left unless --force)',
        method: 'POST',
        path: '/api/v1/certificates/{cert_name}/renew',
        args: [certNameArg],
        options: [
          { flag: 'force', type: 'boolean', in: 'query', description: 'renew even with more than 30 days left' },
        ],
      },
      {
        verb: 'convert-to-production',
        summary: 'Re-order a staging certificate from the production directory',
        method: 'POST',
        path: '/api/v1/certificates/{cert_name}/convert-to-production',
        args: [certNameArg],
      },
      {
        verb: 'delete',
        summary: 'Delete a certificate',
        method: 'DELETE',
        path: '/api/v1/certificates/{cert_name}',
        args: [certNameArg],
      },
    ],
  },
  {
    resource: 'service',
    aliases: ['services'],
    summary: 'Docker services (containers the proxy can publish) and external services',
    verbs: [
      {
        verb: 'create',
        summary: 'Create (and start) a Docker service; waits for the workflow bus to start (and proxy) it',
        method: 'POST',
        path: '/api/v1/services',
        args: [
          { name: 'service_name', in: 'body', description: 'service name (container mcp-<deployment>-<name>)' },
          { name: 'image', in: 'body', description: 'image on the Docker host (DOCKER_IMAGE_ALLOWLIST)' },
        ],
        options: [
          { flag: 'internal-port', type: 'integer', description: 'container port the proxy targets' },
          { flag: 'command', type: 'list', description: "command and arguments (default: the image's)" },
          { flag: 'environment', type: 'json', description: 'environment, e.g. \'{"LOG_LEVEL":"info"}\'' },
          { flag: 'labels', type: 'json', description: 'extra container labels' },
          { flag: 'memory-limit', type: 'string', description: 'e.g. 512m' },
          { flag: 'cpu-limit', type: 'number', description: 'cores, e.g. 0.5' },
          { flag: 'restart-policy', type: 'string', description: 'no, always, unless-stopped or on-failure' },
          { flag: 'read-only-root', type: 'boolean', description: 'read-only root filesystem (default true)' },
          { flag: 'user', type: 'string', description: 'user (name or uid[:group])' },
          { flag: 'cap-drop', type: 'list', description: 'capabilities dropped (default ALL)' },
          { flag: 'capabilities', type: 'list', description: 'capabilities added back (admin only)' },
          {
            flag: 'port-configs',
            type: 'json',
            description: 'ports to publish: \'[{"name":"http","container":8080}]\'',
          },
          { flag: 'bind-address', type: 'string', description: '127.0.0.1 (default) or 0.0.0.0 (admin only)' },
          { flag: 'auto-proxy', type: 'boolean', description: 'also publish <name>.<BASE_DOMAIN> through the proxy' },
          { flag: 'start', type: 'boolean', description: 'start at once (default true)' },
          {
            flag: 'wait',
            type: 'integer',
            in: 'query',
            description: 'seconds to wait for the container (0-120, default 30; 0: answer 202 at once)',
          },
        ],
      },
      {
        verb: 'list',
        summary: 'List Docker services',
        method: 'GET',
        path: '/api/v1/services',
        columns: serviceColumns,
      },
      {
        verb: 'show',
        summary: 'Show one service',
        method: 'GET',
        path: '/api/v1/services/{service_name}',
        args: [serviceArg],
      },
      {
        verb: 'delete',
        summary: 'Delete a service, its container, ports and proxy target',
        method: 'DELETE',
        path: '/api/v1/services/{service_name}',
        args: [serviceArg],
        options: [
          { flag: 'delete-proxy', type: 'boolean', description: 'also delete its proxy target (default true)' },
          {
            flag: 'delete-certificate',
            type: 'boolean',
            description: "also delete the proxy's certificate (default false)",
          },
        ],
      },
      {
        verb: 'start',
        summary: 'Start the container',
        method: 'POST',
        path: '/api/v1/services/{service_name}/start',
        args: [serviceArg],
      },
      {
        verb: 'stop',
        summary: 'Stop the container',
        method: 'POST',
        path: '/api/v1/services/{service_name}/stop',
        args: [serviceArg],
      },
      {
        verb: 'restart',
        summary: 'Restart the container',
        method: 'POST',
        path: '/api/v1/services/{service_name}/restart',
        args: [serviceArg],
      },
      {
        verb: 'logs',
        summary: 'The last log lines of the container',
        method: 'GET',
        path: '/api/v1/services/{service_name}/logs',
        args: [serviceArg],
        options: [
          { flag: 'tail', type: 'integer', description: 'lines from the end (1-10000, default 100)' },
          { flag: 'timestamps', type: 'boolean', description: "prefix Docker's timestamps" },
        ],
        listKey: 'lines',
        columns: [
          { header: 'STREAM', key: 'stream' },
          { header: 'TEXT', key: 'text' },
        ],
      },
      {
        verb: 'logs-follow',
        summary: 'Follow the container log until Ctrl-C',
        method: 'GET',
        path: '/api/v1/services/{service_name}/logs',
        args: [serviceArg],
        options: [
          { flag: 'tail', type: 'integer', description: 'lines from the end first (default 100)' },
          { flag: 'timestamps', type: 'boolean', description: "prefix Docker's timestamps" },
        ],
        fixedQuery: { follow: 'true' },
        stream: 'text',
      },
      {
        verb: 'stats',
        summary: 'CPU, memory, network and I/O of the container, sampled now',
        method: 'GET',
        path: '/api/v1/services/{service_name}/stats',
        args: [serviceArg],
      },
      {
        verb: 'proxy',
        summary: 'Publish the service as <name>.<BASE_DOMAIN>',
        method: 'POST',
        path: '/api/v1/services/{service_name}/proxy',
        args: [serviceArg],
      },
      {
        verb: 'ports',
        summary: "List a service's published ports",
        method: 'GET',
        path: '/api/v1/services/{service_name}/ports',
        args: [serviceArg],
        columns: [
          { header: 'NAME', key: 'name' },
          { header: 'CONTAINER', key: 'container_port' },
          { header: 'HOST', key: 'host_port' },
          { header: 'BIND', key: 'bind_address' },
          { header: 'PROTOCOL', key: 'protocol' },
        ],
      },
      {
        verb: 'port-add',
        summary: 'Publish one more container port (recreates the container)',
        method: 'POST',
        path: '/api/v1/services/{service_name}/ports',
        args: [serviceArg, { name: 'name', in: 'body', description: 'port name, e.g. http' }],
        options: [
          { flag: 'container', type: 'integer', required: true, description: 'port inside the container' },
          { flag: 'host', type: 'integer', description: 'host port (default: allocated)' },
          { flag: 'bind', type: 'string', description: '127.0.0.1 (default) or 0.0.0.0 (admin only)' },
          { flag: 'protocol', type: 'string', description: 'tcp (default) or udp' },
        ],
      },
      {
        verb: 'port-remove',
        summary: 'Stop publishing a port',
        method: 'DELETE',
        path: '/api/v1/services/{service_name}/ports/{port_name}',
        args: [serviceArg, { name: 'port_name', description: 'port name' }],
      },
      {
        verb: 'cleanup',
        summary: 'Remove containers and ports no service owns any more',
        method: 'POST',
        path: '/api/v1/services/cleanup',
      },
      {
        verb: 'reconciliation',
        summary: 'Compare services with the containers Docker has',
        method: 'GET',
        path: '/api/v1/services/reconciliation',
      },
      {
        verb: 'external-create',
        summary: 'Register an external service (a URL, no container)',
        method: 'POST',
        path: '/api/v1/services/external',
        args: [
          { name: 'service_name', in: 'body', description: 'name' },
          { name: 'target_url', in: 'body', description: 'http(s) URL of the service' },
        ],
        options: [{ flag: 'description', type: 'string', description: 'free text' }],
      },
      { verb: 'external-list', summary: 'List external services', method: 'GET', path: '/api/v1/services/external' },
      {
        verb: 'external-delete',
        summary: 'Delete an external service',
        method: 'DELETE',
        path: '/api/v1/services/external/{service_name}',
        args: [serviceArg],
      },
    ],
  },
  {
    resource: 'port',
    aliases: ['ports'],
    summary: 'Host port allocations (internal 9000-10999 on 127.0.0.1, exposed 11000+ on 0.0.0.0)',
    verbs: [
      { verb: 'list', summary: 'List allocated ports', method: 'GET', path: '/api/v1/ports', columns: portColumns },
      {
        verb: 'allocate',
        summary: 'Reserve a port (the lowest free one unless --port)',
        method: 'POST',
        path: '/api/v1/ports',
        options: [
          { flag: 'port', type: 'integer', description: 'this port' },
          { flag: 'bind-address', type: 'string', description: '127.0.0.1 (default) or 0.0.0.0 (admin only)' },
          { flag: 'protocol', type: 'string', description: 'tcp (default) or udp' },
          { flag: 'description', type: 'string', description: 'free text' },
        ],
      },
      {
        verb: 'available',
        summary: 'Free ports in a range',
        method: 'GET',
        path: '/api/v1/ports/available',
        options: [
          { flag: 'count', type: 'integer', description: 'how many to list' },
          { flag: 'bind-address', type: 'string', description: '127.0.0.1 (default) or 0.0.0.0' },
        ],
      },
      {
        verb: 'check',
        summary: 'Whether a port is free',
        method: 'GET',
        path: '/api/v1/ports/check/{port}',
        args: [{ name: 'port', description: 'port number' }],
        options: [{ flag: 'bind-address', type: 'string', description: '127.0.0.1 (default) or 0.0.0.0' }],
      },
      {
        verb: 'release',
        summary: 'Release a port you allocated',
        method: 'DELETE',
        path: '/api/v1/ports/{port}',
        args: [{ name: 'port', description: 'port number' }],
      },
    ],
  },
  {
    resource: 'oauth-client',
    aliases: ['oauth-clients'],
    summary: 'OAuth clients of the authorization server (admin)',
    verbs: [
      {
        verb: 'list',
        summary: 'List OAuth clients',
        method: 'GET',
        path: '/api/v1/oauth/clients',
        columns: [
          { header: 'CLIENT ID', key: 'client_id' },
          { header: 'KIND', key: 'kind' },
          { header: 'NAME', key: 'client_name' },
          { header: 'AUTH', key: 'token_endpoint_auth_method' },
          { header: 'REDIRECT URIS', key: 'redirect_uris' },
          { header: 'USED', key: 'used', format: yesNo },
          { header: 'CREATED', key: 'created_at' },
        ],
      },
      {
        verb: 'register',
        summary: 'Pre-register a client; a secret, if any, is shown once',
        method: 'POST',
        path: '/api/v1/oauth/clients',
        args: [{ name: 'client_name', in: 'body', description: 'display name' }],
        options: [
          { flag: 'redirect-uris', type: 'list', required: true, description: 'exact redirect URIs' },
          {
            flag: 'token-endpoint-auth-method',
            type: 'string',
            description: 'none (public), client_secret_basic (default) or client_secret_post',
          },
          { flag: 'grant-types', type: 'list', description: 'default authorization_code,refresh_token' },
          { flag: 'scope', type: 'string', description: 'space-separated scopes' },
        ],
        note: 'Store client_secret and registration_access_token now: they are never shown again.',
      },
      {
        verb: 'show',
        summary: 'Show one client',
        method: 'GET',
        path: '/api/v1/oauth/clients/{client_id}',
        args: [{ name: 'client_id', description: 'client id' }],
      },
      {
        verb: 'delete',
        summary: 'Delete a client and revoke its sessions',
        method: 'DELETE',
        path: '/api/v1/oauth/clients/{client_id}',
        args: [{ name: 'client_id', description: 'client id' }],
      },
    ],
  },
  {
    resource: 'oauth-session',
    aliases: ['oauth-sessions'],
    summary: 'OAuth sessions: one per authorization, with its refresh tokens (admin)',
    verbs: [
      {
        verb: 'list',
        summary: 'List sessions',
        method: 'GET',
        path: '/api/v1/oauth/sessions',
        options: oauthFilter,
        columns: [
          { header: 'SESSION', key: 'session_id' },
          { header: 'USER', key: 'user' },
          { header: 'CLIENT', key: 'client_id' },
          { header: 'SCOPES', key: 'scopes' },
          { header: 'RESOURCES', key: 'resources' },
          { header: 'REFRESH', key: 'valid_refresh_tokens' },
          { header: 'ACCESS', key: 'active_access_tokens' },
          { header: 'CREATED', key: 'created_at' },
        ],
      },
      {
        verb: 'revoke',
        summary: 'Revoke one session with its tokens',
        method: 'DELETE',
        path: '/api/v1/oauth/sessions/{session_id}',
        args: [{ name: 'session_id', description: 'session id' }],
      },
      {
        verb: 'revoke-user',
        summary: "Revoke all of a user's sessions, tokens and browser sign-ins",
        method: 'DELETE',
        path: '/api/v1/oauth/users/{user}/sessions',
        args: [{ name: 'user', description: 'GitHub login' }],
      },
    ],
  },
  {
    resource: 'oauth-token',
    aliases: ['oauth-tokens'],
    summary: 'OAuth access tokens (admin)',
    verbs: [
      {
        verb: 'list',
        summary: 'List unexpired access tokens',
        method: 'GET',
        path: '/api/v1/oauth/tokens',
        options: oauthFilter,
        columns: [
          { header: 'JTI', key: 'jti' },
          { header: 'USER', key: 'user' },
          { header: 'CLIENT', key: 'client_id' },
          { header: 'SCOPES', key: 'scopes' },
          { header: 'SESSION', key: 'session_id' },
          { header: 'EXPIRES', key: 'expires_at' },
        ],
      },
    ],
  },
  {
    resource: 'oauth',
    summary: 'The authorization server as a whole (admin)',
    defaultVerb: 'metrics',
    verbs: [
      {
        verb: 'metrics',
        summary: 'Counts of clients, sessions, users and access tokens',
        method: 'GET',
        path: '/api/v1/oauth/metrics',
      },
    ],
  },
  {
    resource: 'logs',
    aliases: ['log'],
    summary: 'The request log (every replica, kept LOG_RETENTION_HOURS)',
    defaultVerb: 'search',
    verbs: [
      logSearch('search', 'Search the request log, newest first', '/api/v1/logs'),
      logSearch('ip', 'Requests from one client IP', '/api/v1/logs/ip/{ip}', [
        { name: 'ip', description: 'client IP' },
      ]),
      logSearch('host', 'Requests for one host (proxy target)', '/api/v1/logs/host/{hostname}', [
        { name: 'hostname', description: 'hostname' },
      ]),
      logSearch('client', 'Requests of one OAuth client', '/api/v1/logs/client/{client_id}', [
        { name: 'client_id', description: 'OAuth client id' },
      ]),
      logSearch('user', 'Requests of one user (OAuth login or API token name)', '/api/v1/logs/user/{user}', [
        { name: 'user', description: 'user' },
      ]),
      logSearch('errors', 'Requests answered 400 or more, or failed by the proxy', '/api/v1/logs/errors'),
      {
        verb: 'mcp',
        summary: 'MCP activity: calls per decision (allowed, denied, rate-limited), per tool, user and denying rule',
        method: 'GET',
        path: '/api/v1/logs/mcp',
        options: [
          { flag: 'window', type: 'string', description: '1h (one-minute buckets, default) or 24h (quarter hours)' },
          { flag: 'hostname', type: 'string', description: 'only this host' },
        ],
        render: mcpActivityText,
      },
      logSearch(
        'oauth',
        'OAuth activity: register, authorize, callback, token and OAuth-authenticated calls',
        '/api/v1/logs/oauth',
      ),
      {
        verb: 'oauth-flow',
        summary: "One client's or user's OAuth flow, step by step, and where it stopped",
        method: 'GET',
        path: '/api/v1/logs/oauth/flow',
        options: [
          { flag: 'client-id', type: 'string', description: 'OAuth client id' },
          { flag: 'user', type: 'string', description: 'GitHub login' },
          { flag: 'ip', type: 'string', description: 'client IP' },
          ...logWindow,
        ],
        listKey: 'steps',
        columns: [{ header: 'STEP', key: 'step' }, ...logColumns],
      },
      {
        verb: 'stats',
        summary: 'Per host: requests, status classes, error rate, latency percentiles',
        method: 'GET',
        path: '/api/v1/logs/stats',
        options: logFilters,
        listKey: 'hosts',
        columns: [
          { header: 'HOST', key: 'hostname' },
          { header: 'REQUESTS', key: 'requests' },
          {
            header: 'STATUS',
            key: 'status_classes',
            format: (v) =>
              Object.entries((v ?? {}) as Record<string, number>)
                .map(([k, n]) => `${k}=${n}`)
                .join(',') || '-',
          },
          { header: 'ERROR RATE', key: 'error_rate' },
          { header: 'P50 MS', key: 'p50_ms' },
          { header: 'P95 MS', key: 'p95_ms' },
          { header: 'P99 MS', key: 'p99_ms' },
          { header: 'IPS', key: 'unique_ips' },
          { header: 'BYTES OUT', key: 'bytes_out' },
        ],
      },
      {
        verb: 'follow',
        summary: 'Print new requests as they are answered, until Ctrl-C (--json: one JSON entry per line)',
        method: 'GET',
        path: '/api/v1/logs/follow',
        options: logFilters.filter((o) => !logWindow.includes(o)),
        stream: 'sse',
        columns: logColumns,
      },
      { verb: 'clear', summary: 'Delete the whole request log (admin)', method: 'DELETE', path: '/api/v1/logs' },
    ],
  },
  {
    resource: 'rate-limits',
    aliases: ['rate-limit'],
    summary: 'Rate limits in force: global (RATE_LIMITS), per proxy target and per MCP policy rule',
    defaultVerb: 'show',
    verbs: [
      {
        verb: 'show',
        summary: 'Every rate limit you may see, with the Redis key it counts in',
        method: 'GET',
        path: '/api/v1/rate-limits',
        listKey: 'limits',
        columns: [
          { header: 'SCOPE', key: 'scope' },
          { header: 'TARGET', key: 'target' },
          { header: 'RULE', key: 'rule' },
          { header: 'LIMIT', key: 'label' },
          { header: 'KEY', key: 'key' },
        ],
      },
    ],
  },
  {
    resource: 'workflow',
    summary: 'The workflow event bus: recent events and dead letters (admin)',
    defaultVerb: 'events',
    verbs: [
      {
        verb: 'events',
        summary: 'Recent events on the bus, newest first',
        method: 'GET',
        path: '/api/v1/workflow/events',
        options: [
          { flag: 'limit', type: 'integer', description: 'at most this many (1-500, default 50)' },
          { flag: 'type', type: 'string', description: 'only this event type, e.g. proxy.created' },
        ],
        listKey: 'events',
        columns: [
          { header: 'ID', key: 'id' },
          { header: 'TYPE', key: 'type' },
          { header: 'PUBLISHED', key: 'published_at' },
          { header: 'ORIGIN', key: 'origin' },
          { header: 'PAYLOAD', key: 'payload', format: (v) => JSON.stringify(v ?? {}) },
        ],
      },
      {
        verb: 'dead-letters',
        summary: 'Events a worker gave up on after its attempts, newest first',
        method: 'GET',
        path: '/api/v1/workflow/dead-letters',
        options: [{ flag: 'limit', type: 'integer', description: 'at most this many (1-500, default 50)' }],
        listKey: 'dead_letters',
        columns: deadLetterColumns,
      },
      {
        verb: 'retry',
        summary: "Run a dead letter's event again (for the group that gave up) and remove the dead letter",
        method: 'POST',
        path: '/api/v1/workflow/dead-letters/{id}/retry',
        args: [deadLetterArg],
      },
      {
        verb: 'discard',
        summary: 'Drop a dead letter',
        method: 'DELETE',
        path: '/api/v1/workflow/dead-letters/{id}',
        args: [deadLetterArg],
      },
    ],
  },
  {
    resource: 'metrics',
    summary: 'Prometheus metrics of the replica answering (sends METRICS_TOKEN from the environment when set)',
    defaultVerb: 'show',
    verbs: [
      {
        verb: 'show',
        summary: 'Print /metrics (Prometheus text format)',
        method: 'GET',
        path: '/metrics',
        tokenOptional: true,
        tokenEnv: 'METRICS_TOKEN',
      },
    ],
  },
];
