import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { ClientsService } from '../clients/clients.service';
import { OAuthClientRecord } from '../clients/oauth-client.record';
import { FlowRepository } from '../flow/flow.repository';
import { OAuthUser } from '../flow/flow.records';
import { oauthError } from '../protocol/oauth-error';
import { verifierMatches } from '../protocol/pkce';
import { canonicalResources } from '../protocol/resource';
import { parseScope } from '../protocol/scopes';
import { GrantRecord } from './grant.record';
import { GrantsRepository } from './grants.repository';
import { GrantTokens } from './grant-tokens';
import { CODE_PREFIX, newSecret, REFRESH_TOKEN_PREFIX, secretHash } from './token-issuer';
import { TokenRevocation } from './token-revocation';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Only for clients registered for the refresh_token grant. */
  refresh_token?: string;
  scope: string;
}

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The token endpoint's grants: issues the authorization code at the end of the browser flow, and
 * exchanges codes and refresh tokens for access tokens (rotation, replay detection).
 */
@Injectable()
export class GrantExchange {
  private readonly logger = new Logger(GrantExchange.name);

  constructor(
    private readonly clients: ClientsService,
    private readonly flow: FlowRepository,
    private readonly grants: GrantsRepository,
    private readonly tokens: GrantTokens,
    private readonly revocation: TokenRevocation,
    private readonly config: AppConfig,
  ) {}

  /** Issues a code for a completed authorization (consent given); returns the code. */
  async issueCode(
    request: { client_id: string; redirect_uri: string; code_challenge: string; scopes: string[]; resources: string[] },
    user: OAuthUser,
  ): Promise<string> {
    const code = newSecret(CODE_PREFIX);
    await this.flow.saveCode(
      secretHash(code),
      {
        client_id: request.client_id,
        redirect_uri: request.redirect_uri,
        code_challenge: request.code_challenge,
        scopes: request.scopes,
        resources: request.resources,
        user,
        family_id: randomBytes(16).toString('base64url'),
      },
      this.config.oauth.codeTtl,
    );
    return code;
  }

  async exchange(body: Body, authorization: string | undefined): Promise<TokenResponse> {
    const grantType = str(body.grant_type);
    if (!grantType) throw oauthError('invalid_request', 'grant_type is required');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
      throw oauthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
    const client = await this.clients.authenticate(body, authorization);
    if (!client.grant_types.includes(grantType))
      throw oauthError('unauthorized_client', `this client is not registered for the ${grantType} grant`);
    return grantType === 'authorization_code' ? this.redeemCode(client, body) : this.refresh(client, body);
  }

  private async redeemCode(client: OAuthClientRecord, body: Body): Promise<TokenResponse> {
    const code = str(body.code);
    if (!code) throw oauthError('invalid_request', 'code is required');
    const redirectUri = str(body.redirect_uri);
    const verifier = str(body.code_verifier);
    if (!verifier) throw oauthError('invalid_request', 'code_verifier is required (PKCE)');
    const redeemed = await this.flow.redeemCode(secretHash(code));
    if (!redeemed) throw oauthError('invalid_grant', 'the authorization code is invalid or expired');
    const { record } = redeemed;
    if (redeemed.reused) {
      // RFC 6749 §4.1.2: a code used twice revokes what it issued.
      await this.revocation.revokeGrant(record.family_id);
      this.logger.warn(`authorization code replayed for client ${record.client_id}; its grant was revoked`);
      throw oauthError('invalid_grant', 'the authorization code was already used');
    }
    if (record.client_id !== client.client_id)
      throw oauthError('invalid_grant', 'the authorization code was issued to another client');
    // The exact URI of the authorization request (its loopback port included).
    if (redirectUri !== record.redirect_uri)
      throw oauthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (!verifierMatches(verifier, record.code_challenge))
      throw oauthError('invalid_grant', 'code_verifier does not match the code_challenge');
    const resources = this.narrowResources(record.resources, body.resource);
    await this.clients.markUsed(client);
    return this.startGrant(record.family_id, client, record.user, record.scopes, record.resources, resources);
  }

