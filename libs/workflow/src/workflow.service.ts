import { Injectable } from '@nestjs/common';
import { NotFound } from '@app/http';
import { RedisConnections } from '@app/redis';
import {
  DeadLetterDiscardedDto,
  DeadLetterDto,
  DeadLetterListDto,
  DeadLetterRetriedDto,
  WorkflowEventListDto,
  WorkflowReplicasDto,
} from './dto/workflow.dto';
import { EventBus, fieldMap, parseEvent } from './event-bus';
import { ReplicaRegistry } from './replica-registry';
import { WorkflowKeys } from './workflow-keys';

type StreamEntry = [id: string, fields: string[]];
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** Reads the event stream and manages the dead letters (the admin API). */
@Injectable()
export class WorkflowService {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: WorkflowKeys,
    private readonly bus: EventBus,
    private readonly registry: ReplicaRegistry,
  ) {}

  async recentEvents(limit = 50, type?: string): Promise<WorkflowEventListDto> {
    const client = this.redis.client;
    // Filtering by type reads further back (bounded) to still find `limit` matches.
    const entries = (await client.xrevrange(
      this.keys.events,
      '+',
      '-',
      'COUNT',
      type ? Math.max(limit * 20, 1000) : limit,
    )) as StreamEntry[];
    const events = entries
      .map(([id, fields]) => parseEvent(id, fields))
      .filter((e) => !type || e.type === type)
      .slice(0, limit)
      .map(({ id, type: t, payload, published_at, origin }) => ({ id, type: t, payload, published_at, origin }));
    return { events, total: await client.xlen(this.keys.events) };
  }

  /** The replicas sharing this Redis now (see ReplicaRegistry). */
  async replicas(): Promise<WorkflowReplicasDto> {
    return { replicas: await this.registry.alive(), this_replica: this.registry.self };
  }

  async deadLetters(limit = 50): Promise<DeadLetterListDto> {
    const client = this.redis.client;
    const entries = (await client.xrevrange(this.keys.deadLetters, '+', '-', 'COUNT', limit)) as StreamEntry[];
    return {
      dead_letters: entries.map(([id, fields]) => toDeadLetter(id, fields)),
      total: await client.xlen(this.keys.deadLetters),
    };
  }

  /** Publishes the dead letter's event again for its group only, then removes the dead letter. */
  async retry(id: string): Promise<DeadLetterRetriedDto> {
    const letter = await this.find(id);
    const eventId = await this.bus.publish(letter.type, letter.payload, { onlyGroup: letter.group });
    await this.redis.client.xdel(this.keys.deadLetters, id);
    return { id, event_id: eventId ?? '', group: letter.group };
  }

  async discard(id: string): Promise<DeadLetterDiscardedDto> {
    await this.find(id);
    await this.redis.client.xdel(this.keys.deadLetters, id);
    return { id, discarded: true };
  }

  private async find(id: string): Promise<DeadLetterDto> {
    if (!STREAM_ID.test(id)) throw NotFound(`dead letter "${id}"`);
    const entries = (await this.redis.client.xrange(this.keys.deadLetters, id, id)) as StreamEntry[];
    if (entries.length === 0) throw NotFound(`dead letter "${id}"`);
    return toDeadLetter(entries[0][0], entries[0][1]);
  }
}

function toDeadLetter(id: string, fields: string[]): DeadLetterDto {
  const map = fieldMap(fields);
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(map.payload ?? '{}') as Record<string, unknown>;
  } catch {
    payload = { unreadable: map.payload };
  }
  return {
    id,
    event_id: map.event_id ?? '',
    group: map.group ?? '',
    type: map.type ?? '',
    payload,
    attempts: Number(map.attempts ?? 0),
    error: map.error ?? '',
    published_at: map.published_at ?? '',
    failed_at: map.failed_at ?? '',
  };
}
