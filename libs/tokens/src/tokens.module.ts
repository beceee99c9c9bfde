import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { BearerAuthGuard } from './bearer-auth.guard';
import { TokenDeletionCascade } from './token-deletion-cascade';
import { TokenEmails } from './token-emails';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

@Module({
  controllers: [TokensController],
  providers: [
    TokensRepository,
    TokensService,
    TokenDeletionCascade,
    TokenEmails,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [TokensService, TokenEmails],
})
export class TokensModule {}
