import { Injectable } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { restoreEmptyArrays } from '../protocol/lua-json';
import { AuthorizationCodeRecord, AuthorizationRequestRecord, ConsentRequestRecord, LoginSessionRecord } from './flow.records';

export const PENDING_TTL_SECONDS = 600;
/** A redeemed code is remembered this long so a second use can be detected (and revoke the grant). */
export const USED_CODE_TTL_SECONDS = 600;

/**
 * Short-lived state of the browser flow, all with TTLs, so any replica can continue a flow that
 * another started: `oauth:authorize:<id>`, `oauth:consent-request:<id>`, `oauth:session:<id>`
 * (+ `oauth:user-sessions:<login>` set), `oauth:consent:<login>:<client_id>`, `oauth:code:<sha256>`.
 */
@Injectable()
export class FlowRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private async read<T extends object>(cls: ClassConstructor<T>, key: string, raw?: string | null): Promise<T | null> {
    const value = raw === undefined ? await this.redis.client.get(key) : raw;
    return value === null ? null : decodeRecord(cls, key, value);
  }

  async saveAuthorizationRequest(record: AuthorizationRequestRecord): Promise<void> {
    await this.redis.client.set(this.keys.key('oauth', 'authorize', record.id), encodeRecord(record), 'EX', PENDING_TTL_SECONDS);
  }

  /** Single use: the GitHub callback consumes it. */
  async takeAuthorizationRequest(id: string): Promise<AuthorizationRequestRecord | null> {
    const key = this.keys.key('oauth', 'authorize', id);
    return this.read(AuthorizationRequestRecord, key, await this.redis.client.getdel(key));
  }

  async saveConsentRequest(record: ConsentRequestRecord): Promise<void> {
    await this.redis.client.set(this.keys.key('oauth', 'consent-request', record.id), encodeRecord(record), 'EX', PENDING_TTL_SECONDS);
  }

  getConsentRequest(id: string): Promise<ConsentRequestRecord | null> {
    return this.read(ConsentRequestRecord, this.keys.key('oauth', 'consent-request', id));
  }

  async takeConsentRequest(id: string): Promise<ConsentRequestRecord | null> {
    const key = this.keys.key('oauth', 'consent-request', id);
    return this.read(ConsentRequestRecord, key, await this.redis.client.getdel(key));
  }

  async hasConsent(login: string, clientId: string, scopes: string[]): Promise<boolean> {
    const raw = await this.redis.client.get(this.keys.key('oauth', 'consent', login.toLowerCase(), clientId));
    if (raw === null) return false;
    const granted = raw.split(' ');
    return scopes.every((s) => granted.includes(s));
  }

  async saveConsent(login: string, clientId: string, scopes: string[], ttl: number): Promise<void> {
    await this.redis.client.set(this.keys.key('oauth', 'consent', login.toLowerCase(), clientId), scopes.join(' '), 'EX', ttl);
  }

  async createSession(record: LoginSessionRecord, ttl: number): Promise<void> {
    const index = this.keys.key('oauth', 'user-sessions', record.user.login.toLowerCase());
    await this.redis.client
      .multi()
      .set(this.keys.key('oauth', 'session', record.id), encodeRecord(record), 'EX', ttl)
      .sadd(index, record.id)
      .expire(index, ttl)
      .exec();
  }

  getSession(id: string): Promise<LoginSessionRecord | null> {
    return this.read(LoginSessionRecord, this.keys.key('oauth', 'session', id));
  }

  async userSessions(login: string): Promise<LoginSessionRecord[]> {
    const index = this.keys.key('oauth', 'user-sessions', login.toLowerCase());
    const ids = await this.redis.client.smembers(index);
    const out: LoginSessionRecord[] = [];
    for (const id of ids) {
      const s = await this.getSession(id);
      if (s) out.push(s);
      else await this.redis.client.srem(index, id);
    }
    return out;
  }

  async deleteUserSessions(login: string): Promise<number> {
    const sessions = await this.userSessions(login);
    if (sessions.length === 0) return 0;
    await this.redis.client
      .multi()
      .del(...sessions.map((s) => this.keys.key('oauth', 'session', s.id)))
      .del(this.keys.key('oauth', 'user-sessions', login.toLowerCase()))
      .exec();
    return sessions.length;
  }

  async saveCode(codeHash: string, record: AuthorizationCodeRecord, ttl: number): Promise<void> {
    await this.redis.client.set(this.keys.key('oauth', 'code', codeHash), encodeRecord(record), 'EX', ttl);
  }

  /**
   * Atomically marks the code used and returns it with whether it had been used before. A code is
   * redeemed once; the marker stays USED_CODE_TTL_SECONDS so a replay is recognised.
   */
  async redeemCode(codeHash: string): Promise<{ record: AuthorizationCodeRecord; reused: boolean } | null> {
    const key = this.keys.key('oauth', 'code', codeHash);
    const result = (await this.redis.client.eval(
      `local raw = redis.call('GET', KEYS[1])
       if not raw then return nil end
       local r = cjson.decode(raw)
       if r.used then return {'used', raw} end
       r.used = true
       redis.call('SET', KEYS[1], cjson.encode(r), 'EX', ARGV[1])
       return {'fresh', raw}`,
      1,
      key,
      USED_CODE_TTL_SECONDS,
    )) as [string, string] | null;
    if (!result) return null;
    return { record: decodeRecord(AuthorizationCodeRecord, key, restoreEmptyArrays(result[1], ['scopes', 'resources'])), reused: result[0] === 'used' };
  }
}
