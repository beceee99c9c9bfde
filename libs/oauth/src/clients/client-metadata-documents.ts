import { Injectable } from '@nestjs/common';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '@app/config';
import { oauthError } from '../protocol/oauth-error';
import { parseClientMetadata } from './client-metadata';
import { OAuthClientRecord } from './oauth-client.record';
import {
  AddressResolver,
  dnsServersResolver,
  PinnedFetchError,
  PinnedResponse,
  pinnedGet,
  systemResolver,
} from './pinned-fetch';

export const CIMD_MAX_BYTES = 10 * 1024;
/** One deadline for a whole document fetch: DNS, connect, TLS, headers and body. */
export const CIMD_TIMEOUT_MS = 5000;
export const CIMD_CACHE_ENTRIES = 500;
const CACHE_MIN_SECONDS = 60;
const CACHE_MAX_SECONDS = 86400;
const CACHE_DEFAULT_SECONDS = 300;

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Loopback, private, link-local, CGNAT, multicast and unspecified addresses (v4, v6, v4-mapped). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL may be a client_id document location: https, a host, a path, no fragment or credentials. */
export function isClientIdUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

export function clientIdUrlProblem(clientId: string): string | null {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'the client_id URL is not valid';
  }
  if (url.protocol !== 'https:') return 'a client_id URL must use https';
  if (url.hash || url.username || url.password) return 'a client_id URL must not have a fragment or credentials';
  if (url.pathname === '/' || url.pathname === '') return 'a client_id URL must have a path';
  if (/\/\.\.?(\/|$)/.test(url.pathname)) return 'a client_id URL must not contain dot segments';
  return null;
}

interface Cached {
  record: OAuthClientRecord;
  until: number;
}

/**
 * Client ID Metadata Documents: the client_id is an https URL whose JSON document describes the
 * client. Fetched with limits (https only, CIMD_MAX_BYTES, one CIMD_TIMEOUT_MS deadline for the
 * whole fetch, no redirects, no private addresses unless OAUTH_CIMD_ALLOW_PRIVATE: every address
 * the name resolves to is checked and the connection is pinned to a checked one, see pinnedGet)
 * and cached in memory (at most CIMD_CACHE_ENTRIES, 1 min to 1 day).
 */
@Injectable()
export class ClientMetadataDocuments {
  private readonly cache = new Map<string, Cached>();
  private readonly allowPrivate: boolean;
  private readonly scopes: string[];
  private readonly resolver: AddressResolver;

  constructor(config: AppConfig) {
    this.allowPrivate = config.oauth.cimdAllowPrivate;
    this.scopes = config.oauth.scopes;
    const servers = config.oauth.cimdDnsServers;
    this.resolver = servers.length > 0 ? dnsServersResolver(servers, CIMD_TIMEOUT_MS / 2) : systemResolver;
  }

  async resolve(clientId: string): Promise<OAuthClientRecord> {
    const cached = this.cache.get(clientId);
    if (cached && cached.until > Date.now()) return cached.record;
    const problem = clientIdUrlProblem(clientId);
    if (problem) throw oauthError('invalid_client', problem);
    const { body, maxAge } = await this.fetch(clientId);
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw oauthError('invalid_client', 'the client metadata document is not JSON');
    }
    if (typeof doc !== 'object' || doc === null || (doc as { client_id?: unknown }).client_id !== clientId) {
      throw oauthError('invalid_client', 'the client metadata document must contain a client_id equal to its URL');
    }
    let metadata;
    try {
      metadata = parseClientMetadata({ token_endpoint_auth_method: 'none', ...doc }, this.scopes);
    } catch (error) {
      throw oauthError('invalid_client', `the client metadata document is invalid: ${(error as Error).message}`);
    }
    if (metadata.token_endpoint_auth_method !== 'none')
      throw oauthError(
        'invalid_client',
        'a client metadata document client must use token_endpoint_auth_method "none"',
      );
    const record: OAuthClientRecord = {
      client_id: clientId,
      kind: 'metadata_document',
      ...metadata,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      used: true,
    };
    if (this.cache.size >= CIMD_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(clientId, { record, until: Date.now() + maxAge * 1000 });
    return record;
  }

  private async fetch(url: string): Promise<{ body: string; maxAge: number }> {
    let res: PinnedResponse;
    try {
      res = await pinnedGet(new URL(url), {
        resolve: this.resolver,
        addressProblem: this.addressProblem,
        deadlineMs: CIMD_TIMEOUT_MS,
        maxBytes: CIMD_MAX_BYTES,
      });
    } catch (error) {
      if (!(error instanceof PinnedFetchError)) throw error;
      if (error.kind === 'address') throw oauthError('invalid_client', error.message);
      if (error.kind === 'network')
        throw oauthError(
          'invalid_client',
          `fetching the client metadata document failed: ${error.message.replace(/^failed: /, '')}`,
        );
      throw oauthError('invalid_client', `the client metadata document ${error.message}`);
    }
    if (res.status !== 200)
      throw oauthError('invalid_client', `fetching the client metadata document answered ${res.status}`);
    const match = /max-age=(\d+)/.exec(String(res.headers['cache-control'] ?? ''));
    const maxAge = Math.min(
      CACHE_MAX_SECONDS,
      Math.max(CACHE_MIN_SECONDS, match ? Number(match[1]) : CACHE_DEFAULT_SECONDS),
    );
    return { body: res.body.toString('utf8'), maxAge };
  }

  private readonly addressProblem = (hostname: string, address: string): string | null => {
    if (this.allowPrivate || !isPrivateAddress(address)) return null;
    return isIP(hostname)
      ? 'the client_id URL points to a private address'
      : `${hostname} resolves to a private address (${address})`;
  };
}
