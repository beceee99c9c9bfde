// The dashboard's pages. Add a page by adding it to PAGES with its navigation group: a
// resourcePage({...}) for an API collection, or { id, title, render(container) } for anything else.
import { api } from './api.js';
import { h, text } from './dom.js';
import { dataForm } from './form.js';
import { mcpActivityPage } from './mcp-activity.js';
import { mcpServerPage } from './mcp-server.js';
import { overviewPage } from './overview.js';
import { policySection } from './policy-section.js';
import { rateLimitsPage, rateLimitsSection } from './rate-limits.js';
import { resourcePage } from './resource-page.js';
import { loadBadgeData, targetBadges } from './target-badges.js';

/**
 * @typedef {import('./form.js').Field} Field
 * @typedef {import('./resource-page.js').Page} Page
 * @typedef {import('./resource-page.js').Row} Row
 */

const healthPage = {
  id: 'health',
  title: 'Health',
  /** @param {HTMLElement} container */
  async render(container) {
    const facts = h('div', { 'aria-live': 'polite' });
    const refresh = async () => {
      try {
        const health = await api('GET', '/health');
        const ok = health.status === 'ok';
        facts.replaceChildren(
          h(
            'dl',
            { class: 'facts card' },
            h('dt', {}, 'Status'),
            h('dd', { class: ok ? 'status-ok' : 'status-bad' }, text(health.status)),
            h('dt', {}, 'Redis'),
            h(
              'dd',
              {},
              `${text(health.redis?.status)}${health.redis?.latency_ms != null ? ` (${health.redis.latency_ms} ms)` : ''}${health.redis?.error ? `: ${health.redis.error}` : ''}`,
            ),
            h('dt', {}, 'Version'),
            h('dd', {}, text(health.version)),
            h('dt', {}, 'Uptime'),
            h('dd', {}, `${text(health.uptime_s)} s`),
          ),
        );
      } catch (error) {
        facts.replaceChildren(h('p', { class: 'error', role: 'alert' }, error.message));
      }
    };
    container.append(h('h1', {}, 'Health'), facts, h('button', { type: 'button', onclick: refresh }, 'Refresh'));
    await refresh();
  },
};

/** @param {Record<string, number> | undefined} owned */
const ownedCounts = (owned) => {
  const entries = Object.entries(owned ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([kind, n]) => `${kind}: ${n}`).join(', ') : '-';
};

/** @param {string} token */
const secretLine = (token) =>
  h(
    'p',
    {},
    'Token value (copy it now, it is not shown again): ',
    h('code', { class: 'secret', 'data-testid': 'new-token' }, token),
  );

const tokensPage = resourcePage({
  id: 'tokens',
  title: 'API tokens',
  noun: 'token',
  plural: 'API tokens',
  description: 'Tokens for the API, the CLI and this dashboard. A token value is shown once, when it is created.',
  listPath: '/api/v1/tokens',
  createPath: '/api/v1/tokens',
  itemPath: (row) => `/api/v1/tokens/${encodeURIComponent(row.name)}`,
  rowLabel: (row) => `token ${row.name}`,
  fields: [
    {
      name: 'name',
      label: 'Name',
      required: true,
      hint: 'Letters, digits, _ . - (at most 64), starting with a letter or digit.',
    },
    {
      name: 'cert_email',
      label: 'Certificate e-mail',
      type: 'email',
      hint: 'Used for ACME certificates created with this token.',
    },
  ],
  columns: [
    { label: 'Name', key: 'name' },
    { label: 'Certificate e-mail', key: 'cert_email' },
    { label: 'Created', key: 'created_at' },
    { label: 'Rotated', key: 'rotated_at' },
    { label: 'Owns', key: 'owned', format: ownedCounts },
  ],
  deletable: true,
  afterCreate: (created) => secretLine(created.token),
  actions: [
    {
      label: 'Rotate',
      method: 'POST',
      path: (row) => `/api/v1/tokens/${encodeURIComponent(row.name)}/rotate`,
      confirm: (row) => `Replace the value of token ${row.name}? The old value stops working at once.`,
      afterAction: (result) => secretLine(result.token),
    },
  ],
});

const enc = encodeURIComponent;
/** @param {unknown} v */
function yesNo(v) {
  if (v === true) return 'yes';
  if (v === false) return 'no';
  return '-';
}

/**
 * The routes a proxy target serves, after its route mode: the enabled ones when selective, else the
 * disabled exceptions if any.
 * @param {Row} row
 */
function routeModeDetail(row) {
  if (row.route_mode === 'selective') return `: ${text(row.enabled_routes)}`;
  if (row.disabled_routes?.length) return ` except ${text(row.disabled_routes)}`;
  return '';
}

/** @param {unknown} status */
function certificateStatusClass(status) {
  if (status === 'active') return 'status-ok';
  if (status === 'failed') return 'status-bad';
  return undefined;
}

/**
 * A managed service's lifecycle state as a status class: a pending request has none.
 * @param {unknown} state
 */
function lifecycleClass(state) {
  if (state === 'failed') return 'status-bad';
  if (state === 'requested') return undefined;
  return 'status-ok';
}

// ---- Proxy targets ------------------------------------------------------------------------------

