import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { ADMIN_TOKEN_NAME } from './auth-context';
import { TokensRepository } from './tokens.repository';

/** The e-mail a token's certificates are ordered with (for the certificates module). */
@Injectable()
export class TokenEmails {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly config: AppConfig,
  ) {}

  /** The token's own `cert_email`, else ADMIN_EMAIL. */
  async certificateEmail(tokenName: string): Promise<string | undefined> {
    if (tokenName !== ADMIN_TOKEN_NAME) {
      const record = await this.tokens.findByName(tokenName);
      if (record?.cert_email) return record.cert_email;
    }
    return this.config.adminEmail;
  }
}
