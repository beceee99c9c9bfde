import { Module } from '@nestjs/common';
import { InstancesModule } from '@app/instances';
import { PortsModule } from '@app/ports';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { TokensModule } from '@app/tokens';
import { ContainerProxyWorker } from './container-proxy.worker';
import { ContainerStartWorker } from './container-start.worker';
import { DockerEngine } from './docker-engine';
import { ExternalServiceCatalog } from './external-service.catalog';
import { ExternalServiceRegistry } from './external-service.registry';
import { ServiceCatalog } from './service-catalog';
import { ServiceContainers } from './service-containers';
import { ServiceCreationPolicy } from './service-creation.policy';
import { ServiceLifecycle } from './service-lifecycle';
import { ServiceOwnership } from './service-ownership';
import { ServicePorts } from './service-ports';
import { ServiceProxies } from './service-proxies';
import { ServiceProxyPublisher } from './service-proxy.publisher';
import { ServiceReconciler } from './service-reconciler';
import { ServiceSteps } from './service-steps';
import { ServiceTeardown } from './service-teardown';
import { ServiceTelemetryService } from './service-telemetry.service';
import { ServicesController } from './services.controller';
import { ServicesRepository } from './services.repository';

/**
 * Docker services (dockerode) with their ports, logs, stats and reconciliation. A service's proxy
 * target goes through the proxy-targets module, external services live in the instances registry.
 */
@Module({
  imports: [TokensModule, PortsModule, ProxyTargetsModule, InstancesModule],
  controllers: [ServicesController],
  providers: [
    DockerEngine,
    ServicesRepository,
    ServiceContainers,
    ServiceLifecycle,
    ServiceCreationPolicy,
    ServiceCatalog,
    ServicePorts,
    ServiceProxies,
    ServiceProxyPublisher,
    ServiceTeardown,
    ServiceSteps,
    ContainerStartWorker,
    ContainerProxyWorker,
    ServiceTelemetryService,
    ExternalServiceRegistry,
    ExternalServiceCatalog,
    ServiceReconciler,
    ServiceOwnership,
  ],
  exports: [DockerEngine, ServiceOwnership],
})
export class DockerModule {}
