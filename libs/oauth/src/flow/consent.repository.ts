import { Injectable } from '@nestjs/common';
import { RedisConnections, RedisKeys } from '@app/redis';
import { secretHash } from '../tokens/token-issuer';

/** Adds scopes to a space-separated list (order kept, no duplicates) and restarts its TTL, atomically. */
const UNION_SCRIPT = `local have = redis.call('GET', KEYS[1])
local seen, out = {}, {}
local function add(s) if not seen[s] then seen[s] = true; out[#out + 1] = s end end
if have then for s in string.gmatch(have, '%S+') do add(s) end end
for i = 2, #ARGV do add(ARGV[i]) end
redis.call('SET', KEYS[1], table.concat(out, ' '), 'EX', ARGV[1])
return #out`;

/**
 * What a user let a client have, each remembered for OAUTH_CONSENT_TTL_SECONDS from its last write:
 * - `oauth:consent:<login>:<client_id>`: the scopes approved on the consent page, every approval added;
 * - `oauth:scope-grant:<user id>:<client_id>:<sha256 of resource>`: the scopes the authorizations of
 *   this user and client carried for one resource (RFC 8707), so that a step-up keeps them.
 * Both are space-separated lists that only grow by union (one Lua script: concurrent writes lose nothing).
 */
@Injectable()
export class ConsentRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private consentKey(login: string, clientId: string): string {
    return this.keys.key('oauth', 'consent', login.toLowerCase(), clientId);
  }

  private grantKey(userId: string, clientId: string, resource: string): string {
    return this.keys.key('oauth', 'scope-grant', userId, clientId, secretHash(resource));
  }

  private async list(key: string): Promise<string[]> {
    const raw = await this.redis.client.get(key);
    return raw === null ? [] : raw.split(' ').filter(Boolean);
  }

  private async union(key: string, scopes: string[], ttl: number): Promise<void> {
    await this.redis.client.eval(UNION_SCRIPT, 1, key, ttl, ...scopes);
  }

  /** The scopes the user has approved for the client (none when never or no longer). */
  consented(login: string, clientId: string): Promise<string[]> {
    return this.list(this.consentKey(login, clientId));
  }

  approve(login: string, clientId: string, scopes: string[], ttl: number): Promise<void> {
    return this.union(this.consentKey(login, clientId), scopes, ttl);
  }

  /** The scopes earlier authorizations of this user and client carried for `resource`. */
  granted(userId: string, clientId: string, resource: string): Promise<string[]> {
    return this.list(this.grantKey(userId, clientId, resource));
  }

  async recordGranted(userId: string, clientId: string, resources: string[], scopes: string[], ttl: number) {
    for (const resource of resources) await this.union(this.grantKey(userId, clientId, resource), scopes, ttl);
  }
}
