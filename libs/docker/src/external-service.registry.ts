import { Injectable } from '@nestjs/common';
import { IsISO8601, IsOptional, IsString } from 'class-validator';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';

/** An external service: a name for a URL that is not a managed container (the instances registry's entries). */
export class ExternalServiceRecord {
  @IsString()
  name!: string;

  @IsString()
  target_url!: string;

  @IsOptional()
  @IsString()
  description?: string;

  @IsString()
  owner!: string;

  @IsISO8601()
  created_at!: string;
}

/**
 * Where external services live. They share the instances registry (name → URL): the server binds
 * it in app.module (apps/server/src/docker-seams.ts). The default implementation below, used only
 * when DockerModule is registered without one, stores `instance:<name>` + `instances` itself.
 */
export interface ExternalServiceRegistry {
  find(name: string): Promise<ExternalServiceRecord | null>;
  list(): Promise<ExternalServiceRecord[]>;
  /** False when the name is taken. */
  create(record: ExternalServiceRecord): Promise<boolean>;
  remove(name: string): Promise<void>;
}

export const EXTERNAL_SERVICE_REGISTRY = Symbol('EXTERNAL_SERVICE_REGISTRY');

@Injectable()
export class RedisExternalServiceRegistry implements ExternalServiceRegistry {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private recordKey(name: string): string {
    return this.keys.key('instance', name);
  }
  private get indexKey(): string {
    return this.keys.key('instances');
  }

  async find(name: string): Promise<ExternalServiceRecord | null> {
    const key = this.recordKey(name);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(ExternalServiceRecord, key, raw);
  }

  async list(): Promise<ExternalServiceRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    return (await this.redis.client.mget(...keys)).flatMap((raw, i) =>
      raw === null ? [] : [decodeRecord(ExternalServiceRecord, keys[i], raw)],
    );
  }

  async create(record: ExternalServiceRecord): Promise<boolean> {
    const created = await this.redis.client.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
       redis.call('SET', KEYS[1], ARGV[1])
       redis.call('SADD', KEYS[2], ARGV[2])
       return 1`,
      2,
      this.recordKey(record.name),
      this.indexKey,
      encodeRecord(record),
      record.name,
    );
    return created === 1;
  }

  async remove(name: string): Promise<void> {
    await this.redis.client.multi().del(this.recordKey(name)).srem(this.indexKey, name).exec();
  }
}
