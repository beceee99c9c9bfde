import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ConfigBus, decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { AcmeAccountRecord, CertificateRecord } from './certificate.record';

const CREATE = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
  return 1`;
// Updates never resurrect a certificate deleted while its order ran.
const UPDATE = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
  redis.call('SET', KEYS[1], ARGV[1])
  return 1`;
const DELETE = `redis.call('SREM', KEYS[2], ARGV[1])
  return redis.call('DEL', KEYS[1])`;

/** Challenge responses live this long; an order takes seconds, a slow CA a few minutes. */
const CHALLENGE_TTL_SECONDS = 600;

/**
 * Keys: `certificate:<name>` (JSON), `certificates` (set of names), `acme-account:<sha256(dir, email)>`,
 * `acme-challenge:<token>` (key authorization, TTL), `lock:certificate:<name>` (order lock).
 * Writes that change what is served (the chain and key) go through the ConfigBus so every replica
 * reloads its SNI cache.
 */
@Injectable()
export class CertificatesRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly bus: ConfigBus,
  ) {}

  recordKey(name: string): string {
    return this.keys.key('certificate', name);
  }
  lockKey(name: string): string {
    return this.keys.key('lock', 'certificate', name);
  }
  private get indexKey(): string {
    return this.keys.key('certificates');
  }
  private challengeKey(token: string): string {
    return this.keys.key('acme-challenge', token);
  }
  private accountKey(directoryUrl: string, email: string): string {
    return this.keys.key('acme-account', createHash('sha256').update(`${directoryUrl}\n${email}`).digest('hex'));
  }

  async find(name: string): Promise<CertificateRecord | null> {
    const key = this.recordKey(name);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(CertificateRecord, key, raw);
  }

  async list(): Promise<CertificateRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => (raw === null ? [] : [decodeRecord(CertificateRecord, keys[i], raw)]));
  }

  /** False when the name is taken. */
  async create(record: CertificateRecord): Promise<boolean> {
    return (
      (await this.redis.client.eval(
        CREATE,
        2,
        this.recordKey(record.name),
        this.indexKey,
        encodeRecord(record),
        record.name,
      )) === 1
    );
  }

  /** Stores a new state of an existing record; `served` when the chain or key changed (publishes). False if deleted meanwhile. */
  async update(record: CertificateRecord, served = false): Promise<boolean> {
    const args = [UPDATE, 1, this.recordKey(record.name), encodeRecord(record)] as const;
    if (!served) return (await this.redis.client.eval(...args)) === 1;
    const [[, result]] = await this.bus.commit((tx) => tx.eval(...args));
    return result === 1;
  }

  async delete(name: string): Promise<boolean> {
    const [[, result]] = await this.bus.commit((tx) => tx.eval(DELETE, 2, this.recordKey(name), this.indexKey, name));
    return result === 1;
  }

  async findAccount(directoryUrl: string, email: string): Promise<AcmeAccountRecord | null> {
    const key = this.accountKey(directoryUrl, email);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(AcmeAccountRecord, key, raw);
  }

  /** Stores a new account unless another replica stored one first; returns the one that counts. */
  async createAccount(account: AcmeAccountRecord): Promise<AcmeAccountRecord> {
    const key = this.accountKey(account.directory_url, account.email);
    if ((await this.redis.client.set(key, encodeRecord(account), 'NX')) === 'OK') return account;
    return (await this.findAccount(account.directory_url, account.email)) ?? account;
  }

  async saveAccount(account: AcmeAccountRecord): Promise<void> {
    await this.redis.client.set(this.accountKey(account.directory_url, account.email), encodeRecord(account));
  }

  /** Associated data binding a sealed account key to its record. */
  accountContext(directoryUrl: string, email: string): string {
    return this.accountKey(directoryUrl, email);
  }

  async putChallenge(token: string, keyAuthorization: string): Promise<void> {
    await this.redis.client.set(this.challengeKey(token), keyAuthorization, 'EX', CHALLENGE_TTL_SECONDS);
  }

  async findChallenge(token: string): Promise<string | null> {
    return this.redis.client.get(this.challengeKey(token));
  }

  async deleteChallenge(token: string): Promise<void> {
    await this.redis.client.del(this.challengeKey(token));
  }
}
