export { AppConfig, type GithubSettings, type HostPort, type OAuthSettings, type RedisTopology } from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, Environment, parseEnvironment, type LogLevel } from './environment';
