import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config';
import { Environment } from './environment';
import { StartupWarnings } from './startup-warnings';

/** Provides the one validated AppConfig; main.ts validates the environment before Nest starts. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(env: Environment): DynamicModule {
    const config = new AppConfig(env);
    return {
      module: ConfigModule,
      providers: [{ provide: AppConfig, useValue: config }, StartupWarnings],
      exports: [AppConfig],
    };
  }
}
