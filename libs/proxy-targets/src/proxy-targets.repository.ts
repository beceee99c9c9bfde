import { Injectable, Logger } from '@nestjs/common';
import { ConfigBus, decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { ProxyTargetRecord } from './proxy-target.record';

/** Keys: `proxy_target:<hostname>` (JSON) and `proxy_targets` (set of hostnames). Writes go through the ConfigBus. */
@Injectable()
export class ProxyTargetsRepository {
  private readonly logger = new Logger(ProxyTargetsRepository.name);
  /**
   * Records decoded by the last `list()`, with the JSON they came from: the data path rebuilds its
   * table from `list()` on every configuration change, and validating 10000 unchanged records each
   * time costs about a second of CPU. A record is reused only when its stored JSON is unchanged.
   */
  private decoded = new Map<string, { raw: string; record: ProxyTargetRecord }>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly bus: ConfigBus,
  ) {}

  private recordKey(hostname: string): string {
    return this.keys.key('proxy_target', hostname);
  }
  private get indexKey(): string {
    return this.keys.key('proxy_targets');
  }

  async find(hostname: string): Promise<ProxyTargetRecord | null> {
    const key = this.recordKey(hostname);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(ProxyTargetRecord, key, raw);
  }

  /** Every stored target; a corrupt record is logged and skipped so one bad value cannot stop the data path. */
  async list(): Promise<ProxyTargetRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    const values = await this.redis.client.mget(...keys);
    const previous = this.decoded;
    const decoded = new Map<string, { raw: string; record: ProxyTargetRecord }>();
    const records = values.flatMap((raw, i) => {
      if (raw === null) return [];
      const known = previous.get(keys[i]);
      if (known && known.raw === raw) {
        decoded.set(keys[i], known);
        return [known.record];
      }
      try {
        const record = decodeRecord(ProxyTargetRecord, keys[i], raw);
        decoded.set(keys[i], { raw, record });
        return [record];
      } catch (error) {
        this.logger.error((error as Error).message);
        return [];
      }
    });
    this.decoded = decoded;
    return records;
  }

  /** False when the hostname is taken. */
  async create(record: ProxyTargetRecord): Promise<boolean> {
    const [[, set]] = await this.bus.commit((tx) => {
      tx.set(this.recordKey(record.hostname), encodeRecord(record), 'NX');
      tx.sadd(this.indexKey, record.hostname);
    });
    return set === 'OK';
  }

  async replace(record: ProxyTargetRecord): Promise<void> {
    await this.bus.commit((tx) => tx.set(this.recordKey(record.hostname), encodeRecord(record), 'XX'));
  }

  async delete(hostnames: string[]): Promise<void> {
    if (hostnames.length === 0) return;
    await this.bus.commit((tx) => {
      tx.del(...hostnames.map((h) => this.recordKey(h)));
      tx.srem(this.indexKey, ...hostnames);
    });
  }
}
