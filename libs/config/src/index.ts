export { AppConfig, type AcmeSettings, type DockerEndpoint, type HostPort, type PortRange, type RedisTopology, type RenewalSettings } from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, Environment, parseEnvironment, type LogLevel } from './environment';
