import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsISO8601, IsOptional, IsString, Min } from 'class-validator';

export const CERTIFICATE_STATUSES = ['pending', 'active', 'failed', 'renewing'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * A certificate as stored at `certificate:<name>`. The chain is public; the private key is only
 * ever stored sealed (AES-256-GCM, see @app/crypto) with the record key as associated data.
 */
export class CertificateRecord {
  @IsString()
  name!: string;

  /** Owning token name (ADMIN for the admin token). */
  @IsString()
  owner!: string;

  @IsString({ each: true })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  domains!: string[];

  @IsOptional()
  @IsString()
  email?: string;

  @IsString()
  acme_directory_url!: string;

  @IsIn(CERTIFICATE_STATUSES)
  status!: CertificateStatus;

  @IsISO8601()
  created_at!: string;

  @IsISO8601()
  updated_at!: string;

  /** Reason of the last failed order (issuance or renewal); cleared by a successful one. */
  @IsOptional()
  @IsString()
  error?: string;

  @IsOptional()
  @IsISO8601()
  error_at?: string;

  @IsOptional()
  @IsISO8601()
  issued_at?: string;

  @IsOptional()
  @IsISO8601()
  expires_at?: string;

  @IsOptional()
  @IsString()
  fingerprint?: string;

  @IsOptional()
  @IsString()
  issuer?: string;

  @IsOptional()
  @IsString()
  serial_number?: string;

  /** PEM chain (leaf first). */
  @IsOptional()
  @IsString()
  certificate_pem?: string;

  /** The private key, sealed by StorageCrypto; never stored in clear. */
  @IsOptional()
  @IsString()
  private_key_sealed?: string;

  /** Consecutive failed renewals (drives the retry backoff). */
  @IsInt()
  @Min(0)
  renewal_failures: number = 0;

  @IsOptional()
  @IsISO8601()
  next_renewal_attempt_at?: string;
}

/** An ACME account per (directory URL, e-mail), at `acme-account:<sha256>`. */
export class AcmeAccountRecord {
  @IsString()
  directory_url!: string;

  @IsString()
  email!: string;

  @IsString()
  account_key_sealed!: string;

  @IsOptional()
  @IsString()
  account_url?: string;

  @IsISO8601()
  created_at!: string;
}