  private async startGrant(
    family: string,
    client: OAuthClientRecord,
    user: OAuthUser,
    scopes: string[],
    granted: string[],
    audience: string[],
  ): Promise<TokenResponse> {
    const { refreshTokenTtl, accessTokenTtl } = this.config.oauth;
    const issued = await this.tokens.issue(user, client.client_id, scopes, audience);
    if ('refused' in issued) throw issued.refused;
    const { token, claims } = issued;
    // The grant is kept even without a refresh token: it lists and revokes the access tokens.
    const refresh = client.grant_types.includes('refresh_token') ? newSecret(REFRESH_TOKEN_PREFIX) : undefined;
    const now = Date.now();
    const active: Record<string, number> = refresh ? { [secretHash(refresh)]: 0 } : {};
    const grant: GrantRecord = {
      family_id: family,
      client_id: client.client_id,
      user,
      scopes,
      resources: granted,
      created_at: now,
      refreshed_at: now,
      active,
      access: { [claims.jti]: claims.exp },
    };
    await this.grants.create(
      grant,
      refresh ? secretHash(refresh) : undefined,
      refresh ? refreshTokenTtl : Math.max(accessTokenTtl, 60),
    );
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: claims.exp - claims.iat,
      ...(refresh ? { refresh_token: refresh } : {}),
      scope: claims.scope,
    };
  }

  private async refresh(client: OAuthClientRecord, body: Body): Promise<TokenResponse> {
    const presented = str(body.refresh_token);
    if (!presented) throw oauthError('invalid_request', 'refresh_token is required');
    const hash = secretHash(presented);
    const family = await this.grants.familyOfRefresh(hash);
    const grant = family ? await this.grants.find(family) : null;
    if (!family || !grant) throw oauthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
    if (grant.client_id !== client.client_id)
      throw oauthError('invalid_grant', 'the refresh token was issued to another client');
    const requested = parseScope(body.scope);
    const extra = requested.filter((s) => !grant.scopes.includes(s));
    if (extra.length > 0) throw oauthError('invalid_scope', `scope ${extra.join(' ')} was not granted`);
    const scopes = requested.length > 0 ? requested : grant.scopes;
    const audience = this.narrowResources(grant.resources, body.resource);
    const { refreshTokenTtl, refreshGrace } = this.config.oauth;
    // Memberships and global admission are checked again: a user who left the organisation that
    // admitted them loses the grant; otherwise the new token carries the current memberships.
    const issued = await this.tokens.issue(grant.user, client.client_id, scopes, audience);
    if ('refused' in issued) {
      if (issued.revoke) {
        await this.revocation.revokeGrant(family);
        this.logger.warn(
          `user ${grant.user.login} no longer passes sign-in admission; grant of ${client.client_id} revoked`,
        );
      }
      throw issued.refused;
    }
    const { token, claims } = issued;
    const next = newSecret(REFRESH_TOKEN_PREFIX);
    const result = await this.grants.rotate(
      family,
      hash,
      secretHash(next),
      claims.jti,
      claims.exp,
      refreshGrace * 1000,
      refreshTokenTtl,
    );
    switch (result.outcome) {
      case 'missing':
        throw oauthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
      case 'reused':
        await this.revocation.revokeGrant(family);
        this.logger.warn(
          `rotated refresh token replayed for client ${client.client_id}, user ${grant.user.login}; the grant was revoked`,
        );
        throw oauthError('invalid_grant', 'the refresh token was already used; the grant has been revoked');
      case 'rotated':
        return {
          access_token: token,
          token_type: 'Bearer',
          expires_in: claims.exp - claims.iat,
          refresh_token: next,
          scope: claims.scope,
        };
    }
  }

  /** RFC 8707 at the token endpoint: a subset of what was authorised, or `invalid_target`. */
  private narrowResources(granted: string[], requested: unknown): string[] {
    const asked = canonicalResources(requested);
    if (asked.length === 0) return granted;
    const extra = asked.filter((r) => !granted.includes(r));
    if (extra.length > 0)
      throw oauthError('invalid_target', `resource ${extra.join(' ')} was not authorised for this grant`);
    return asked;
  }
}
