export { ProtectionCoreModule, ProtectionModule } from './protection.module';
export { ProtectionDecider, type ProtectedRequest, type ProtectionOutcome } from './protection-decider';
export {
  authConfigOf,
  TARGET_AUTH_SETTINGS,
  type AuthMode,
  type HostProtection,
  type TargetAuthConfig,
} from './target-auth.config';
export { forwardedRequest } from './verify.controller';
export { PROXY_CLEANUP_GROUP, ProxyCleanupWorker } from './proxy-cleanup.worker';
