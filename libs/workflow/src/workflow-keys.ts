import { Injectable } from '@nestjs/common';
import { RedisKeys } from '@app/redis';

/** Redis keys of the workflow bus (all under the hash-tagged prefix, so one slot on Cluster). */
@Injectable()
export class WorkflowKeys {
  readonly events: string;
  readonly deadLetters: string;
  /** Sorted set: replica name → when it last said it is alive (ms). */
  readonly replicas: string;

  constructor(private readonly keys: RedisKeys) {
    this.events = keys.key('workflow', 'events');
    this.deadLetters = keys.key('workflow', 'dead-letters');
    this.replicas = keys.key('workflow', 'replicas');
  }

  /** Hash: event id → handling attempts started (per consumer group). */
  attempts(group: string): string {
    return this.keys.key('workflow', 'attempts', group);
  }
  /** Hash: event id → last failure reason (per consumer group). */
  errors(group: string): string {
    return this.keys.key('workflow', 'errors', group);
  }
  /** Sorted set: event id → when its next attempt is due (ms). */
  retries(group: string): string {
    return this.keys.key('workflow', 'retry', group);
  }
  /** Marker: the group finished this event (an event delivered again is acknowledged without running). */
  done(group: string, id: string): string {
    return this.keys.key('workflow', 'done', group, id);
  }
  /** Marker: an event with this dedupe key was published already. */
  dedupe(key: string): string {
    return this.keys.key('workflow', 'dedupe', key);
  }
  singleton(name: string): string {
    return this.keys.key('lock', 'singleton', name);
  }
}
