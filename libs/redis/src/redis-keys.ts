import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';

/**
 * Key names: `<prefix>:<entity>:<id>`. The prefix is a Redis Cluster hash tag (`{prefix}`) so that
 * multi-key transactions and scripts always find their keys in one slot, on every topology.
 */
@Injectable()
export class RedisKeys {
  readonly prefix: string;

  constructor(config: AppConfig) {
    this.prefix = `{${config.redisKeyPrefix}}`;
  }

  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
