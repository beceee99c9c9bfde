export { ClusterSingleton } from './cluster-singleton';
export * from './dto/workflow.dto';
export { EventBus, RetryLater, type PublishOptions, type WorkflowEvent, type WorkflowSubscription } from './event-bus';
export { WorkflowKeys } from './workflow-keys';
export { WorkflowModule } from './workflow.module';
export { WorkflowService } from './workflow.service';
