import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { canonicalPath, Invalid, isRefusal, NotFound } from '@app/http';
import { canonicalResource, ClientsService } from '@app/oauth';
import { ProxyTargetsService, type ProxyTargetRecord } from '@app/proxy-targets';
import { ResourcesRepository, targetOrigin } from '@app/resources';
import { AuthContext } from '@app/tokens';
import { SetTargetAuthDto } from './dto/set-target-auth.dto';
import { TargetAuthDeletedDto, TargetAuthDto } from './dto/target-auth.dto';
import { authConfigFrom, authConfigOf, REDIRECT_CALLBACK_PATH } from './target-auth.config';

/** Requests are matched on their canonical path (docs/security.md): a configured path in another form would never match. */
function checkCanonical(field: string, path: string): void {
  const form = canonicalPath(path);
  if (isRefusal(form)) throw Invalid(`${field}: "${path}": ${form.refused.replace(/^the request path/, 'the path')}`);
  if (form !== path)
    throw Invalid(
      `${field}: "${path}" is not a canonical path (requests are matched after dot segments and escapes are resolved): write "${form}"`,
    );
}

/**
 * The `/auth` sub-resource of proxy targets: turns protection on, shows and removes it. The settings
 * live in the target record's `auth` slot; redirect mode gets an OAuth client of its own.
 */
@Injectable()
export class TargetAuthService {
  constructor(
    private readonly targets: ProxyTargetsService,
    private readonly resources: ResourcesRepository,
    private readonly clients: ClientsService,
    private readonly config: AppConfig,
  ) {}

  async setTargetAuth(auth: AuthContext, hostname: string, input: SetTargetAuthDto): Promise<TargetAuthDto> {
    const target = await this.targets.require(auth, hostname);
    const config = authConfigFrom(input, this.config.authHostname);
    for (const path of config.excluded_paths) checkCanonical('excluded_paths', path);
    const previous = authConfigOf(target.auth)?.redirect_client_id;
    if (config.mode === 'redirect') config.redirect_client_id = await this.redirectClient(target, previous);
    else if (previous) await this.clients.delete(previous);
    await this.targets.save({ ...target, auth: { ...config } });
    return this.authDto(target.hostname);
  }

  async targetAuth(auth: AuthContext, hostname: string): Promise<TargetAuthDto> {
    const target = await this.targets.require(auth, hostname);
    if (!target.auth) throw NotFound(`auth configuration of proxy target "${target.hostname}"`);
    return this.authDto(target.hostname, target);
  }

  async deleteTargetAuth(auth: AuthContext, hostname: string): Promise<TargetAuthDeletedDto> {
    const target = await this.targets.require(auth, hostname);
    const client = authConfigOf(target.auth)?.redirect_client_id;
    if (client) await this.clients.delete(client);
    await this.targets.save({ ...target, auth: null });
    return { hostname: target.hostname, enabled: false };
  }

  /** The redirect mode's OAuth client for a target: kept while its callback URL is unchanged, else registered anew. */
  private async redirectClient(target: ProxyTargetRecord, previous: string | undefined): Promise<string> {
    const callback = `${targetOrigin(target, this.config)}${REDIRECT_CALLBACK_PATH}`;
    if (previous) {
      const existing = await this.clients.find(previous);
      if (existing?.redirect_uris.length === 1 && existing.redirect_uris[0] === callback) return previous;
      await this.clients.delete(previous);
    }
    const client = await this.clients.registerInternal({
      client_name: `Sign-in for ${target.hostname}`,
      redirect_uris: [callback],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    return client.client_id;
  }

  private async authDto(hostname: string, record?: ProxyTargetRecord): Promise<TargetAuthDto> {
    const target = record ?? (await this.targets.all()).find((t) => t.hostname === hostname);
    const config = authConfigOf(target?.auth);
    if (!target || !config) throw NotFound(`auth configuration of proxy target "${hostname}"`);
    const resources = (await this.resources.list()).filter((r) => r.proxy_target === hostname).map((r) => r.uri);
    return {
      hostname,
      ...config,
      resources: resources.length > 0 ? resources : [canonicalResource(targetOrigin(target, this.config))],
    };
  }
}
