import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { bearerToken } from '@app/http';
import { secretsEqual } from '@app/tokens';
import { oauthError } from '../protocol/oauth-error';
import { ClientMetadataDocuments, isClientIdUrl } from './client-metadata-documents';
import { parseClientMetadata } from './client-metadata';
import { ClientsRepository } from './clients.repository';
import { ClientKind, OAuthClientRecord } from './oauth-client.record';

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** The RFC 7591 / 7592 answer: metadata plus the secrets, shown once. */
export type RegisteredClient = Omit<
  OAuthClientRecord,
  'client_secret_hash' | 'registration_access_token_hash' | 'kind' | 'used'
> & {
  client_secret?: string;
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri?: string;
};

/**
 * Clients of the authorization server, registered three ways: by the admin (pre-registered),
 * dynamically (RFC 7591, managed with RFC 7592), or as a Client ID Metadata Document URL.
 */
@Injectable()
export class ClientsService {
  private readonly issuer: string;

  constructor(
    private readonly clients: ClientsRepository,
    private readonly documents: ClientMetadataDocuments,
    private readonly config: AppConfig,
  ) {
    this.issuer = config.oauth.issuer;
  }

  /** The client named by `client_id`, or `invalid_client`. */
  async resolve(clientId: unknown): Promise<OAuthClientRecord> {
    if (typeof clientId !== 'string' || clientId === '') throw oauthError('invalid_request', 'client_id is required');
    if (isClientIdUrl(clientId)) return this.documents.resolve(clientId);
    const client = await this.clients.find(clientId);
    if (!client) throw oauthError('invalid_client', 'unknown client_id; register the client first');
    return client;
  }

