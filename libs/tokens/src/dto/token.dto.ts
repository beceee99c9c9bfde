import { IsEmail, IsOptional, Matches } from 'class-validator';

export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class CreateTokenDto {
  /** Unique name: letters, digits, `_ . -`, at most 64 characters. */
  @Matches(TOKEN_NAME_PATTERN, {
    message: 'name must be 1-64 characters of letters, digits, _ . - starting with a letter or digit',
  })
  name!: string;

  /** E-mail used for ACME certificates created with this token. */
  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'cert_email must be an e-mail address' })
  cert_email?: string;
}

export class UpdateTokenEmailDto {
  @IsEmail({ require_tld: false }, { message: 'cert_email must be an e-mail address' })
  cert_email!: string;
}

export class TokenDto {
  name!: string;
  cert_email!: string | null;
  created_at!: string;
  rotated_at!: string | null;
}

export class TokenWithOwnershipDto extends TokenDto {
  /** Resources owned by the token, by kind. */
  owned!: Record<string, number>;
}

/** Returned once, at creation or rotation: the only time the secret is visible. */
export class TokenSecretDto extends TokenDto {
  /** The token value (`acm_...`). Store it now: it is never shown again. */
  token!: string;
}

export class CallerDto {
  name!: string;
  is_admin!: boolean;
  cert_email!: string | null;
  created_at!: string | null;
}

export class TokenDeletedDto {
  name!: string;
  /** Resources deleted with the token, by kind. */
  deleted!: Record<string, number>;
}