/** Settings of a proxy target, on create and edit. */
/** @type {Field[]} */
const proxySettingFields = [
  { name: 'enabled', label: 'Enabled (serve this hostname)', type: 'checkbox', default: true },
  { name: 'enable_http', label: 'Serve on HTTP', type: 'checkbox', default: true },
  { name: 'enable_https', label: 'Serve on HTTPS', type: 'checkbox', default: true },
  { name: 'redirect_http_to_https', label: 'Redirect HTTP to HTTPS', type: 'checkbox', default: false },
  {
    name: 'preserve_host_header',
    label: "Send the client's Host header to the backend",
    type: 'checkbox',
    default: true,
    advanced: true,
  },
  {
    name: 'custom_headers',
    label: 'Request headers to add',
    type: 'json',
    placeholder: '{"X-Env": "prod"}',
    hint: 'A JSON object of header names and values.',
    advanced: true,
  },
  {
    name: 'custom_response_headers',
    label: 'Response headers to add',
    type: 'json',
    placeholder: '{"Strict-Transport-Security": "max-age=63072000"}',
    advanced: true,
  },
  {
    name: 'connect_timeout',
    label: 'Connect timeout (seconds)',
    type: 'number',
    hint: '1-600, default 10.',
    advanced: true,
  },
  {
    name: 'read_timeout',
    label: 'Read timeout (seconds)',
    type: 'number',
    hint: '1-86400, default 300.',
    advanced: true,
  },
];

/** A target's OAuth protection (POST .../auth replaces the settings; empty fields take the defaults). */
/** @type {Field[]} */
const authFields = [
  { name: 'enabled', label: 'Protection on', type: 'checkbox', default: true },
  {
    name: 'mode',
    label: 'Mode',
    type: 'combo',
    options: ['forward', 'redirect', 'passthrough'],
    placeholder: 'forward',
    hint: 'forward: a bearer token is required (default); redirect: browsers sign in; passthrough: identity when a token is sent.',
  },
  {
    name: 'required_users',
    label: 'Allowed GitHub users',
    type: 'list',
    placeholder: 'alice, bob',
    hint: '* or empty: anyone who may sign in.',
  },
  { name: 'required_emails', label: 'Allowed e-mail addresses', type: 'list' },
  {
    name: 'required_orgs',
    label: 'Allowed GitHub organisations',
    type: 'list',
    placeholder: 'acme',
    hint: 'Members of any of these organisations may call (read when they sign in, refreshed within OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS).',
  },
  {
    name: 'required_teams',
    label: 'Allowed GitHub teams',
    type: 'list',
    placeholder: 'acme/platform',
    hint: 'organisation/team-slug, comma-separated. With several lists, matching an entry of any of them is enough.',
  },
  { name: 'allowed_scopes', label: 'Allowed scopes', type: 'list', hint: 'When set, the token needs one of them.' },
  {
    name: 'excluded_paths',
    label: 'Paths without authentication',
    type: 'list',
    placeholder: '/health',
    hint: 'Path prefixes, comma-separated.',
  },
  { name: 'auth_proxy', label: 'Auth hostname', hint: 'Default: AUTH_HOSTNAME.', advanced: true },
  { name: 'allowed_audiences', label: 'Extra token audiences', type: 'list', advanced: true },
  {
    name: 'pass_headers',
    label: 'Send identity headers to the backend',
    type: 'checkbox',
    default: true,
    advanced: true,
  },
  { name: 'header_prefix', label: 'Identity header prefix', placeholder: 'X-Auth-', advanced: true },
  { name: 'cookie_name', label: 'Session cookie (redirect mode)', placeholder: 'proxy_session', advanced: true },
  {
    name: 'forward_authorization',
    label: "Pass the client's Authorization header on",
    type: 'checkbox',
    default: false,
    advanced: true,
  },
];

