export { containerName, imageAllowed, LABELS, parseMemoryLimit } from './container-rules';
export { DockerEngine } from './docker-engine';
export { DockerModule } from './docker.module';
export { ServiceOwnership } from './service-ownership';
export {
  CONTAINER_DELETED,
  CONTAINER_FAILED,
  CONTAINER_PROXIED,
  CONTAINER_PROXY_GROUP,
  CONTAINER_REQUESTED,
  CONTAINER_STARTED,
  CONTAINERS_GROUP,
} from './service-lifecycle';
