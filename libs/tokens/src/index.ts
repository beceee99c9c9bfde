export { ADMIN_TOKEN_NAME, AuthContext } from './auth-context';
export {
  Auth,
  Authenticated,
  AUTHENTICATED_ROUTE,
  Public,
  PUBLIC_ROUTE,
  type AuthenticatedOptions,
} from './auth.decorators';
export { generateApiToken, hashApiToken, secretsEqual, TOKEN_PREFIX } from './token-secrets';
export { OWNED_RESOURCE_KINDS, TokenDeletionCascade, type OwnedResourceKind } from './token-deletion-cascade';
export { TokenEmails } from './token-emails';
export { TokensModule } from './tokens.module';
export { TokensService } from './tokens.service';
