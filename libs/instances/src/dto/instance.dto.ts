import { IsOptional, IsString, IsUrl, Matches, MaxLength } from 'class-validator';

export const INSTANCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class CreateInstanceDto {
  /** Unique name: lower-case letters, digits, `_ . -`, at most 64 characters. `api` is the admin API itself. */
  @Matches(INSTANCE_NAME_PATTERN, {
    message: 'name must be 1-64 lower-case letters, digits, _ . - starting with a letter or digit',
  })
  name!: string;

  /** Where requests go, e.g. `http://10.0.0.5:8080` (http or https). */
  @IsUrl(URL_OPTIONS, { message: 'target_url must be an http:// or https:// URL, e.g. http://10.0.0.5:8080' })
  target_url!: string;

  @IsOptional()
  @IsString()
  @MaxLength(500, { message: 'description must be at most 500 characters' })
  description?: string;
}

export class UpdateInstanceDto {
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'target_url must be an http:// or https:// URL, e.g. http://10.0.0.5:8080' })
  target_url?: string;

  @IsOptional()
  @IsString()
  @MaxLength(500, { message: 'description must be at most 500 characters' })
  description?: string;
}

export class InstanceDto {
  name!: string;
  target_url!: string;
  description!: string;
  /** Token that registered it; `ADMIN` for the built-in `api` instance. */
  owner!: string;
  /** True for the built-in `api` instance (the admin API), which cannot be changed. */
  builtin!: boolean;
  created_at!: string | null;
  updated_at!: string | null;
}

export class InstanceDeletedDto {
  name!: string;
  deleted!: boolean;
}
