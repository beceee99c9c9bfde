import { IsISO8601, IsOptional, IsString, IsUrl } from 'class-validator';

/** A named backend (`name → url`) that routes can target by name. */
export class InstanceRecord {
  @IsString()
  name!: string;

  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  target_url!: string;

  @IsString()
  description!: string;

  /** Name of the API token that registered it. */
  @IsString()
  owner!: string;

  @IsISO8601()
  created_at!: string;

  @IsOptional()
  @IsISO8601()
  updated_at?: string;
}
