import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class WorkflowListQueryDto {
  /** How many entries, newest first (1-500, default 50). */
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsOptional()
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(500, { message: 'limit must be at most 500' })
  limit?: number;

  /** Only events of this type (e.g. certificate.order_requested). */
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9_.-]{1,100}$/, { message: 'type must be an event type such as certificate.order_requested' })
  type?: string;
}

export class WorkflowEventDto {
  /** Stream id (milliseconds-sequence). */
  id!: string;
  type!: string;
  payload!: Record<string, unknown>;
  published_at!: string;
  /** The replica that published it. */
  origin!: string;
}

export class DeadLetterDto {
  /** Id of the dead letter (use it to retry or discard). */
  id!: string;
  /** Id of the original event. */
  event_id!: string;
  /** The worker group that gave up. */
  group!: string;
  type!: string;
  payload!: Record<string, unknown>;
  attempts!: number;
  /** The last failure. */
  error!: string;
  published_at!: string;
  failed_at!: string;
}

export class WorkflowEventListDto {
  events!: WorkflowEventDto[];
  /** Events currently in the (capped) stream. */
  total!: number;
}

export class DeadLetterListDto {
  dead_letters!: DeadLetterDto[];
  total!: number;
}

export class DeadLetterRetriedDto {
  id!: string;
  /** The new event, handled again by the same group only. */
  event_id!: string;
  group!: string;
}

export class DeadLetterDiscardedDto {
  id!: string;
  discarded!: boolean;
}

export class WorkflowReplicaDto {
  /** The replica's name on the event bus: `<host>-<pid>-<random tag>` (a restarted process gets a new one). */
  consumer!: string;
  /** Milliseconds since it last said it is alive (every 5 seconds). */
  seen_ms_ago!: number;
}

export class WorkflowReplicasDto {
  /** Replicas that said they are alive within the last 15 seconds. */
  replicas!: WorkflowReplicaDto[];
  /** The replica that answered. */
  this_replica!: string;
}
