import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { SetTargetAuthDto } from './dto/set-target-auth.dto';
import { TargetAuthDeletedDto, TargetAuthDto } from './dto/target-auth.dto';
import { TargetAuthService } from './target-auth.service';

/** A proxy target's protection (`/api/v1/proxy/targets/{hostname}/auth`). */
@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets/:hostname')
export class TargetProtectionController {
  constructor(private readonly targetAuth: TargetAuthService) {}

  /** Turns OAuth protection on (or changes it); every replica applies it within a second. */
  @Post('auth')
  @HttpCode(200)
  @Authenticated()
  setAuth(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: SetTargetAuthDto,
  ): Promise<TargetAuthDto> {
    return this.targetAuth.setTargetAuth(auth, hostname, body);
  }

  @Get('auth')
  @Authenticated()
  showAuth(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<TargetAuthDto> {
    return this.targetAuth.targetAuth(auth, hostname);
  }

  /** Turns protection off. */
  @Delete('auth')
  @Authenticated()
  deleteAuth(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<TargetAuthDeletedDto> {
    return this.targetAuth.deleteTargetAuth(auth, hostname);
  }
}
