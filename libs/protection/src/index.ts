export { ProtectionCoreModule, ProtectionModule } from './protection.module';
export {
  ProtectionCatalog,
  targetOrigin,
  type HostProtection,
  type ServedResource,
} from '@app/resources/resource-catalog';
export { ProtectionDecider, type ProtectedRequest, type ProtectionOutcome } from './protection-decider';
export { PRM_PATH, protectedResourceMetadata } from '@app/resources/protected-resource-metadata';
export { authConfigOf, type TargetAuthConfig, type AuthMode } from './target-auth.config';
export { forwardedRequest } from './verify.controller';
export { PROXY_CLEANUP_GROUP, ProxyCleanupWorker } from './proxy-cleanup.worker';
