import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { TokenIssuer } from '@app/oauth';
import { type ProxyTargetRecord } from '@app/proxy-targets';
import type { ResourceValidationDto, ValidationCheckDto } from './dto/resource.dto';
import { requestTo } from './loopback-http';
import { compilePolicy, policyProblems } from './mcp-policy';
import { PRM_PATH } from './protected-resource-metadata';
import { supportedScopes, targetOrigin } from './resource-catalog';
import { endpointOf, ResourceRecord } from './resource.record';
import { type ProtectionSettings, TARGET_PROTECTION, type TargetProtectionReader } from './target-protection';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'proxy-resource-validate', version: '1.0.0' },
  },
});

/** The auth_enabled check's detail: settings unreadable, auth on (its mode), or off (and how to set it). */
function authDetail(auth: ProtectionSettings | null, hostname: string, setAuth: string): string {
  if (auth?.unreadable !== undefined)
    return `the auth settings of ${hostname} are unreadable (${auth.unreadable}): set them again with ${setAuth}`;
  if (auth?.enabled) return `auth is on (mode ${auth.mode})`;
  return `auth is off for ${hostname}: ${setAuth}`;
}

/** The policy check's detail: none, valid, or why the target is refused. */
function policyDetail(resource: ResourceRecord, faults: readonly string[], hostname: string): string {
  if (faults.length > 0)
    return `the MCP policy is invalid, so every request to ${hostname} is refused (503): ${faults.join('; ')}`;
  if (resource.policy === undefined) return 'no MCP policy: every MCP call is allowed';
  return `the MCP policy is valid (${resource.policy.rules.length} rules)`;
}

/** Whom the check token is made out to: a listed login, else a listed e-mail (or anyone, when the lists allow it). */
function checkUser(auth: ProtectionSettings): { id: string; login: string; email?: string } {
  const login = auth.required_users.find((u) => u !== '*');
  if (login) return { id: '0', login };
  const email = auth.required_emails[0];
  return { id: '0', login: 'resource-validator', ...(email ? { email } : {}) };
}

/** A target that names only organisations or teams admits the check token by one of them. */
function checkMemberships(auth: ProtectionSettings): { orgs: string[]; teams: string[] } | undefined {
  if (auth.required_users.length > 0 || auth.required_emails.length > 0) return undefined;
  if (auth.required_orgs.length > 0) return { orgs: [auth.required_orgs[0]], teams: [] };
  if (auth.required_teams.length > 0) return { orgs: [], teams: [auth.required_teams[0]] };
  return undefined;
}

/** The challenge check's detail: no 401 at all, or whether the 401 names the expected metadata URL. */
function challengeDetail(status: number, named: string | undefined, expectedMetadata: string): string {
  if (status !== 401) return `an unauthenticated request got HTTP ${status} instead of 401`;
  if (named === expectedMetadata) return '401 names the metadata URL';
  return `the 401 names resource_metadata ${named ?? '(none)'} instead of ${expectedMetadata}`;
}

/**
 * Checks a registered resource end to end, through this replica's own public listener (so the
 * data path is what is tested): the target exists and is enabled, its backend answers, auth is on,
 * an unauthenticated request gets the 401 challenge, the metadata matches the registry, and an MCP
 * `initialize` with a token minted for the check succeeds.
 */
@Injectable()
export class ResourceValidator {
  constructor(
    private readonly config: AppConfig,
    private readonly issuer: TokenIssuer,
    @Inject(TARGET_PROTECTION) private readonly protection: TargetProtectionReader,
  ) {}

