import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@app/tokens';
import {
  DeadLetterDiscardedDto,
  DeadLetterListDto,
  DeadLetterRetriedDto,
  WorkflowEventListDto,
  WorkflowListQueryDto,
  WorkflowReplicasDto,
} from './dto/workflow.dto';
import { WorkflowService } from './workflow.service';

/** The workflow bus: recent events and the dead letters (admin only: events name every tenant's resources). */
@ApiTags('workflow')
@Controller('api/v1/workflow')
export class WorkflowController {
  constructor(private readonly workflow: WorkflowService) {}

  /** Recent events on the bus, newest first. */
  @Get('events')
  @Authenticated({ admin: true })
  events(@Query() query: WorkflowListQueryDto): Promise<WorkflowEventListDto> {
    return this.workflow.recentEvents(query.limit, query.type);
  }

  /** The server replicas sharing this Redis: those alive within the last 15 s (each says so every 5 s). */
  @Get('replicas')
  @Authenticated({ admin: true })
  replicas(): Promise<WorkflowReplicasDto> {
    return this.workflow.replicas();
  }

  /** Events a worker gave up on after the configured attempts, newest first. */
  @Get('dead-letters')
  @Authenticated({ admin: true })
  deadLetters(@Query() query: WorkflowListQueryDto): Promise<DeadLetterListDto> {
    return this.workflow.deadLetters(query.limit);
  }

  /** Runs a dead letter's event again (for the group that gave up only) and removes the dead letter. */
  @Post('dead-letters/:id/retry')
  @HttpCode(202)
  @Authenticated({ admin: true })
  retry(@Param('id') id: string): Promise<DeadLetterRetriedDto> {
    return this.workflow.retry(id);
  }

  /** Drops a dead letter. */
  @Delete('dead-letters/:id')
  @Authenticated({ admin: true })
  discard(@Param('id') id: string): Promise<DeadLetterDiscardedDto> {
    return this.workflow.discard(id);
  }
}
