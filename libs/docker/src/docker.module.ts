import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { PortsModule } from '@app/ports';
import { TokensModule } from '@app/tokens';
import { DockerEngine } from './docker-engine';
import { EXTERNAL_SERVICE_REGISTRY, RedisExternalServiceRegistry } from './external-service.registry';
import { ExternalServicesService } from './external-services.service';
import { ServiceContainers } from './service-containers';
import { ServiceLifecycle } from './service-lifecycle';
import { ServiceLifecycleWorker } from './service-lifecycle.worker';
import { ServiceReconciler } from './service-reconciler';
import { ServiceTelemetryService } from './service-telemetry.service';
import { ServicesController } from './services.controller';
import { ServicesRepository } from './services.repository';
import { ServicesService } from './services.service';

export interface DockerModuleOptions {
  /** Modules that export what the providers below use (e.g. the proxy-targets module). */
  imports?: ModuleMetadata['imports'];
  /** Binds SERVICE_PROXY_PUBLISHER (auto_proxy, service proxies). Without it those answer 503. */
  proxyPublisher?: Provider;
  /** Binds EXTERNAL_SERVICE_REGISTRY to the instances registry; default: RedisExternalServiceRegistry. */
  externalServiceRegistry?: Provider;
}

/** Docker services (dockerode) with their ports, logs, stats and reconciliation. */
@Module({})
export class DockerModule {
  static register(options: DockerModuleOptions = {}): DynamicModule {
    return {
      module: DockerModule,
      imports: [TokensModule, PortsModule, ...(options.imports ?? [])],
      controllers: [ServicesController],
      providers: [
        DockerEngine,
        ServicesRepository,
        ServiceContainers,
        ServicesService,
        ServiceLifecycle,
        ServiceLifecycleWorker,
        ServiceTelemetryService,
        ExternalServicesService,
        ServiceReconciler,
        options.externalServiceRegistry ?? {
          provide: EXTERNAL_SERVICE_REGISTRY,
          useClass: RedisExternalServiceRegistry,
        },
        ...(options.proxyPublisher ? [options.proxyPublisher] : []),
      ],
      exports: [ServicesService, DockerEngine],
    };
  }
}