  async validate(resource: ResourceRecord, target: ProxyTargetRecord | null): Promise<ResourceValidationDto> {
    const checks: ValidationCheckDto[] = [];
    const done = () => {
      const failed = checks.find((c) => !c.ok);
      return { id: resource.id, uri: resource.uri, valid: !failed, reason: failed ? failed.detail : null, checks };
    };
    const check = (name: string, ok: boolean, detail: string) => {
      checks.push({ check: name, ok, detail });
      return ok;
    };
    if (
      !check(
        'target_exists',
        !!target,
        target
          ? `proxy target ${resource.proxy_target} exists`
          : `proxy target ${resource.proxy_target} does not exist`,
      ) ||
      !target
    )
      return done();
    if (
      !check(
        'target_enabled',
        target.enabled,
        target.enabled ? 'the proxy target is enabled' : `proxy target ${target.hostname} is disabled`,
      )
    )
      return done();

    try {
      const res = await requestTo(new URL(target.target_url), { timeoutMs: 3000 });
      check('target_reachable', true, `the backend ${target.target_url} answered HTTP ${res.status}`);
    } catch (error) {
      check(
        'target_reachable',
        false,
        `target down: the backend ${target.target_url} did not answer (${(error as Error).message || (error as { code?: string }).code})`,
      );
    }

    const auth = this.protection.settingsOf(target);
    const setAuth = `POST /api/v1/proxy/targets/${target.hostname}/auth`;
    if (
      !check(
        'auth_enabled',
        !!auth?.enabled && auth.unreadable === undefined,
        authDetail(auth, target.hostname, setAuth),
      ) ||
      !auth
    )
      return done();

    const faults = resource.policy === undefined ? [] : policyProblems(resource.policy, this.config.oauth.scopes);
    if (!check('policy', faults.length === 0, policyDetail(resource, faults, target.hostname))) return done();
    // What the metadata publishes: the resource's scopes, then those its rules require.
    const scopes = supportedScopes({
      scopes: resource.scopes,
      policy: resource.policy && compilePolicy(resource.policy),
    });

    const endpoint = endpointOf(resource.uri);
    const listener = target.enable_http
      ? new URL(`http://127.0.0.1:${this.config.httpPort}`)
      : new URL(`https://127.0.0.1:${this.config.httpsPort}`);
    const host = new URL(resource.uri).host;
    const through = (
      path: string,
      options: { method?: string; headers?: Record<string, string>; body?: string } = {},
    ) => requestTo(new URL(path, listener), { ...options, host });

    const expectedMetadata = `${new URL(resource.uri).origin}${PRM_PATH}${endpoint}`;
    try {
      const res = await through(`${PRM_PATH}${endpoint}`);
      const body = res.status === 200 ? (JSON.parse(res.body) as Record<string, unknown>) : null;
      const problems: string[] = [];
      if (!body) problems.push(`HTTP ${res.status}`);
      else {
        if (body.resource !== resource.uri)
          problems.push(`resource is ${String(body.resource)}, expected ${resource.uri}`);
        if (
          !Array.isArray(body.authorization_servers) ||
          !body.authorization_servers.includes(this.config.oauth.issuer)
        )
          problems.push(`authorization_servers does not name ${this.config.oauth.issuer}`);
        const served = targetOrigin(target, this.config);
        if (new URL(resource.uri).origin !== served)
          problems.push(`it names resource ${resource.uri}, but the target is served at ${served}`);
        if (JSON.stringify(body.scopes_supported) !== JSON.stringify(scopes))
          problems.push(
            `scopes_supported is ${JSON.stringify(body.scopes_supported)}, expected ${JSON.stringify(scopes)}`,
          );
      }
      check(
        'metadata',
        problems.length === 0,
        problems.length === 0
          ? `${expectedMetadata} matches the registry`
          : `metadata wrong at ${expectedMetadata}: ${problems.join('; ')}`,
      );
    } catch (error) {
      check('metadata', false, `metadata wrong: ${(error as Error).message}`);
    }

    try {
      const res = await through(resource.uri.slice(new URL(resource.uri).origin.length) || '/', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: INITIALIZE,
      });
      const challenge = String(res.headers['www-authenticate'] ?? '');
      const named = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      check(
        'challenge',
        res.status === 401 && named === expectedMetadata,
        challengeDetail(res.status, named, expectedMetadata),
      );
    } catch (error) {
      check('challenge', false, `the public listener did not answer: ${(error as Error).message}`);
    }

    const { token } = this.issuer.issueAccessToken(
      checkUser(auth),
      'resource-validator',
      resource.scopes.length > 0 ? resource.scopes : auth.allowed_scopes.slice(0, 1),
      [resource.uri],
      checkMemberships(auth),
    );
    try {
      const res = await through(resource.uri.slice(new URL(resource.uri).origin.length) || '/', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
        },
        body: INITIALIZE,
      });
      const ok = res.status === 200 && /"protocolVersion"/.test(res.body);
      const session = res.headers['mcp-session-id'];
      if (typeof session === 'string') {
        // A stateful server opened a session for the check: end it.
        await through(resource.uri.slice(new URL(resource.uri).origin.length) || '/', {
          method: 'DELETE',
          headers: { authorization: `Bearer ${token}`, 'mcp-session-id': session },
        }).catch(() => undefined);
      }
      check(
        'mcp_initialize',
        ok,
        ok
          ? 'MCP initialize succeeded with a token minted for the check'
          : `MCP initialize failed: HTTP ${res.status} ${res.body.slice(0, 200)}`,
      );
    } catch (error) {
      check('mcp_initialize', false, `MCP initialize failed: ${(error as Error).message}`);
    }
    return done();
  }
}
