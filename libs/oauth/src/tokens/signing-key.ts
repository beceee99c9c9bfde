import { Injectable, Logger } from '@nestjs/common';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { AppConfig } from '@app/config';

export interface PublicJwk extends JsonWebKey {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

/** RFC 7638 thumbprint of an RSA public key: the `kid`, derived from the key itself. */
export function rsaThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The RS256 signing key from OAUTH_JWT_PRIVATE_KEY_B64. Without it, a throw-away key is generated
 * at boot (tokens then do not survive a restart nor verify on other replicas): fine for a quick try,
 * never for a deployment, hence the warning.
 */
@Injectable()
export class OAuthSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
  readonly jwk: PublicJwk;

  constructor(config: AppConfig) {
    const pem = config.oauth.privateKeyPem;
    if (pem) {
      this.privateKey = createPrivateKey(pem);
    } else {
      new Logger(OAuthSigningKey.name).warn(
        'OAUTH_JWT_PRIVATE_KEY_B64 is not set: signing access tokens with a throw-away key (set it for restarts and replicas)',
      );
      this.privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    }
    this.publicKey = createPublicKey(this.privateKey);
    this.kid = rsaThumbprint(this.publicKey);
    const { n, e } = this.publicKey.export({ format: 'jwk' });
    this.jwk = { kty: 'RSA', n: n!, e: e!, kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  /** The public key a token's `kid` names: ours, or none (there is one key; no rotation). */
  publicKeyFor(kid: unknown): KeyObject | undefined {
    return kid === this.kid ? this.publicKey : undefined;
  }
}
