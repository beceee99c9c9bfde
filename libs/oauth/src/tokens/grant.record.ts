import { Type } from 'class-transformer';
import { IsArray, IsInt, IsObject, IsString, ValidateNested } from 'class-validator';
import { OAuthUser } from '../flow/flow.records';

/**
 * A grant ("session" in the admin API): what one authorization-code exchange started, with its
 * refresh-token family and the access tokens issued from it (`oauth:grant:<family_id>`).
 */
export class GrantRecord {
  @IsString()
  family_id!: string;

  @IsString()
  client_id!: string;

  @ValidateNested()
  @Type(() => OAuthUser)
  user!: OAuthUser;

  @IsArray()
  @IsString({ each: true })
  scopes!: string[];

  @IsArray()
  @IsString({ each: true })
  resources!: string[];

  /** Epoch ms. */
  @IsInt()
  created_at!: number;

  @IsInt()
  refreshed_at!: number;

  /** Refresh-token hash → 0 (current) or epoch ms until which a rotated token still works. */
  @IsObject()
  active!: Record<string, number>;

  /** Access-token jti → exp (seconds); kept until they expire, to revoke them with the grant. */
  @IsObject()
  access!: Record<string, number>;
}
