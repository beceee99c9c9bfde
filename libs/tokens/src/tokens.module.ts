import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from './bearer-auth.guard';
import { TokenOwnershipRegistry } from './token-ownership.registry';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

@Module({
  controllers: [TokensController],
  providers: [
    TokensRepository,
    TokensService,
    TokenOwnershipRegistry,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [TokensService, TokenOwnershipRegistry],
})
export class TokensModule {}
