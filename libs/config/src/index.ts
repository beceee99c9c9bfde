export { AppConfig, type DockerEndpoint, type HostPort, type PortRange, type RedisTopology } from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, Environment, parseEnvironment, type LogLevel } from './environment';
