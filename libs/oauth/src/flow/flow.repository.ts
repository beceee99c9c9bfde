import { Injectable } from '@nestjs/common';
import { ClassConstructor } from 'class-transformer';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { restoreEmptyArrays } from '../protocol/lua-json';
import { secretHash } from '../tokens/token-issuer';
import {
  AuthorizationCodeRecord,
  AuthorizationRequestRecord,
  ConsentRequestRecord,
  LoginSessionRecord,
  OAuthUser,
} from './flow.records';

export const PENDING_TTL_SECONDS = 600;
/** A redeemed code is remembered this long so a second use can be detected (and revoke the grant). */
export const USED_CODE_TTL_SECONDS = 600;

/** A session's stored id: the SHA-256 of the secret its cookie carries (the secret is never stored). */
export const sessionHash = (cookieValue: string): string => secretHash(cookieValue);

/**
 * Short-lived state of the browser flow, all with TTLs, so any replica can continue a flow that
 * another started: `oauth:authorize:<sha256>`, `oauth:consent-request:<id>`, `oauth:session:<sha256>`
 * (+ `oauth:user-sessions:<login>` set of those hashes), `oauth:code:<sha256>` (consents:
 * `ConsentRepository`). What a browser holds as a cookie (the flow id, the session secret) is
 * stored and looked up only by its SHA-256, like codes and refresh tokens: a Redis dump signs no one in.
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

  /** Stored under the hash of its id (the flow cookie's value and GitHub `state`), which it keeps as `id`. */
  async saveAuthorizationRequest(record: AuthorizationRequestRecord): Promise<void> {
    const hashed = secretHash(record.id);
    await this.redis.client.set(
      this.keys.key('oauth', 'authorize', hashed),
      encodeRecord({ ...record, id: hashed }),
      'EX',
      PENDING_TTL_SECONDS,
    );
  }

  /** Single use: the GitHub callback consumes it (`id`: the flow cookie's value). */
  async takeAuthorizationRequest(id: string): Promise<AuthorizationRequestRecord | null> {
    const key = this.keys.key('oauth', 'authorize', secretHash(id));
    return this.read(AuthorizationRequestRecord, key, await this.redis.client.getdel(key));
  }

  async saveConsentRequest(record: ConsentRequestRecord): Promise<void> {
    await this.redis.client.set(
      this.keys.key('oauth', 'consent-request', record.id),
      encodeRecord(record),
      'EX',
      PENDING_TTL_SECONDS,
    );
  }

  getConsentRequest(id: string): Promise<ConsentRequestRecord | null> {
    return this.read(ConsentRequestRecord, this.keys.key('oauth', 'consent-request', id));
  }

  async takeConsentRequest(id: string): Promise<ConsentRequestRecord | null> {
    const key = this.keys.key('oauth', 'consent-request', id);
    return this.read(ConsentRequestRecord, key, await this.redis.client.getdel(key));
  }

  /** A login session for the browser whose cookie carries `cookieValue`; its id is the value's hash. */
  async createSession(cookieValue: string, user: OAuthUser, ttl: number): Promise<LoginSessionRecord> {
    const record: LoginSessionRecord = { id: sessionHash(cookieValue), user, created_at: Date.now() };
    const index = this.keys.key('oauth', 'user-sessions', user.login.toLowerCase());
    await this.redis.client
      .multi()
      .set(this.sessionKey(record.id), encodeRecord(record), 'EX', ttl)
      .sadd(index, record.id)
      .expire(index, ttl)
      .exec();
    return record;
  }

  /** The session of a browser, by its cookie's value. */
  getSession(cookieValue: string): Promise<LoginSessionRecord | null> {
    return this.read(LoginSessionRecord, this.sessionKey(sessionHash(cookieValue)));
  }

  private sessionKey(hashed: string): string {
    return this.keys.key('oauth', 'session', hashed);
  }

  async userSessions(login: string): Promise<LoginSessionRecord[]> {
    const index = this.keys.key('oauth', 'user-sessions', login.toLowerCase());
    const ids = await this.redis.client.smembers(index);
    const out: LoginSessionRecord[] = [];
    for (const id of ids) {
      const s = await this.read(LoginSessionRecord, this.sessionKey(id));
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
      .del(...sessions.map((s) => this.sessionKey(s.id)))
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
    return {
      record: decodeRecord(AuthorizationCodeRecord, key, restoreEmptyArrays(result[1], ['scopes', 'resources'])),
      reused: result[0] === 'used',
    };
  }
}