  /**
   * Client authentication at the token, revocation and introspection endpoints: HTTP Basic
   * (client_secret_basic), body credentials (client_secret_post), or client_id alone for public
   * clients. A confidential client without its secret is refused.
   */
  async authenticate(body: Record<string, unknown>, authorization: string | undefined): Promise<OAuthClientRecord> {
    let clientId = typeof body.client_id === 'string' ? body.client_id : undefined;
    let secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    let method: 'basic' | 'post' | 'none' = secret ? 'post' : 'none';
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw oauthError('invalid_client', 'malformed Basic credentials');
      const basicId = decodeURIComponent(decoded.slice(0, colon));
      if (clientId && clientId !== basicId)
        throw oauthError('invalid_client', 'client_id in the body differs from the Basic credentials');
      if (secret) throw oauthError('invalid_request', 'use one client authentication method, not both');
      clientId = basicId;
      secret = decodeURIComponent(decoded.slice(colon + 1));
      method = 'basic';
    }
    if (!clientId) throw oauthError('invalid_client', 'client authentication is required (client_id)');
    const client = await this.resolve(clientId).catch((e: unknown) => {
      throw e instanceof Error && 'error' in e && (e as { error: string }).error === 'invalid_request'
        ? e
        : oauthError('invalid_client', (e as Error).message);
    });
    if (client.token_endpoint_auth_method === 'none') {
      if (method !== 'none')
        throw oauthError(
          'invalid_client',
          'this client is public (token_endpoint_auth_method "none") and has no secret',
        );
      return client;
    }
    if (!secret || !client.client_secret_hash || !secretsEqual(hash(secret), client.client_secret_hash))
      throw oauthError('invalid_client', 'client authentication failed');
    return client;
  }

  /** RFC 7591 dynamic registration (rate-limited per IP; unused clients expire). */
  async register(body: unknown, ip: string): Promise<RegisteredClient> {
    if ((await this.clients.countRegistration(ip)) > this.config.oauth.registrationRateLimit) {
      throw oauthError(
        'slow_down',
        `too many registrations from this address; at most ${this.config.oauth.registrationRateLimit} a minute`,
        429,
      );
    }
    return this.create(body, 'dynamic', this.config.oauth.unusedClientTtl);
  }

  /** An admin-registered client (does not expire). */
  preregister(body: unknown): Promise<RegisteredClient> {
    return this.create(body, 'preregistered');
  }

  /**
   * A client the server registers for itself (redirect-mode sign-in of a proxy target): its
   * callback is on a hostname this server serves, so plain http is accepted for http-only targets.
   */
  registerInternal(body: unknown): Promise<RegisteredClient> {
    return this.create(body, 'preregistered', undefined, { allowHttp: true });
  }

  private async create(
    body: unknown,
    kind: ClientKind,
    ttl?: number,
    options: { allowHttp?: boolean } = {},
  ): Promise<RegisteredClient> {
    const metadata = parseClientMetadata(body, this.config.oauth.scopes, options);
    const clientId = `client_${randomBytes(16).toString('base64url')}`;
    const secret =
      metadata.token_endpoint_auth_method === 'none' ? undefined : `cs_${randomBytes(32).toString('base64url')}`;
    const rat = `rat_${randomBytes(32).toString('base64url')}`;
    const record: OAuthClientRecord = {
      client_id: clientId,
      kind,
      ...metadata,
      client_secret_hash: secret ? hash(secret) : undefined,
      registration_access_token_hash: hash(rat),
      client_id_issued_at: Math.floor(Date.now() / 1000),
      used: false,
    };
    await this.clients.save(record, ttl);
    return this.describe(record, { secret, rat });
  }

  /** RFC 7592: the registration access token, compared in constant time. */
  async authorizeManagement(clientId: string, authorization: string | undefined): Promise<OAuthClientRecord> {
    const token = bearerToken(authorization);
    if (!token) throw oauthError('invalid_token', 'the registration access token is required (Authorization: Bearer)');
    const client = await this.clients.find(clientId);
    if (!client?.registration_access_token_hash || !secretsEqual(hash(token), client.registration_access_token_hash)) {
      throw oauthError('invalid_token', 'invalid registration access token or client');
    }
    return client;
  }

  async read(clientId: string, authorization: string | undefined): Promise<RegisteredClient> {
    return this.describe(await this.authorizeManagement(clientId, authorization), {});
  }

  /** RFC 7592 update: the metadata is replaced; client_id must match; secrets stay. */
  async update(clientId: string, authorization: string | undefined, body: unknown): Promise<RegisteredClient> {
    const client = await this.authorizeManagement(clientId, authorization);
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (b.client_id !== undefined && b.client_id !== clientId)
      throw oauthError('invalid_request', 'client_id in the body must equal the client being updated');
    if (b.client_secret !== undefined) throw oauthError('invalid_request', 'client_secret cannot be set by the client');
    const metadata = parseClientMetadata(b, this.config.oauth.scopes);
    if ((metadata.token_endpoint_auth_method === 'none') !== (client.token_endpoint_auth_method === 'none')) {
      throw oauthError(
        'invalid_client_metadata',
        'token_endpoint_auth_method cannot change between public and confidential',
      );
    }
    const next: OAuthClientRecord = { ...client, ...metadata };
    await this.clients.update(next);
    return this.describe(next, {});
  }

  async unregister(clientId: string, authorization: string | undefined): Promise<void> {
    await this.authorizeManagement(clientId, authorization);
    await this.clients.delete(clientId);
  }

  async markUsed(client: OAuthClientRecord): Promise<void> {
    if (client.kind !== 'metadata_document') await this.clients.markUsed(client);
  }

  list(): Promise<OAuthClientRecord[]> {
    return this.clients.list();
  }

  find(clientId: string): Promise<OAuthClientRecord | null> {
    return this.clients.find(clientId);
  }

  delete(clientId: string): Promise<boolean> {
    return this.clients.delete(clientId);
  }

  describe(record: OAuthClientRecord, secrets: { secret?: string; rat?: string }): RegisteredClient {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { client_secret_hash, registration_access_token_hash, kind, used, ...metadata } = record;
    const out: RegisteredClient = {
      ...metadata,
      registration_client_uri: `${this.issuer}/register/${encodeURIComponent(record.client_id)}`,
    };
    if (secrets.secret) Object.assign(out, { client_secret: secrets.secret, client_secret_expires_at: 0 });
    if (secrets.rat) out.registration_access_token = secrets.rat;
    return out;
  }
}
