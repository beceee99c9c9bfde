import { Injectable } from '@nestjs/common';
import { NotFound } from '@app/http';
import { ClientsService, RegisteredClient } from '../clients/clients.service';
import { OAuthClientRecord } from '../clients/oauth-client.record';
import { FlowRepository } from '../flow/flow.repository';
import { GrantRecord } from '../tokens/grant.record';
import { GrantsRepository } from '../tokens/grants.repository';
import { RevokedTokens } from '../tokens/revoked-tokens';
import { TokenRevocation } from '../tokens/token-revocation';
import { OAuthClientDto, OAuthMetricsDto, OAuthSessionDto, OAuthTokenDto, RevokedUserDto } from './oauth-admin.dto';

/** The admin view of the authorization server: clients, grants ("sessions"), tokens, counts. */
@Injectable()
export class OAuthAdminService {
  constructor(
    private readonly clients: ClientsService,
    private readonly grants: GrantsRepository,
    private readonly revocation: TokenRevocation,
    private readonly flow: FlowRepository,
    private readonly revoked: RevokedTokens,
  ) {}

  async listClients(): Promise<OAuthClientDto[]> {
    return (await this.clients.list()).map(toClientDto);
  }

  async showClient(clientId: string): Promise<OAuthClientDto> {
    const client = await this.clients.find(clientId);
    if (!client) throw NotFound(`OAuth client "${clientId}"`);
    return toClientDto(client);
  }

  createClient(body: unknown): Promise<RegisteredClient> {
    return this.clients.preregister(body);
  }

  /** Deletes the client and revokes every grant it holds. */
  async deleteClient(clientId: string): Promise<{ client_id: string; grants_revoked: number }> {
    if (!(await this.clients.delete(clientId))) throw NotFound(`OAuth client "${clientId}"`);
    return { client_id: clientId, grants_revoked: await this.revocation.revokeClientGrants(clientId) };
  }

  async sessions(filter: { user?: string; client_id?: string }): Promise<OAuthSessionDto[]> {
    const now = Date.now();
    return (await this.grants.list(filter))
      .sort((a, b) => a.created_at - b.created_at)
      .map((g) => ({
        session_id: g.family_id,
        client_id: g.client_id,
        user: g.user.login,
        user_id: g.user.id,
        scopes: g.scopes,
        resources: g.resources,
        created_at: new Date(g.created_at).toISOString(),
        refreshed_at: new Date(g.refreshed_at).toISOString(),
        valid_refresh_tokens: Object.values(g.active).filter((u) => u === 0 || u > now).length,
        active_access_tokens: activeAccess(g).length,
      }));
  }

  async tokensList(filter: { user?: string; client_id?: string }): Promise<OAuthTokenDto[]> {
    return (await this.grants.list(filter)).flatMap((g) =>
      activeAccess(g).map(([jti, exp]) => ({
        jti,
        session_id: g.family_id,
        client_id: g.client_id,
        user: g.user.login,
        scopes: g.scopes,
        expires_at: new Date(exp * 1000).toISOString(),
      })),
    );
  }

  async revokeSession(sessionId: string): Promise<OAuthSessionDto> {
    const [dto] = (await this.sessions({})).filter((s) => s.session_id === sessionId);
    if (!dto || !(await this.revocation.revokeGrant(sessionId))) throw NotFound(`OAuth session "${sessionId}"`);
    return dto;
  }

  /** Revokes all of a user's grants (refresh and access tokens) and browser login sessions. */
  async revokeUser(login: string): Promise<RevokedUserDto> {
    const grants = await this.grants.list({ user: login });
    let accessTokens = 0;
    for (const g of grants) {
      accessTokens += activeAccess(g).length;
      await this.revocation.revokeGrant(g.family_id);
    }
    const loginSessions = await this.flow.deleteUserSessions(login);
    return {
      user: login,
      sessions_revoked: grants.length,
      access_tokens_revoked: accessTokens,
      login_sessions_deleted: loginSessions,
    };
  }

  async metrics(): Promise<OAuthMetricsDto> {
    const [clients, grants] = await Promise.all([this.clients.list(), this.grants.list()]);
    const byKind = (kind: string) => clients.filter((c) => c.kind === kind).length;
    return {
      clients: clients.length,
      clients_dynamic: byKind('dynamic'),
      clients_preregistered: byKind('preregistered'),
      sessions: grants.length,
      users_with_sessions: new Set(grants.map((g) => g.user.login.toLowerCase())).size,
      active_access_tokens: grants.reduce((n, g) => n + activeAccess(g).length, 0),
      revoked_access_tokens: this.revoked.size,
    };
  }
}

function activeAccess(g: GrantRecord): [string, number][] {
  const now = Date.now() / 1000;
  return Object.entries(g.access).filter(([, exp]) => exp > now);
}

function toClientDto(c: OAuthClientRecord): OAuthClientDto {
  return {
    client_id: c.client_id,
    kind: c.kind,
    client_name: c.client_name ?? null,
    redirect_uris: c.redirect_uris,
    grant_types: c.grant_types,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    scope: c.scope ?? null,
    created_at: new Date(c.client_id_issued_at * 1000).toISOString(),
    used: c.used,
  };
}
