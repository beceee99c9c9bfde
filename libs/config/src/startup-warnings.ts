import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from './app-config';
import { featureWarnings } from './feature-settings';

/** Prints, once at start, each setting that switches a feature off (see featureWarnings). */
@Injectable()
export class StartupWarnings implements OnApplicationBootstrap {
  private readonly logger = new Logger('Configuration');

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    for (const warning of featureWarnings(this.config.env)) this.logger.warn(warning);
  }
}
