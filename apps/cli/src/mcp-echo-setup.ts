import type { ApiAnswer, ApiClient, RequestOptions } from './api-client';
import { ConnectionError, errorMessage } from './api-client';
import type { VerbContext } from './command-spec';
import { EchoProcesses, type EchoMode } from './echo-processes';

/**
 * `proxyctl mcp echo-setup`: the example MCP servers behind the proxy, protected by the built-in
 * authorization server, in one command. Every step is idempotent (re-running updates what exists),
 * and a failure names its step.
 */

export const ECHO_MODES: readonly EchoMode[] = ['stateless', 'stateful'];
export const MCP_SCOPES = ['mcp:read', 'mcp:write'];
const DEFAULT_PORTS: Record<EchoMode, number> = { stateless: 3101, stateful: 3102 };

export interface EchoSetupSettings {
  baseDomain: string;
  authHostname: string;
  ports: Record<EchoMode, number>;
  /** Backend URL per mode when the servers run elsewhere (then nothing is started). */
  backendUrls: Partial<Record<EchoMode, string>>;
  start: boolean;
  users: string[];
  enableHttps?: boolean;
  prefix: string;
}

/** A step that failed: its name and the reason (the API's own words). */
export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly exitCode: number,
  ) {
    super(`step "${step}" failed: ${reason}`);
  }
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Options and environment → settings; throws a UsageError-like message for bad input. */
export function echoSetupSettings(
  values: Record<string, unknown>,
  env: Record<string, string | undefined>,
): EchoSetupSettings | string {
  const baseDomain = String(values.base_domain ?? (env.BASE_DOMAIN || ''))
    .trim()
    .toLowerCase();
  if (!baseDomain)
    return 'no base domain: pass --base-domain example.com or set BASE_DOMAIN (the echo servers get echo-stateless.<domain> and echo-stateful.<domain>)';
  if (!HOSTNAME.test(baseDomain)) return `--base-domain must be a DNS name such as example.com (got "${baseDomain}")`;
  const authHostname = String(values.auth_hostname ?? (env.AUTH_HOSTNAME || `auth.${baseDomain}`))
    .trim()
    .toLowerCase();
  if (!HOSTNAME.test(authHostname))
    return `--auth-hostname must be a DNS name such as auth.example.com (got "${authHostname}")`;
  const prefix = String(values.prefix ?? 'echo')
    .trim()
    .toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(prefix))
    return `--prefix must be one DNS label such as echo (got "${prefix}")`;
  const ports = { ...DEFAULT_PORTS };
  const backendUrls: Partial<Record<EchoMode, string>> = {};
  for (const mode of ECHO_MODES) {
    const port = values[`${mode}_port`];
    if (port !== undefined) {
      if (typeof port !== 'number' || port < 1 || port > 65535) return `--${mode}-port must be a port number (1-65535)`;
      ports[mode] = port;
    }
    const url = values[`${mode}_url`];
    if (url !== undefined) {
      if (typeof url !== 'string' || !/^https?:\/\/[^\s/]+\/?$/.test(url))
        return `--${mode}-url must be the server's origin, e.g. http://10.0.0.5:3101 (no path; /mcp is the endpoint)`;
      backendUrls[mode] = url.replace(/\/$/, '');
    }
  }
  if (ports.stateless === ports.stateful) return '--stateless-port and --stateful-port must differ';
  const users = (values.users as string[] | undefined) ?? ['*'];
  if (users.length === 0) return '--users needs at least one GitHub login, or * for anyone who can sign in';
  return {
    baseDomain,
    authHostname,
    ports,
    backendUrls,
    start: values.start !== false,
    users,
    enableHttps: values.enable_https as boolean | undefined,
    prefix,
  };
}

export interface EchoEndpoint {
  mode: EchoMode;
  hostname: string;
  backend: string;
  /** The resource URI (what clients connect to), as the server computed it. */
  url: string;
  resource_id: string | null;
  metadata_url: string | null;
}

/** The auth hostname's certificate as the server's /health reports it (the server orders it itself). */
export interface AuthCertificateState {
  hostname: string;
  /** pending | active | renewing | failed | missing; `not_managed` when the server does not order it; `unknown` when it does not say. */
  status: string;
  valid: boolean;
  expires_at: string | null;
  error: string | null;
}

