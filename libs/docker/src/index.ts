export { containerName, imageAllowed, LABELS, parseMemoryLimit } from './container-rules';
export { DockerEngine } from './docker-engine';
export { DockerModule, type DockerModuleOptions } from './docker.module';
export {
  EXTERNAL_SERVICE_REGISTRY,
  ExternalServiceRecord,
  RedisExternalServiceRegistry,
  type ExternalServiceRegistry,
} from './external-service.registry';
export { SERVICE_PROXY_PUBLISHER, type ServiceProxyPublisher } from './service-proxy.publisher';
export { ServicesService } from './services.service';
export {
  CONTAINER_DELETED,
  CONTAINER_FAILED,
  CONTAINER_PROXIED,
  CONTAINER_PROXY_GROUP,
  CONTAINER_REQUESTED,
  CONTAINER_STARTED,
  CONTAINERS_GROUP,
} from './service-lifecycle';
