export { AppConfig, type AcmeSettings, type HostPort, type RedisTopology, type RenewalSettings } from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, Environment, parseEnvironment, type LogLevel } from './environment';
