export { OAuthModule } from './oauth.module';
export { OAUTH_PUBLIC_PATHS, isOAuthPublicPath } from './oauth-public-paths';
export { AccessTokenVerifier, type AccessDecision, type AccessRequirements } from './tokens/access-token.verifier';
export { type AccessTokenClaims } from './tokens/jwt';
export { OAuthSigningKey } from './tokens/signing-key';
export { RevokedTokens, type RevokedJti } from './tokens/revoked-tokens';
export { ResourcePolicy } from './flow/resource-policy';
export { canonicalResource } from './protocol/resource';
export { authorizationServerMetadata } from './protocol/metadata';
