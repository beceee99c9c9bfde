export { AppConfig, type RedisTopology, type HostPort } from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, Environment, parseEnvironment, type LogLevel } from './environment';
