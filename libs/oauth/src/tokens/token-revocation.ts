import { Injectable } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service';
import { Form, formString as str } from '../protocol/form';
import { oauthError } from '../protocol/oauth-error';
import { GrantRecord } from './grant.record';
import { GrantsRepository } from './grants.repository';
import { AccessTokenJwt } from './jwt';
import { RevokedTokens } from './revoked-tokens';
import { REFRESH_TOKEN_PREFIX, secretHash } from './token-issuer';

/** Ends grants and access tokens: RFC 7009 at /revoke, a replayed grant, a deleted client. */
@Injectable()
export class TokenRevocation {
  constructor(
    private readonly clients: ClientsService,
    private readonly grants: GrantsRepository,
    private readonly revoked: RevokedTokens,
    private readonly jwt: AccessTokenJwt,
  ) {}

  /** Deletes the grant and revokes its unexpired access tokens. */
  async revokeGrant(family: string): Promise<GrantRecord | null> {
    const grant = await this.grants.delete(family);
    if (grant) await this.revoked.revoke(Object.entries(grant.access).map(([jti, exp]) => ({ jti, exp })));
    return grant;
  }

  /** Revokes every grant of a client (it was deleted); returns how many. */
  async revokeClientGrants(clientId: string): Promise<number> {
    const grants = await this.grants.list({ client_id: clientId });
    for (const g of grants) await this.revokeGrant(g.family_id);
    return grants.length;
  }

  /** RFC 7009: always 200 for a valid client; revokes a refresh token's whole grant, or one access token. */
  async revoke(body: Form, authorization: string | undefined): Promise<void> {
    const client = await this.clients.authenticate(body, authorization);
    const token = str(body.token);
    if (!token) throw oauthError('invalid_request', 'token is required');
    if (token.startsWith(REFRESH_TOKEN_PREFIX) || body.token_type_hint === 'refresh_token') {
      const family = await this.grants.familyOfRefresh(secretHash(token));
      const grant = family ? await this.grants.find(family) : null;
      if (grant && grant.client_id === client.client_id) {
        await this.revokeGrant(grant.family_id);
        return;
      }
    }
    const checked = this.jwt.verify(token);
    if ('payload' in checked) {
      const { jti, exp, client_id } = checked.payload as { jti?: unknown; exp?: unknown; client_id?: unknown };
      if (typeof jti === 'string' && typeof exp === 'number' && client_id === client.client_id)
        await this.revoked.revoke([{ jti, exp }]);
    }
  }
}
