import { IsISO8601, IsOptional, IsString, Matches } from 'class-validator';

/** A stored API token. The secret itself is never stored, only its SHA-256. */
export class TokenRecord {
  @IsString()
  name!: string;

  @Matches(/^[0-9a-f]{64}$/)
  token_hash!: string;

  @IsOptional()
  @IsString()
  cert_email?: string;

  @IsISO8601()
  created_at!: string;

  @IsOptional()
  @IsISO8601()
  rotated_at?: string;
}
