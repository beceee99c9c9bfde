import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { CERTIFICATE_STATUSES, type CertificateStatus } from '../certificate.record';

const toBool = ({ value }: { value: unknown }) => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
};
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export class CreateCertificateDto {
  /** The hostname to certify (exact name; HTTP-01 cannot validate wildcards). */
  @IsString({ message: 'domain must be a hostname such as app.example.com' })
  domain!: string;

  /** ACME account e-mail; defaults to the token's cert_email, then ADMIN_EMAIL. */
  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'email must be an e-mail address' })
  email?: string;

  /** Defaults to `proxy-<domain with dots as dashes>`. */
  @IsOptional()
  @IsString({ message: 'cert_name must be a string' })
  cert_name?: string;

  /** "production" (default), "staging", or the https:// URL of any ACME directory. */
  @IsOptional()
  @IsString({ message: 'acme_directory_url must be "production", "staging" or an https:// URL' })
  acme_directory_url?: string;
}

export class CreateMultiDomainCertificateDto {
  @IsString({ message: 'cert_name is required: the name of the certificate' })
  cert_name!: string;

  /** 1 to 100 distinct hostnames; the first is the subject's common name. */
  @IsArray({ message: 'domains must be an array of hostnames' })
  @ArrayMinSize(1, { message: 'domains must list at least one hostname' })
  @ArrayMaxSize(100, { message: 'domains must list at most 100 hostnames: split them over several certificates' })
  @IsString({ each: true, message: 'each entry of domains must be a hostname string' })
  domains!: string[];

  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'email must be an e-mail address' })
  email?: string;

  /** "production", "staging", or the https:// URL of any ACME directory. */
  @IsString({ message: 'acme_directory_url is required: "production", "staging" or an https:// URL' })
  acme_directory_url!: string;
}

export class ShowCertificateQueryDto {
  /** Admin only: include the private key (PEM) in the answer. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'include_private_key must be true or false' })
  include_private_key?: boolean;
}

export class CertificateStatusQueryDto {
  /** Wait up to this many seconds (max 120) for a pending or renewing order to finish. */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'wait must be a whole number of seconds' })
  @Min(0)
  @Max(120, { message: 'wait must be at most 120 seconds' })
  wait?: number;
}

export class RenewCertificateQueryDto {
  /** Renew even when the certificate is not yet within the renewal threshold. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'force must be true or false' })
  force?: boolean;
}

/** A certificate without key material. */
export class CertificateDto {
  cert_name!: string;
  domains!: string[];
  /** Token that owns it; `@system` for the server's own hostnames. */
  owner!: string;
  /** True for the certificates the server orders for its own hostnames (AUTH_HOSTNAME, ADMIN_HOSTNAME): not deletable. */
  system!: boolean;
  email!: string | null;
  acme_directory_url!: string;
  /** pending | active | failed | renewing */
  status!: CertificateStatus;
  /** Reason of the last failed order (also set while an older certificate keeps serving). */
  error!: string | null;
  error_at!: string | null;
  created_at!: string;
  updated_at!: string;
  issued_at!: string | null;
  expires_at!: string | null;
  /** SHA-256 fingerprint of the leaf certificate. */
  fingerprint!: string | null;
  issuer!: string | null;
  serial_number!: string | null;
  renewal_failures!: number;
  next_renewal_attempt_at!: string | null;
}

export class CertificateDetailDto extends CertificateDto {
  /** The served chain (PEM, leaf first). */
  certificate_pem!: string | null;
  /** Present only when the admin asks with include_private_key=true. */
  private_key_pem?: string | null;
}

export class CertificateStatusDto {
  cert_name!: string;
  status!: CertificateStatus;
  error!: string | null;
  expires_at!: string | null;
  fingerprint!: string | null;
  updated_at!: string;
  /** True when an order for this certificate is running on some replica. */
  order_running!: boolean;
}

export class CertificateDeletedDto {
  cert_name!: string;
  deleted!: boolean;
}

export { CERTIFICATE_STATUSES };
