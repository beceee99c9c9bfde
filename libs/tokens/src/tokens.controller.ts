import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuthContext } from './auth-context';
import { Auth, Authenticated } from './auth.decorators';
import {
  CallerDto,
  CreateTokenDto,
  TokenDeletedDto,
  TokenSecretDto,
  TokenWithOwnershipDto,
  UpdateTokenEmailDto,
} from './dto/token.dto';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Creates an API token. The value is in this response only. */
  @Post()
  @Authenticated({ admin: true })
  create(@Body() body: CreateTokenDto): Promise<TokenSecretDto> {
    return this.tokens.create(body);
  }

  /** Lists tokens with how many resources each owns (never the secrets). */
  @Get()
  @Authenticated({ admin: true })
  list(): Promise<TokenWithOwnershipDto[]> {
    return this.tokens.list();
  }

  /** Who am I: the calling token. */
  @Get('me')
  @Authenticated()
  me(@Auth() auth: AuthContext): Promise<CallerDto> {
    return this.tokens.describeCaller(auth);
  }

  /** Sets the calling token's certificate e-mail. */
  @Put('me/email')
  @Authenticated()
  updateMyEmail(@Auth() auth: AuthContext, @Body() body: UpdateTokenEmailDto): Promise<CallerDto> {
    return this.tokens.updateCallerEmail(auth, body.cert_email);
  }

  @Get(':name')
  @Authenticated({ admin: true })
  show(@Param('name') name: string): Promise<TokenWithOwnershipDto> {
    return this.tokens.show(name);
  }

  /** Deletes the token and everything it owns. */
  @Delete(':name')
  @Authenticated({ admin: true })
  delete(@Param('name') name: string): Promise<TokenDeletedDto> {
    return this.tokens.delete(name);
  }

  /** Replaces the token's secret; the new value is in this response only. */
  @Post(':name/rotate')
  @HttpCode(200)
  @Authenticated({ admin: true })
  rotate(@Param('name') name: string): Promise<TokenSecretDto> {
    return this.tokens.rotate(name);
  }
}