export interface EchoSetupResult {
  issuer: string | null;
  github_callback_url: string | null;
  auth_certificate: AuthCertificateState;
  servers: EchoEndpoint[];
}

interface HealthAnswer {
  system_certificates?: {
    role: string;
    hostname: string;
    status: string;
    valid: boolean;
    expires_at: string | null;
    error: string | null;
  }[];
}

interface ResourceAnswer {
  id: string;
  uri: string;
  metadata_url?: string;
}

/** Runs the steps; `log` gets one line per step. */
export class EchoSetup {
  constructor(
    private readonly client: ApiClient,
    private readonly token: string | undefined,
    private readonly processes: EchoProcesses,
    private readonly log: (line: string) => void,
  ) {}

  private async call(step: string, options: Omit<RequestOptions, 'token'>, ok: number[]): Promise<ApiAnswer> {
    let answer: ApiAnswer;
    try {
      answer = await this.client.request({ ...options, token: this.token });
    } catch (error) {
      if (error instanceof ConnectionError) throw new StepError(step, error.message, 3);
      throw error;
    }
    if (!ok.includes(answer.status)) {
      const id = answer.requestId ? `, request ${answer.requestId}` : '';
      const hint =
        answer.status === 404 && /^Cannot (GET|POST|PUT)/.test(errorMessage(answer.status, answer.body))
          ? ' — this server does not have that API (is it the version with proxy target protection?)'
          : '';
      throw new StepError(
        step,
        `${options.method} ${options.path}: ${errorMessage(answer.status, answer.body)} (HTTP ${answer.status}${id})${hint}`,
        1,
      );
    }
    return answer;
  }

