import { Module } from '@nestjs/common';
import { OAuthSigningKey } from './signing-key';

/** The one signing key, for the OAuth module and for the JwtModule options built from it. */
@Module({ providers: [OAuthSigningKey], exports: [OAuthSigningKey] })
export class SigningKeyModule {}
