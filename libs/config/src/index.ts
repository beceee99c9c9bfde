export {
  AppConfig,
  type AcmeSettings,
  type DockerEndpoint,
  type GithubSettings,
  type HostPort,
  type OAuthSettings,
  type PortRange,
  type RedisTopology,
  type RenewalSettings,
  type WorkflowSettings,
} from './app-config';
export { ConfigModule } from './config.module';
export {
  ConfigError,
  Environment,
  parseEnvironment,
  type ForwardedHeaderFormat,
  type ForwardingEngineName,
  type LogLevel,
} from './environment';
export { ReservedHostnames, type ReservedHostname } from './reserved-hostnames';
export { featureWarnings } from './feature-settings';
export {
  MAX_RATE_LIMITS,
  RATE_LIMIT_SUBJECTS,
  compileRateLimits,
  parseRateLimitsSetting,
  rateLimitProblems,
  windowMs,
  type RateLimit,
  type RateLimitRecord,
  type RateLimitSubject,
} from './rate-limit-spec';
export { GITHUB_ORG, GITHUB_TEAM } from './github-subjects';
