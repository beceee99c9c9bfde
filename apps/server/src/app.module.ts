import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigModule, Environment } from '@app/config';
import { HealthModule } from '@app/health';
import { LoggingModule } from '@app/logging';
import { OAuthModule } from '@app/oauth';
import { RedisModule } from '@app/redis';
import { TokensModule } from '@app/tokens';

/** Composes the feature libraries into the running server. */
@Module({})
export class AppModule {
  static forRoot(env: Environment): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(env), LoggingModule, ScheduleModule.forRoot(), RedisModule, TokensModule, HealthModule, OAuthModule],
    };
  }
}
