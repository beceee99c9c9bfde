import { Module } from '@nestjs/common';
import { CertificatesModule } from '@app/certificates';
import { HealthController } from './health.controller';

@Module({ imports: [CertificatesModule], controllers: [HealthController] })
export class HealthModule {}
