import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { CertificatesModule } from '@app/certificates';
import { ConfigModule, Environment } from '@app/config';
import { CryptoModule } from '@app/crypto';
import { DockerModule } from '@app/docker';
import { DashboardModule } from '@app/dashboard';
import { DispatcherModule } from '@app/dispatcher';
import { HealthModule } from '@app/health';
import { InstancesModule } from '@app/instances';
import { LoggingModule } from '@app/logging';
import { MetricsModule } from '@app/metrics';
import { PortsModule } from '@app/ports';
import { ProxyTargetHostsModule, ProxyTargetsModule } from '@app/proxy-targets';
import { PROTOCOL_ERROR_FORMATS } from '@app/http';
import { OAUTH_PROTOCOL_ERRORS, OAuthModule } from '@app/oauth';
import { ProtectionModule, TARGET_AUTH_SETTINGS } from '@app/protection';
import { RateLimitsModule } from '@app/rate-limits';
import { RedisModule } from '@app/redis';
import { RequestLogModule } from '@app/request-log';
import { ResourcesModule } from '@app/resources';
import { RoutesModule } from '@app/routes';
import { TokensModule } from '@app/tokens';
import { WorkflowModule } from '@app/workflow';
import { TokenDeletionCascadeModule } from './token-deletion-cascade';

/** Composes the feature libraries into the running server. */
@Module({})
export class AppModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        LoggingModule,
        ScheduleModule.forRoot(),
        RedisModule,
        CryptoModule,
        TokensModule,
        HealthModule,
        MetricsModule,
        RequestLogModule,
        WorkflowModule,
        CertificatesModule,
        ProxyTargetsModule,
        ProxyTargetHostsModule,
        InstancesModule,
        RoutesModule,
        DispatcherModule,
        PortsModule,
        DockerModule,
        DashboardModule,
        OAuthModule,
        // The registry reads the targets' auth settings through the protection module's reader (no import cycle).
        ResourcesModule.register({ targetProtection: TARGET_AUTH_SETTINGS }),
        ProtectionModule,
        RateLimitsModule,
        TokenDeletionCascadeModule,
      ],
      // Failures before a controller runs (malformed JSON, body too large) on the OAuth endpoints
      // answer in RFC 6749's shape: the admin app's exception filter is given these formats.
      providers: [{ provide: PROTOCOL_ERROR_FORMATS, useValue: [OAUTH_PROTOCOL_ERRORS] }],
    };
  }
}
