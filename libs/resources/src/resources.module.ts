import { DynamicModule, Module } from '@nestjs/common';
import { DispatcherModule } from '@app/dispatcher';
import { OAuthModule, RESOURCE_LOOKUP } from '@app/oauth';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { TokensModule } from '@app/tokens';
import { ProtectedResourceMetadataHandler } from './protected-resource-metadata';
import { RateLimitsController } from './rate-limits.controller';
import { ResourceCatalog } from './resource-catalog';
import { ResourceOwnership } from './resource-ownership';
import { ResourceValidator } from './resource-validator';
import { ResourcesController } from './resources.controller';
import { ResourcesRepository } from './resources.repository';
import { ResourcesService } from './resources.service';
import { TargetResourcesController } from './target-resources.controller';
import { TARGET_PROTECTION, type TargetProtectionReader } from './target-protection';

/**
 * The MCP protected-resource registry (issue 8): `/api/v1/resources` (validate, discover), the
 * targets' `/resource` sub-resource, the in-memory `ResourceCatalog` and the Protected Resource
 * Metadata on the public listeners.
 *
 * Global, so that the OAuth module's `ResourcePolicy` finds `RESOURCE_LOOKUP` and the protection
 * module the catalog and repository, without importing this module (one catalog per process).
 * `targetProtection` reads a target's auth settings: the protection module owns them and sits above.
 */
@Module({})
export class ResourcesModule {
  static register(options: { targetProtection: TargetProtectionReader }): DynamicModule {
    return {
      module: ResourcesModule,
      global: true,
      imports: [OAuthModule, ProxyTargetsModule, TokensModule, DispatcherModule],
      controllers: [ResourcesController, TargetResourcesController, RateLimitsController],
      providers: [
        { provide: TARGET_PROTECTION, useValue: options.targetProtection },
        ResourcesRepository,
        ResourceCatalog,
        { provide: RESOURCE_LOOKUP, useExisting: ResourceCatalog },
        ResourcesService,
        ResourceValidator,
        ProtectedResourceMetadataHandler,
        ResourceOwnership,
      ],
      exports: [RESOURCE_LOOKUP, ResourceCatalog, ResourcesRepository, ResourceOwnership],
    };
  }
}
