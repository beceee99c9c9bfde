import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DomainError } from '@app/http';
import { SecretBox } from './secret-box';

/** The SecretBox keyed by STORAGE_ENCRYPTION_KEY; refuses to store secrets when it is unset. */
@Injectable()
export class StorageCrypto {
  private readonly box?: SecretBox;

  constructor(config: AppConfig) {
    const key = config.storageEncryptionKey;
    if (key) this.box = new SecretBox(key);
  }

  get configured(): boolean {
    return this.box !== undefined;
  }

  seal(plaintext: string, context: string): string {
    return this.require().seal(plaintext, context);
  }

  open(sealed: string, context: string): string {
    return this.require().open(sealed, context);
  }

  /** Throws the "set STORAGE_ENCRYPTION_KEY" error (503) when secrets cannot be stored. */
  assertConfigured(): void {
    this.require();
  }

  private require(): SecretBox {
    if (!this.box) {
      throw new DomainError(
        'unavailable',
        'STORAGE_ENCRYPTION_KEY is not set: private keys cannot be stored; set it to 32 random bytes in base64 (openssl rand -base64 32)',
      );
    }
    return this.box;
  }
}
