import { Global, Module } from '@nestjs/common';
import { DispatcherModule, TARGET_AUTH_POLICY } from '@app/dispatcher';
import { OAuthModule } from '@app/oauth';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { TokensModule } from '@app/tokens';
import { AuthHostnameHandler } from './auth-hostname.handler';
import { ProtectedResourceMetadataHandler } from '@app/resources/protected-resource-metadata';
import { ProxyCleanupWorker } from './proxy-cleanup.worker';
import { ProtectionCatalog } from '@app/resources/resource-catalog';
import { ProtectionDecider } from './protection-decider';
import { RedirectCallbackHandler } from './redirect-callback.handler';
import { ResourceValidator } from '@app/resources/resource-validator';
import { ResourcesController } from '@app/resources/resources.controller';
import { ResourcesRepository } from '@app/resources/resources.repository';
import { ResourcesService } from '@app/resources/resources.service';
import { TargetProtectionController } from './target-protection.controller';
import { ProtectionPolicy } from './target-auth.policy';
import { VerifyController } from './verify.controller';

/**
 * The in-memory protection view and the dispatcher's auth policy. Global so that the dispatcher
 * module sees TARGET_AUTH_POLICY without importing this one.
 */
@Global()
@Module({
  imports: [OAuthModule, ProxyTargetsModule],
  providers: [
    ResourcesRepository,
    ProtectionCatalog,
    ProtectionDecider,
    ProtectionPolicy,
    { provide: TARGET_AUTH_POLICY, useExisting: ProtectionPolicy },
  ],
  exports: [TARGET_AUTH_POLICY, ProtectionCatalog, ProtectionDecider, ResourcesRepository],
})
export class ProtectionCoreModule {}

/** Protection of proxy targets (issue 5), the resource registry (issue 8), the cleanup after a deleted target (issue 6, `proxy-cleanup` workflow group), /verify, the auth hostname and resource metadata on the public listeners. */
@Module({
  imports: [ProtectionCoreModule, OAuthModule, ProxyTargetsModule, TokensModule, DispatcherModule],
  controllers: [TargetProtectionController, ResourcesController, VerifyController],
  providers: [
    ResourcesService,
    ResourceValidator,
    ProxyCleanupWorker,
    AuthHostnameHandler,
    ProtectedResourceMetadataHandler,
    RedirectCallbackHandler,
  ],
})
export class ProtectionModule {}
