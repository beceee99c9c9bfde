import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { OAuthAdminController } from './admin/oauth-admin.controller';
import { OAuthAdminService } from './admin/oauth-admin.service';
import { ClientMetadataDocuments } from './clients/client-metadata-documents';
import { ClientsRepository } from './clients/clients.repository';
import { ClientsService } from './clients/clients.service';
import { AuthorizationService } from './flow/authorization.service';
import { ConsentRepository } from './flow/consent.repository';
import { ConsentService } from './flow/consent.service';
import { FlowRepository } from './flow/flow.repository';
import { ResourcePolicy } from './flow/resource-policy';
import { GithubLogin } from './github/github-login';
import { GithubMemberships } from './github/github-memberships';
import { GithubTokenStore } from './github/github-token-store';
import { Memberships } from './github/memberships';
import { SignInAdmission } from './github/sign-in-admission';
import { OAuthAuthorizeController } from './protocol/authorize.controller';
import { OAuthIntrospectionController } from './protocol/introspect.controller';
import { OAuthMetadataController } from './protocol/metadata.controller';
import { OAuthRegistrationController } from './protocol/register.controller';
import { OAuthRevocationController } from './protocol/revoke.controller';
import { OAuthTokenController } from './protocol/token.controller';
import { AccessTokenVerifier } from './tokens/access-token.verifier';
import { GrantsRepository } from './tokens/grants.repository';
import { RevokedTokens } from './tokens/revoked-tokens';
import { AccessTokenJwt, accessTokenJwtOptions } from './tokens/jwt';
import { OAuthSigningKey } from './tokens/signing-key';
import { SigningKeyModule } from './tokens/signing-key.module';
import { TokenIssuer } from './tokens/token-issuer';
import { GrantExchange } from './tokens/grant-exchange';
import { GrantTokens } from './tokens/grant-tokens';
import { TokenIntrospection } from './tokens/token-introspection';
import { TokenRevocation } from './tokens/token-revocation';

/** The OAuth 2.1 authorization server (GitHub upstream), its admin API, and the token verifier. */
@Module({
  imports: [
    SigningKeyModule,
    JwtModule.registerAsync({
      imports: [SigningKeyModule],
      inject: [OAuthSigningKey],
      useFactory: accessTokenJwtOptions,
    }),
  ],
  controllers: [
    OAuthMetadataController,
    OAuthAuthorizeController,
    OAuthTokenController,
    OAuthRevocationController,
    OAuthIntrospectionController,
    OAuthRegistrationController,
    OAuthAdminController,
  ],
  providers: [
    AccessTokenJwt,
    RevokedTokens,
    AccessTokenVerifier,
    TokenIssuer,
    GrantsRepository,
    TokenRevocation,
    GrantExchange,
    TokenIntrospection,
    ClientsRepository,
    ClientMetadataDocuments,
    ClientsService,
    FlowRepository,
    ConsentRepository,
    ConsentService,
    ResourcePolicy,
    GithubLogin,
    GithubMemberships,
    GithubTokenStore,
    Memberships,
    SignInAdmission,
    GrantTokens,
    AuthorizationService,
    OAuthAdminService,
  ],
  exports: [AccessTokenVerifier, SigningKeyModule, ResourcePolicy, TokenIssuer, ClientsService, GrantExchange],
})
export class OAuthModule {}
