import { Global, Module } from '@nestjs/common';
import { DispatcherModule, TARGET_AUTH_POLICY } from '@app/dispatcher';
import { OAuthModule } from '@app/oauth';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { TokensModule } from '@app/tokens';
import { AuthHostnameHandler } from './auth-hostname.handler';
import { ProtectionDecider } from './protection-decider';
import { ProxyCleanupWorker } from './proxy-cleanup.worker';
import { RedirectCallbackHandler } from './redirect-callback.handler';
import { TargetAuthService } from './target-auth.service';
import { ProtectionPolicy } from './target-auth.policy';
import { TargetProtectionController } from './target-protection.controller';
import { VerifyController } from './verify.controller';

/**
 * The dispatcher's auth policy and the decider behind it. Global so that the dispatcher module sees
 * TARGET_AUTH_POLICY without importing this one. The resource catalog comes from the (global)
 * ResourcesModule.
 */
@Global()
@Module({
  imports: [OAuthModule],
  providers: [ProtectionDecider, ProtectionPolicy, { provide: TARGET_AUTH_POLICY, useExisting: ProtectionPolicy }],
  exports: [TARGET_AUTH_POLICY, ProtectionDecider],
})
export class ProtectionCoreModule {}

/**
 * Protection of proxy targets (issue 5): the `/auth` sub-resource, `/verify`, redirect mode's
 * callback and the auth hostname on the public listeners, and the cleanup after a deleted target
 * (issue 6, `proxy-cleanup` workflow group). Sits above the ResourcesModule, which it reads.
 */
@Module({
  imports: [ProtectionCoreModule, OAuthModule, ProxyTargetsModule, TokensModule, DispatcherModule],
  controllers: [TargetProtectionController, VerifyController],
  providers: [TargetAuthService, ProxyCleanupWorker, AuthHostnameHandler, RedirectCallbackHandler],
})
export class ProtectionModule {}
