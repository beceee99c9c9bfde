import { Global, Module } from '@nestjs/common';
import { ClusterSingleton } from './cluster-singleton';
import { EventBus } from './event-bus';
import { ReplicaRegistry } from './replica-registry';
import { WorkflowController } from './workflow.controller';
import { WorkflowKeys } from './workflow-keys';
import { WorkflowService } from './workflow.service';

/** The workflow event bus (Redis Streams), cluster-wide singletons and the /api/v1/workflow routes. Global: feature modules subscribe. */
@Global()
@Module({
  controllers: [WorkflowController],
  providers: [WorkflowKeys, EventBus, ClusterSingleton, ReplicaRegistry, WorkflowService],
  exports: [EventBus, ClusterSingleton, WorkflowKeys],
})
export class WorkflowModule {}