const proxyTargetsList = resourcePage({
  id: 'proxies',
  title: 'Proxy targets',
  noun: 'proxy target',
  description:
    'Each hostname is forwarded to its backend URL on the public HTTP/HTTPS listeners. Changes apply on every replica within a second.',
  listPath: '/api/v1/proxy/targets',
  createPath: '/api/v1/proxy/targets',
  createdName: (created) => created?.proxy_target?.hostname,
  afterCreate: (created) =>
    created?.cert_name
      ? h('p', {}, `Certificate ${created.cert_name}: ${text(created.certificate_status)}.`)
      : undefined,
  itemPath: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}`,
  rowLabel: (row) => `proxy target ${row.hostname}`,
  fields: [
    {
      name: 'hostname',
      label: 'Hostname',
      required: true,
      placeholder: 'app.example.com',
      hint: 'A DNS name, without scheme, port or path.',
    },
    { name: 'target_url', label: 'Backend URL', type: 'url', required: true, placeholder: 'http://127.0.0.1:3000' },
    {
      name: 'cert_name',
      label: 'Existing certificate',
      hint: 'Name of a certificate covering the hostname; otherwise one is ordered when automatic certificates are on.',
    },
    { name: 'cert_email', label: 'Certificate e-mail', type: 'email', advanced: true },
    {
      name: 'acme_directory_url',
      label: 'ACME directory',
      hint: 'production, staging or an https:// directory URL.',
      advanced: true,
    },
    ...proxySettingFields,
  ],
  columns: [
    { label: 'Hostname', key: 'hostname' },
    { label: 'Backend', key: 'target_url' },
    { label: 'Enabled', key: 'enabled', format: yesNo },
    {
      label: 'HTTP / HTTPS',
      key: 'enable_http',
      format: (v, row) => `${yesNo(v)} / ${yesNo(row.enable_https)}${row.redirect_http_to_https ? ' (redirect)' : ''}`,
    },
    { label: 'Certificate', key: 'cert_name' },
    {
      label: 'Routes',
      key: 'route_mode',
      format: (v, row) => `${v}${routeModeDetail(row)}`,
    },
    { label: 'Owner', key: 'owner' },
    { label: 'Status', key: 'lifecycle', format: (_, row) => targetBadges(row) },
  ],
  edit: [
    {
      title: 'Backend and certificate',
      path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}`,
      fields: [
        { name: 'target_url', label: 'Backend URL', type: 'url' },
        {
          name: 'cert_name',
          label: 'Certificate',
          hint: 'Attach an existing certificate (yours, covering the hostname).',
        },
        ...proxySettingFields.map((f) => ({ ...f, advanced: false })),
      ],
    },
    {
      title: 'Route settings',
      path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/routes`,
      load: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/routes`,
      fields: [
        {
          name: 'route_mode',
          label: 'Route mode',
          type: 'select',
          options: ['all', 'selective', 'none'],
          hint: 'all: every route except the disabled ones; selective: only the enabled ones; none: no routes.',
        },
        {
          name: 'enabled_routes',
          label: 'Enabled routes',
          type: 'list',
          hint: 'Route ids, comma-separated (selective mode).',
        },
        {
          name: 'disabled_routes',
          label: 'Disabled routes',
          type: 'list',
          hint: 'Route ids, comma-separated (all mode).',
        },
      ],
    },
    {
      title: 'Authentication',
      method: 'POST',
      path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/auth`,
      load: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/auth`,
      remove: {
        label: 'Turn protection off',
        path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/auth`,
        confirm: (row) =>
          `Turn OAuth protection off for ${row.hostname}? Requests reach the backend without a token at once.`,
      },
      fields: authFields,
    },
    {
      title: 'Protected resource',
      method: 'POST',
      path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/resource`,
      load: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/resource`,
      values: (entries) => {
        const first = Array.isArray(entries) ? entries[0] : undefined;
        if (!first) return {};
        return {
          endpoint: new URL(first.uri).pathname,
          scopes: first.scopes,
          name: first.name,
          description: first.description,
          resource_documentation: first.resource_documentation,
        };
      },
      remove: {
        label: 'Remove resources',
        path: (row) => `/api/v1/proxy/targets/${enc(row.hostname)}/resource`,
        confirm: (row) => `Remove every registered resource of ${row.hostname}?`,
      },
      fields: [
        {
          name: 'endpoint',
          label: 'Endpoint',
          placeholder: '/mcp',
          hint: 'Path of the resource on the target (default /mcp). Another endpoint adds a second resource.',
        },
        {
          name: 'scopes',
          label: 'Scopes',
          type: 'list',
          placeholder: 'mcp:read, mcp:write',
          hint: 'All are required for access (default mcp:read, mcp:write).',
        },
        { name: 'name', label: 'Name', hint: 'Shown to users (default: the hostname).' },
        { name: 'description', label: 'Description' },
        { name: 'resource_documentation', label: 'Documentation URL', type: 'url' },
      ],
    },
  ],
  sections: [rateLimitsSection()],
  deletable: true,
});

/** The list with its status badges: their data (certificates, recent requests) is loaded first. */
const proxyTargetsPage = {
  ...proxyTargetsList,
  /** @param {HTMLElement} container */
  async render(container) {
    await loadBadgeData();
    await proxyTargetsList.render(container);
  },
};

// ---- Protected resources ------------------------------------------------------------------------

/**
 * @param {{ valid: boolean, uri: string, reason: string | null, checks: { ok: boolean, check: string, detail: string }[] }} result
 *   the answer of POST /api/v1/resources/{id}/validate
 */
const validationResult = (result) =>
  h(
    'div',
    {},
    h(
      'p',
      { 'data-testid': 'validation-reason' },
      result.valid ? `${result.uri} is valid.` : `${result.uri} is not valid: ${result.reason}`,
    ),
    h(
      'ul',
      { class: 'checks', 'aria-label': 'Checks' },
      ...result.checks.map((c) =>
        h('li', { class: c.ok ? 'status-ok' : 'status-bad' }, `${c.ok ? 'ok' : 'failed'}: ${c.check}: ${c.detail}`),
      ),
    ),
  );

/**
 * @param {{ discovered: { uri: string }[], skipped: { hostname: string, reason: string }[] }} result
 *   the answer of POST /api/v1/resources/discover
 */
const discoveryResult = (result) =>
  h(
    'div',
    {},
    h(
      'p',
      {},
      result.discovered.length
        ? `Registered: ${result.discovered.map((r) => r.uri).join(', ')}.`
        : 'No new resources registered.',
    ),
    result.skipped.length
      ? h(
          'ul',
          { 'aria-label': 'Skipped targets' },
          ...result.skipped.map((s) => h('li', {}, `${s.hostname}: ${s.reason}`)),
        )
      : null,
  );

const resourcesPage = resourcePage({
  id: 'resources',
  title: 'Protected resources',
  noun: 'resource',
  plural: 'protected resources',
  description:
    'MCP servers (or other APIs) behind protected proxy targets. Each gets OAuth Protected Resource Metadata (RFC 9728); tokens must name it as audience. Validate checks it end to end.',
  listPath: '/api/v1/resources',
  createPath: '/api/v1/resources',
  createdName: (created) => created?.uri,
  itemPath: (row) => `/api/v1/resources/${enc(row.id)}`,
  rowLabel: (row) => `resource ${row.uri}`,
  fields: [
    {
      name: 'uri',
      label: 'URI',
      type: 'url',
      required: true,
      placeholder: 'https://mcp.example.com/mcp',
      hint: 'What clients connect to; its host is the proxy target.',
    },
    { name: 'name', label: 'Name', required: true },
    { name: 'proxy_target', label: 'Proxy target', required: true, placeholder: 'mcp.example.com' },
    {
      name: 'scopes',
      label: 'Scopes',
      type: 'list',
      placeholder: 'mcp:read, mcp:write',
      hint: "Default: the server's OAUTH_SCOPES.",
    },
    { name: 'description', label: 'Description', advanced: true },
    { name: 'resource_documentation', label: 'Documentation URL', type: 'url', advanced: true },
  ],
  columns: [
    { label: 'URI', key: 'uri' },
    { label: 'Name', key: 'name' },
    { label: 'Proxy target', key: 'proxy_target' },
    { label: 'Scopes', key: 'scopes' },
    { label: 'Owner', key: 'owner' },
  ],
  actions: [
    {
      label: 'Validate',
      method: 'POST',
      path: (row) => `/api/v1/resources/${enc(row.id)}/validate`,
      afterAction: validationResult,
      failed: (result) => !result.valid,
    },
  ],
  pageActions: [
    { label: 'Discover resources', method: 'POST', path: '/api/v1/resources/discover', afterAction: discoveryResult },
  ],
  edit: [
    {
      title: 'Resource',
      path: (row) => `/api/v1/resources/${enc(row.id)}`,
      fields: [
        { name: 'uri', label: 'URI', type: 'url' },
        { name: 'name', label: 'Name' },
        { name: 'proxy_target', label: 'Proxy target' },
        { name: 'scopes', label: 'Scopes', type: 'list' },
        { name: 'description', label: 'Description' },
        { name: 'resource_documentation', label: 'Documentation URL', type: 'url' },
      ],
    },
  ],
  sections: [policySection((row) => `/api/v1/resources/${enc(row.id)}/policy`)],
  deletable: true,
});

// ---- Certificates -------------------------------------------------------------------------------

/** @param {string | null | undefined} expires */
const daysLeft = (expires) => {
  if (!expires) return '-';
  const days = Math.floor((Date.parse(expires) - Date.now()) / 86_400_000);
  return `${expires.slice(0, 10)} (${days} days)`;
};

const certificatesPage = resourcePage({
  id: 'certificates',
  title: 'Certificates',
  noun: 'certificate',
  description:
    'ACME certificates (HTTP-01). Ordering runs in the background; renewal is automatic 30 days before expiry.',
  listPath: '/api/v1/certificates',
  createPath: '/api/v1/certificates',
  createdName: (created) => created?.cert_name,
  itemPath: (row) => `/api/v1/certificates/${enc(row.cert_name)}`,
  rowLabel: (row) => `certificate ${row.cert_name}`,
  fields: [
    { name: 'domain', label: 'Domain', required: true, placeholder: 'app.example.com' },
    { name: 'cert_name', label: 'Name', hint: 'Default: proxy-<domain with dots as dashes>.' },
    { name: 'email', label: 'ACME account e-mail', type: 'email', hint: "Default: your token's certificate e-mail." },
    {
      name: 'acme_directory_url',
      label: 'ACME directory',
      hint: 'production (default), staging or an https:// directory URL.',
    },
  ],
  columns: [
    // System certificates (the server's own hostnames, ordered by the server) carry a badge and cannot be deleted.
    {
      label: 'Name',
      key: 'cert_name',
      format: (v, row) =>
        row.system
          ? h(
              'span',
              {},
              text(v),
              ' ',
              h(
                'span',
                {
                  class: 'badge',
                  title: 'Ordered by the server for its own hostname (AUTH_HOSTNAME/ADMIN_HOSTNAME); cannot be deleted',
                },
                'system',
              ),
            )
          : text(v),
    },
    { label: 'Domains', key: 'domains' },
    {
      label: 'Status',
      key: 'status',
      format: (v) => h('span', { class: certificateStatusClass(v) }, text(v)),
    },
    { label: 'Expires', key: 'expires_at', format: daysLeft },
    { label: 'Error', key: 'error' },
    { label: 'Owner', key: 'owner' },
  ],
  actions: [
    { label: 'Renew', method: 'POST', path: (row) => `/api/v1/certificates/${enc(row.cert_name)}/renew` },
    {
      label: 'Force renew',
      method: 'POST',
      path: (row) => `/api/v1/certificates/${enc(row.cert_name)}/renew?force=true`,
      confirm: (row) => `Renew ${row.cert_name} now even if it has more than 30 days left?`,
    },
    {
      label: 'Convert to production',
      method: 'POST',
      path: (row) => `/api/v1/certificates/${enc(row.cert_name)}/convert-to-production`,
      when: (row) => row.acme_directory_url !== 'production' && /staging/i.test(row.acme_directory_url ?? ''),
      confirm: (row) => `Order ${row.cert_name} again from the production ACME directory?`,
    },
  ],
  deletable: true,
});

// ---- Routes -------------------------------------------------------------------------------------

/**
 * @param {boolean} creating
 * @returns {Field[]}
 */
const routeFields = (creating) => [
  {
    name: 'path_pattern',
    label: 'Path pattern',
    required: creating,
    placeholder: '/api/',
    hint: 'A path prefix, or a JavaScript regex when "Regex" is ticked.',
  },
  { name: 'target_type', label: 'Target type', type: 'select', options: ['instance', 'port', 'hostname', 'url'] },
  {
    name: 'target_value',
    label: 'Target',
    required: creating,
    hint: 'Instance name, port number, proxy hostname or URL.',
  },
  {
    name: 'priority',
    label: 'Priority',
    type: 'number',
    default: creating ? 50 : undefined,
    hint: '0-999, higher is tried first.',
  },
  { name: 'methods', label: 'Methods', type: 'list', placeholder: 'GET, POST', hint: 'Empty: every method.' },
  { name: 'scope', label: 'Scope', type: 'select', options: ['global', 'proxy'] },
  { name: 'proxy_hostnames', label: 'Proxy targets (scope proxy)', type: 'list' },
  { name: 'is_regex', label: 'Regex', type: 'checkbox', default: false },
  { name: 'enabled', label: 'Enabled', type: 'checkbox', default: true },
  { name: 'bypass_auth', label: "Skip the target's auth policy", type: 'checkbox', default: false },
  { name: 'description', label: 'Description' },
];

const routesPage = resourcePage({
  id: 'routes',
  title: 'Routes',
  noun: 'route',
  description:
    'Requests whose path matches go to the route target instead of the proxy target backend. Highest priority first; built-in routes (ACME challenge, OAuth) always come first.',
  listPath: '/api/v1/routes',
  rows: (routes) => [...routes].sort((a, b) => b.priority - a.priority || a.created_seq - b.created_seq),
  createPath: '/api/v1/routes',
  createdName: (created) => created?.route_id,
  itemPath: (row) => `/api/v1/routes/${enc(row.route_id)}`,
  rowLabel: (row) => `route ${row.path_pattern} (${row.route_id})`,
  fields: routeFields(true),
  columns: [
    { label: 'Priority', key: 'priority' },
    { label: 'Path', key: 'path_pattern', format: (v, row) => `${v}${row.is_regex ? ' (regex)' : ''}` },
    { label: 'Methods', key: 'methods', format: (v) => (v?.length ? v.join(', ') : 'all') },
    { label: 'Target', key: 'target_value', format: (v, row) => `${row.target_type}: ${v}` },
    { label: 'Scope', key: 'scope', format: (v, row) => (v === 'proxy' ? `proxy: ${text(row.proxy_hostnames)}` : v) },
    { label: 'Enabled', key: 'enabled', format: yesNo },
    { label: 'Id', key: 'route_id' },
    { label: 'Description', key: 'description' },
  ],
  edit: [{ title: 'Route', path: (row) => `/api/v1/routes/${enc(row.route_id)}`, fields: routeFields(false) }],
  deletable: true,
});

// ---- Instances ----------------------------------------------------------------------------------

const instancesPage = resourcePage({
  id: 'instances',
  title: 'Instances',
  noun: 'instance',
  description: 'Named backends routes can point at. "api" is this server\'s admin API.',
  listPath: '/api/v1/instances',
  createPath: '/api/v1/instances',
  itemPath: (row) => `/api/v1/instances/${enc(row.name)}`,
  rowLabel: (row) => `instance ${row.name}`,
  fields: [
    { name: 'name', label: 'Name', required: true, hint: 'Lower-case letters, digits, _ . -' },
    { name: 'target_url', label: 'URL', type: 'url', required: true, placeholder: 'http://10.0.0.5:8080' },
    { name: 'description', label: 'Description' },
  ],
  columns: [
    { label: 'Name', key: 'name' },
    { label: 'URL', key: 'target_url' },
    { label: 'Built in', key: 'builtin', format: yesNo },
    { label: 'Description', key: 'description' },
    { label: 'Owner', key: 'owner' },
  ],
  edit: [
    {
      title: 'Instance',
      path: (row) => `/api/v1/instances/${enc(row.name)}`,
      fields: [
        { name: 'target_url', label: 'URL', type: 'url' },
        { name: 'description', label: 'Description' },
      ],
    },
  ],
  deletable: (row) => !row.builtin,
});

// ---- Services -----------------------------------------------------------------------------------

/**
 * @param {string} label
 * @param {string} verb
 */
const serviceAction = (label, verb) => ({
  label,
  method: 'POST',
  /** @param {Row} row */
  path: (row) => `/api/v1/services/${enc(row.service_name)}/${verb}`,
});

const servicesPage = resourcePage({
  id: 'services',
  title: 'Services',
  noun: 'service',
  description:
    'Docker containers run by the server, published on 127.0.0.1 ports and optionally through the proxy as <name>.<BASE_DOMAIN>.',
  listPath: '/api/v1/services',
  createPath: '/api/v1/services',
  createdName: (created) => created?.service_name,
  itemPath: (row) => `/api/v1/services/${enc(row.service_name)}`,
  rowLabel: (row) => `service ${row.service_name}`,
  fields: [
    { name: 'service_name', label: 'Name', required: true },
    {
      name: 'image',
      label: 'Image',
      required: true,
      hint: 'An image present on the Docker host, allowed by DOCKER_IMAGE_ALLOWLIST.',
    },
    { name: 'internal_port', label: 'Container port', type: 'number', hint: 'The port the proxy forwards to.' },
    { name: 'auto_proxy', label: 'Publish through the proxy', type: 'checkbox', default: false },
    { name: 'memory_limit', label: 'Memory limit', placeholder: '512m', advanced: true },
    { name: 'cpu_limit', label: 'CPU limit (cores)', type: 'number', advanced: true },
    { name: 'environment', label: 'Environment', type: 'json', placeholder: '{"LOG_LEVEL": "info"}', advanced: true },
    {
      name: 'command',
      label: 'Command',
      type: 'list',
      hint: 'Command and arguments, comma-separated.',
      advanced: true,
    },
  ],
  columns: [
    { label: 'Name', key: 'service_name' },
    { label: 'Image', key: 'image' },
    {
      label: 'Lifecycle',
      key: 'lifecycle',
      format: (v) =>
        h('span', { class: lifecycleClass(v?.state) }, v ? `${v.state}${v.reason ? `: ${v.reason}` : ''}` : '-'),
    },
    {
      label: 'Status',
      key: 'status',
      format: (v) => h('span', { class: v === 'running' ? 'status-ok' : 'status-bad' }, text(v)),
    },
    { label: 'Target', key: 'target_url' },
    { label: 'Proxy', key: 'proxy_hostname' },
    {
      label: 'Ports',
      key: 'ports',
      format: (v) =>
        v?.length
          ? v
              .map(
                (/** @type {Row} */ p) =>
                  `${p.name} ${p.bind_address}:${p.host_port}→${p.container_port}/${p.protocol}`,
              )
              .join(', ')
          : '-',
    },
    { label: 'Owner', key: 'owner' },
  ],
  actions: [
    serviceAction('Start', 'start'),
    serviceAction('Stop', 'stop'),
    serviceAction('Restart', 'restart'),
    {
      label: 'Logs',
      method: 'GET',
      path: (row) => `/api/v1/services/${enc(row.service_name)}/logs?tail=200`,
      afterAction: (result, row) =>
        h(
          'pre',
          { class: 'log', tabindex: '0', 'aria-label': `Last log lines of ${row.service_name}` },
          result.lines.length ? result.lines.map((/** @type {Row} */ l) => l.text).join('\n') : '(no output)',
        ),
    },
  ],
  deletable: true,
});

// ---- OAuth --------------------------------------------------------------------------------------

const oauthClientsPage = resourcePage({
  id: 'oauth-clients',
  title: 'OAuth clients',
  noun: 'OAuth client',
  description:
    'Clients of the authorization server: registered dynamically (RFC 7591), pre-registered here, or by metadata document. Deleting one revokes its sessions.',
  listPath: '/api/v1/oauth/clients',
  createPath: '/api/v1/oauth/clients',
  createdName: (created) => created?.client_id,
  afterCreate: (created) =>
    created?.client_secret
      ? h(
          'p',
          {},
          'Client secret (copy it now, it is not shown again): ',
          h('code', { class: 'secret', 'data-testid': 'client-secret' }, created.client_secret),
        )
      : undefined,
  itemPath: (row) => `/api/v1/oauth/clients/${enc(row.client_id)}`,
  rowLabel: (row) => `OAuth client ${row.client_name ?? row.client_id}`,
  fields: [
    { name: 'client_name', label: 'Client name', required: true },
    {
      name: 'redirect_uris',
      label: 'Redirect URIs',
      type: 'list',
      required: true,
      hint: 'Exact URIs, comma-separated.',
    },
    {
      name: 'token_endpoint_auth_method',
      label: 'Client authentication',
      type: 'select',
      options: ['client_secret_basic', 'client_secret_post', 'none'],
    },
  ],
  columns: [
    { label: 'Client id', key: 'client_id' },
    { label: 'Name', key: 'client_name' },
    { label: 'Kind', key: 'kind' },
    { label: 'Redirect URIs', key: 'redirect_uris' },
    { label: 'Authentication', key: 'token_endpoint_auth_method' },
    { label: 'Used', key: 'used', format: yesNo },
    { label: 'Created', key: 'created_at' },
  ],
  deletable: true,
});

const oauthSessionsPage = resourcePage({
  id: 'oauth-sessions',
  title: 'OAuth sessions',
  noun: 'OAuth session',
  description:
    'One session per authorization a user granted a client, with its refresh tokens. Revoking ends the session and its access tokens on every replica.',
  listPath: '/api/v1/oauth/sessions',
  itemPath: (row) => `/api/v1/oauth/sessions/${enc(row.session_id)}`,
  rowLabel: (row) => `session of ${row.user} for ${row.client_id}`,
  columns: [
    { label: 'User', key: 'user' },
    { label: 'Client', key: 'client_id' },
    { label: 'Scopes', key: 'scopes' },
    { label: 'Resources', key: 'resources' },
    { label: 'Refresh tokens', key: 'valid_refresh_tokens' },
    { label: 'Access tokens', key: 'active_access_tokens' },
    { label: 'Created', key: 'created_at' },
    { label: 'Session id', key: 'session_id' },
  ],
  actions: [
    {
      label: 'Revoke',
      method: 'DELETE',
      path: (row) => `/api/v1/oauth/sessions/${enc(row.session_id)}`,
      danger: true,
      confirm: (row) => `Revoke the session of ${row.user} for ${row.client_id}? Its tokens stop working at once.`,
    },
    {
      label: 'Revoke all of user',
      method: 'DELETE',
      path: (row) => `/api/v1/oauth/users/${enc(row.user)}/sessions`,
      danger: true,
      confirm: (row) => `Revoke every session, token and browser sign-in of ${row.user}?`,
    },
  ],
});

// ---- Request log --------------------------------------------------------------------------------

/** @type {Field[]} */
const logFilterFields = [
  { name: 'q', label: 'Text' },
  { name: 'hostname', label: 'Host' },
  { name: 'ip', label: 'Client IP' },
  { name: 'status', label: 'Status', placeholder: '404 or 4xx' },
  { name: 'method', label: 'Method', placeholder: 'GET' },
  { name: 'path', label: 'Path prefix', placeholder: '/api/' },
  { name: 'user', label: 'User', advanced: true },
  { name: 'client_id', label: 'OAuth client', advanced: true },
  { name: 'mcp_method', label: 'MCP method', placeholder: 'tools/call', advanced: true },
  { name: 'mcp_name', label: 'MCP tool or resource', advanced: true },
  {
    name: 'decision',
    label: 'Decision',
    type: 'select',
    options: ['', 'allowed', 'denied-scope', 'denied-identity'],
    advanced: true,
  },
  { name: 'mcp_rule', label: 'MCP policy rule', advanced: true },
  {
    name: 'listener',
    label: 'Listener',
    type: 'select',
    options: ['', 'api', 'http', 'https', 'proxy-protocol'],
    advanced: true,
  },
  { name: 'hours', label: 'Hours back', type: 'number', default: 24 },
  { name: 'limit', label: 'At most', type: 'number', default: 100 },
  { name: 'errors', label: 'Errors only', type: 'checkbox', default: false },
];

const logsPage = {
  id: 'logs',
  title: 'Request log',
  // The filters are query parameters of GET /api/v1/logs; "Errors only" picks /api/v1/logs/errors instead.
  forms: [{ method: 'GET', path: '/api/v1/logs', fields: logFilterFields.filter((f) => f.name !== 'errors') }],
  /** @param {HTMLElement} container */
  async render(container) {
    const results = h('div', { 'aria-live': 'polite' });
    // Other pages link here with filters: #/logs?decision=denied-scope&mcp_name=write_file
    const linked = Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] ?? ''));
    /** @param {Record<string, unknown>} filters */
    const search = async (filters) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(filters))
        if (k !== 'errors' && v !== '' && v !== undefined) query.set(k, String(v));
      const answer = await api('GET', `/api/v1/logs${filters.errors ? '/errors' : ''}?${query}`);
      results.replaceChildren(renderLog(answer));
    };
    container.append(
      h('h1', {}, 'Request log'),
      h('p', {}, 'Every request answered by any replica, newest first (kept for LOG_RETENTION_HOURS).'),
      dataForm({
        label: 'Filter requests',
        submit: 'Search',
        fields: logFilterFields,
        onSubmit: search,
        wide: true,
        values: linked,
        openAdvanced: logFilterFields.some((f) => f.advanced && f.name in linked),
      }),
      results,
    );
    await search({ hours: 24, limit: 100, ...linked });
  },
};

/** @param {{ entries?: Row[], total: number, truncated: boolean }} answer  the answer of GET /api/v1/logs */
function renderLog(answer) {
  const entries = answer.entries ?? [];
  const caption = `${entries.length} of ${answer.total} requests${answer.truncated ? ' (truncated: narrow the window)' : ''}`;
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No requests match.');
  /** @type {[string, (e: Row) => unknown][]} */
  const cols = [
    ['Time', (e) => new Date(e.ts).toISOString().replace('T', ' ').slice(0, 19)],
    ['Listener', (e) => e.listener],
    ['Client IP', (e) => e.client_ip],
    ['Host', (e) => e.host],
    ['Method', (e) => e.method],
    ['Path', (e) => e.path],
    ['Status', (e) => h('span', { class: e.status >= 500 || e.error ? 'status-bad' : undefined }, String(e.status))],
    ['ms', (e) => e.duration_ms],
    ['User', (e) => e.auth_user],
    ['Client', (e) => e.oauth_client_id],
    ['MCP', (e) => (e.mcp_method ? `${e.mcp_method}${e.mcp_name ? ` ${e.mcp_name}` : ''}` : undefined)],
    ['Decision', (e) => (e.decision ? `${e.decision}${e.mcp_rule ? ` (${e.mcp_rule})` : ''}` : undefined)],
    ['Error', (e) => e.error],
  ];
  return h(
    'table',
    { class: 'log-table' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...cols.map(([label]) => h('th', { scope: 'col' }, label)))),
    h(
      'tbody',
      {},
      ...entries.map((e) =>
        h(
          'tr',
          {},
          ...cols.map(([, get], i) =>
            h(
              i === 0 ? 'th' : 'td',
              i === 0 ? { scope: 'row' } : {},
              (() => {
                const v = get(e);
                return v instanceof Node ? v : text(v);
              })(),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- Workflow bus -------------------------------------------------------------------------------

/** @param {unknown} payload */
const payloadText = (payload) => h('code', {}, JSON.stringify(payload ?? {}));

const workflowEventsSection = resourcePage({
  id: 'workflow-events',
  title: 'Recent events',
  headingLevel: 2,
  noun: 'event',
  plural: 'events',
  description: 'The newest events on the bus (the stream is capped at WORKFLOW_STREAM_MAXLEN).',
  listPath: '/api/v1/workflow/events?limit=100',
  rows: (body) => body.events,
  rowLabel: (row) => `event ${row.id}`,
  columns: [
    { label: 'Type', key: 'type' },
    { label: 'Published', key: 'published_at' },
    { label: 'Origin', key: 'origin' },
    { label: 'Payload', key: 'payload', format: payloadText },
    { label: 'Id', key: 'id' },
  ],
});

const deadLettersSection = resourcePage({
  id: 'workflow-dead-letters',
  title: 'Dead letters',
  headingLevel: 2,
  noun: 'dead letter',
  plural: 'dead letters',
  description:
    'Events a worker gave up on after WORKFLOW_MAX_ATTEMPTS attempts. Retry runs the event again for that worker only.',
  listPath: '/api/v1/workflow/dead-letters',
  rows: (body) => body.dead_letters,
  itemPath: (row) => `/api/v1/workflow/dead-letters/${enc(row.id)}`,
  rowLabel: (row) => `dead letter ${row.id}`,
  columns: [
    { label: 'Type', key: 'type' },
    { label: 'Worker group', key: 'group' },
    { label: 'Attempts', key: 'attempts' },
    { label: 'Failed', key: 'failed_at' },
    { label: 'Error', key: 'error' },
    { label: 'Payload', key: 'payload', format: payloadText },
    { label: 'Id', key: 'id' },
  ],
  actions: [
    { label: 'Retry', method: 'POST', path: (row) => `/api/v1/workflow/dead-letters/${enc(row.id)}/retry` },
    {
      label: 'Discard',
      method: 'DELETE',
      path: (row) => `/api/v1/workflow/dead-letters/${enc(row.id)}`,
      danger: true,
      confirm: (row) => `Discard dead letter ${row.id} (${row.type})? Its event will not run again.`,
    },
  ],
});

const workflowPage = {
  id: 'workflow',
  title: 'Workflow',
  /** @param {HTMLElement} container */
  async render(container) {
    const events = h('section', { 'aria-label': 'Recent events' });
    const deadLetters = h('section', { 'aria-label': 'Dead letters' });
    container.append(
      h('h1', {}, 'Workflow'),
      h(
        'p',
        {},
        'Multi-step work (certificate orders, proxy and container lifecycles) runs as events on a Redis Stream, once across all replicas.',
      ),
      deadLetters,
      events,
    );
    await Promise.all([deadLettersSection.render(deadLetters), workflowEventsSection.render(events)]);
  },
};

/**
 * `admin: true` pages are listed only for the admin token (the API refuses others anyway). `group`
 * places a page in the navigation (nav.js); pages without one come first.
 * @typedef {Page & { admin: boolean, group?: import('./nav.js').NavGroup }} NavPage
 * @type {NavPage[]}
 */
export const PAGES = [
  { ...overviewPage, admin: false },
  { ...mcpServerPage, admin: false },
  { ...proxyTargetsPage, admin: false, group: 'Traffic' },
  { ...routesPage, admin: false, group: 'Traffic' },
  { ...instancesPage, admin: false, group: 'Traffic' },
  { ...servicesPage, admin: false, group: 'Traffic' },
  { ...oauthClientsPage, admin: true, group: 'Security' },
  { ...oauthSessionsPage, admin: true, group: 'Security' },
  { ...resourcesPage, admin: false, group: 'Security' },
  { ...rateLimitsPage, admin: false, group: 'Security' },
  { ...tokensPage, admin: true, group: 'Security' },
  { ...certificatesPage, admin: false, group: 'Operations' },
  { ...logsPage, admin: false, group: 'Operations' },
  { ...mcpActivityPage, admin: false, group: 'Operations' },
  { ...workflowPage, admin: true, group: 'Operations' },
  { ...healthPage, admin: false, group: 'Operations' },
];