  async run(settings: EchoSetupSettings): Promise<EchoSetupResult> {
    const hostnames = Object.fromEntries(
      ECHO_MODES.map((m) => [m, `${settings.prefix}-${m}.${settings.baseDomain}`]),
    ) as Record<EchoMode, string>;

    // 1. The echo servers (background processes with pid and log files), unless they run elsewhere.
    const backends = {} as Record<EchoMode, string>;
    for (const mode of ECHO_MODES) {
      const given = settings.backendUrls[mode];
      if (given || !settings.start) {
        backends[mode] = given ?? `http://127.0.0.1:${settings.ports[mode]}`;
        this.log(`echo server (${mode}): using ${backends[mode]} (not started here)`);
        continue;
      }
      const step = `start the ${mode} echo server`;
      try {
        const started = await this.processes.ensure(mode, settings.ports[mode], [hostnames[mode]]);
        backends[mode] = `http://127.0.0.1:${settings.ports[mode]}`;
        this.log(
          `echo server (${mode}): ${started.reused ? 'already running' : 'started'}, pid ${started.pid ?? '?'}, ${backends[mode]}/mcp, log ${started.logFile}`,
        );
      } catch (error) {
        throw new StepError(step, (error as Error).message, 1);
      }
    }

    // 2. The auth hostname: the authorization server's metadata names the issuer clients will use.
    const metadata = await this.call(
      'authorization server metadata',
      { method: 'GET', path: '/.well-known/oauth-authorization-server' },
      [200, 404],
    );
    const issuer = metadata.status === 200 ? ((metadata.body as { issuer?: string }).issuer ?? null) : null;
    if (issuer) {
      const issuerHost = new URL(issuer).hostname;
      this.log(
        `auth hostname: ${issuer}${issuerHost !== settings.authHostname ? ` (note: the issuer's host is not --auth-hostname ${settings.authHostname})` : ''}`,
      );
    } else {
      this.log(
        `auth hostname: ${settings.authHostname} (the admin API does not serve the authorization server metadata; check OAUTH_ISSUER)`,
      );
    }

    const servers: EchoEndpoint[] = [];
    for (const mode of ECHO_MODES) {
      const hostname = hostnames[mode];
      // 3. The proxy target (created, or its backend updated).
      const step = `proxy target ${hostname}`;
      const existing = await this.call(step, { method: 'GET', path: `/api/v1/proxy/targets/${hostname}` }, [200, 404]);
      if (existing.status === 404) {
        const body: Record<string, unknown> = { hostname, target_url: backends[mode] };
        if (settings.enableHttps !== undefined) body.enable_https = settings.enableHttps;
        await this.call(step, { method: 'POST', path: '/api/v1/proxy/targets', body }, [200, 201]);
        this.log(`proxy target ${hostname} → ${backends[mode]}: created`);
      } else {
        const current = existing.body as { target_url?: string; enable_https?: boolean };
        const changes: Record<string, unknown> = {};
        if (current.target_url !== backends[mode]) changes.target_url = backends[mode];
        if (settings.enableHttps !== undefined && current.enable_https !== settings.enableHttps)
          changes.enable_https = settings.enableHttps;
        if (Object.keys(changes).length > 0)
          await this.call(step, { method: 'PUT', path: `/api/v1/proxy/targets/${hostname}`, body: changes }, [200]);
        this.log(
          `proxy target ${hostname} → ${backends[mode]}: ${Object.keys(changes).length > 0 ? 'updated' : 'unchanged'}`,
        );
      }

      // 4. Protection: OAuth in forward mode, identity headers to the backend.
      await this.call(
        `protection of ${hostname}`,
        {
          method: 'POST',
          path: `/api/v1/proxy/targets/${hostname}/auth`,
          body: {
            enabled: true,
            auth_proxy: settings.authHostname,
            mode: 'forward',
            required_users: settings.users,
            allowed_scopes: MCP_SCOPES,
            pass_headers: true,
            header_prefix: 'X-Auth-',
          },
        },
        [200, 201],
      );
      this.log(`protection of ${hostname}: on (forward, users ${settings.users.join(',')}, identity headers X-Auth-*)`);

      // 5. Protected resource metadata for /mcp (RFC 9728).
      const name = `Echo MCP server (${mode})`;
      const description = `Example MCP server (${mode}) with the tools echo, whoami and countdown.`;
      const resource = await this.call(
        `resource metadata of ${hostname}`,
        {
          method: 'POST',
          path: `/api/v1/proxy/targets/${hostname}/resource`,
          body: { endpoint: '/mcp', scopes: MCP_SCOPES, name, description },
        },
        [200, 201],
      );
      const published = resource.body as ResourceAnswer;
      const uri = published?.uri ?? `https://${hostname}/mcp`;
      this.log(`resource metadata of ${hostname}: ${published?.metadata_url ?? 'published'}`);

      // 6. The registry entry (the metadata step usually made it: then it is updated).
      const registryStep = `registry entry ${uri}`;
      const list = await this.call(registryStep, { method: 'GET', path: '/api/v1/resources' }, [200]);
      const entry = ((list.body as ResourceAnswer[] | undefined) ?? []).find((r) => r.uri === uri);
      const fields = { name, proxy_target: hostname, scopes: MCP_SCOPES, description };
      const saved = entry
        ? await this.call(
            registryStep,
            { method: 'PUT', path: `/api/v1/resources/${encodeURIComponent(entry.id)}`, body: fields },
            [200],
          )
        : await this.call(
            registryStep,
            { method: 'POST', path: '/api/v1/resources', body: { uri, ...fields } },
            [200, 201],
          );
      const record = saved.body as ResourceAnswer;
      this.log(`registry entry ${uri}: ${entry ? 'updated' : 'created'} (${record?.id ?? '?'})`);

      servers.push({
        mode,
        hostname,
        backend: backends[mode],
        url: uri,
        resource_id: record?.id ?? null,
        metadata_url: record?.metadata_url ?? published?.metadata_url ?? null,
      });
    }
    // 7. The auth hostname's certificate: without a trusted one every client fails at discovery.
    const authCertificate = await this.authCertificate(issuer ? new URL(issuer).hostname : settings.authHostname);
    this.log(describeAuthCertificate(authCertificate));
    return {
      issuer,
      github_callback_url: issuer ? `${issuer}/callback` : null,
      auth_certificate: authCertificate,
      servers,
    };
  }

  /** Reads /health (public); never fails the setup: the state is information. */
  private async authCertificate(hostname: string): Promise<AuthCertificateState> {
    const unknown: AuthCertificateState = { hostname, status: 'unknown', valid: false, expires_at: null, error: null };
    let answer: ApiAnswer;
    try {
      answer = await this.client.request({ method: 'GET', path: '/health', token: this.token });
    } catch {
      return unknown;
    }
    const listed = (answer.body as HealthAnswer | undefined)?.system_certificates;
    if (!Array.isArray(listed)) return unknown;
    const entry = listed.find((c) => c.hostname === hostname);
    if (!entry) return { ...unknown, status: 'not_managed' };
    return { hostname, status: entry.status, valid: entry.valid, expires_at: entry.expires_at, error: entry.error };
  }
}

export function describeAuthCertificate(c: AuthCertificateState): string {
  const prefix = `auth hostname certificate (${c.hostname}):`;
  switch (c.status) {
    case 'unknown':
      return `${prefix} unknown (this server's /health does not report it)`;
    case 'not_managed':
      return `${prefix} not ordered by the server (AUTO_CERTIFICATES=false or a localhost name); MCP clients need a trusted certificate for it`;
    default:
      if (c.valid) return `${prefix} ${c.status}, valid until ${c.expires_at ?? '?'}`;
      return `${prefix} ${c.status}, not valid yet${c.error ? ` (${c.error})` : ' (the server is ordering it)'}; GET /health shows progress`;
  }
}

/** The ready-to-paste client configuration. */
export function clientConfiguration(result: EchoSetupResult): string {
  const lines: string[] = [];
  lines.push('MCP servers (OAuth: sign in with GitHub when the client asks):');
  for (const s of result.servers) lines.push(`  ${s.mode.padEnd(10)} ${s.url}`);
  if (result.issuer)
    lines.push(
      '',
      `Authorization server: ${result.issuer}`,
      `GitHub OAuth app callback URL: ${result.github_callback_url}`,
    );
  lines.push('', 'Claude Code:');
  for (const s of result.servers) lines.push(`  claude mcp add --transport http echo-${s.mode} ${s.url}`);
  lines.push('  (then /mcp in Claude Code and choose "Authenticate")');
  const desktop = {
    mcpServers: Object.fromEntries(
      result.servers.map((s) => [`echo-${s.mode}`, { command: 'npx', args: ['-y', 'mcp-remote', s.url] }]),
    ),
  };
  lines.push(
    '',
    'Claude Desktop (Settings → Connectors → Add custom connector, with the URL above; or claude_desktop_config.json):',
  );
  lines.push(
    ...JSON.stringify(desktop, null, 2)
      .split('\n')
      .map((l) => `  ${l}`),
  );
  lines.push('', 'Claude.ai: Settings → Connectors → Add custom connector → the URL above.');
  lines.push('', 'MCP Inspector:');
  lines.push('  npx @modelcontextprotocol/inspector');
  lines.push(
    `  → Transport Type "Streamable HTTP", URL ${result.servers[0]?.url ?? ''}, then "Open Auth Settings" → "Quick OAuth Flow"`,
  );
  lines.push(
    '',
    'Tools: echo {text}, whoami (your GitHub identity as the proxy passed it), countdown {steps} (progress notifications, then a result).',
    '',
  );
  return lines.join('\n');
}

/** The `mcp echo-setup` verb. */
export async function runEchoSetup(
  context: VerbContext,
  processes = new EchoProcesses(context.values.data_dir as string | undefined),
): Promise<number> {
  const settings = echoSetupSettings(context.values, context.env);
  if (typeof settings === 'string') {
    context.stderr(`proxyctl: ${settings}\nRun "proxyctl mcp echo-setup --help" for usage.\n`);
    return 2;
  }
  const setup = new EchoSetup(context.client, context.token, processes, (line) => {
    if (!context.json) context.stdout(`✓ ${line}\n`);
  });
  try {
    const result = await setup.run(settings);
    context.stdout(context.json ? `${JSON.stringify(result, null, 2)}\n` : `\n${clientConfiguration(result)}`);
    return 0;
  } catch (error) {
    if (error instanceof StepError) {
      context.stderr(`error: ${error.message}\n`);
      context.stderr('Nothing is undone: fix the cause and run the command again (every step is idempotent).\n');
      return error.exitCode;
    }
    throw error;
  }
}
