export { ApiExceptionFilter, toErrorResponse } from './api-exception.filter';
export { Conflict, DomainError, Forbidden, Invalid, NotFound, type DomainErrorCode } from './domain-error';
export { errorBody, type ApiErrorBody } from './error-body';
export { createValidationPipe, describeValidationErrors } from './validation';
export { createAdminApp, setupApiDocs } from './admin-app';
export { PROTOCOL_ERROR_FORMATS, protocolErrorFormatFor, type ProtocolErrorFormat } from './protocol-errors';
export { canonicalPath, isPlainPath, isRefusal, type PathRefusal } from './canonical-path';
export {
  clientAddressOf,
  clientAddressOfRequest,
  plainAddress,
  proxiedAddressOf,
  tagClientAddress,
  tagRequestClientAddress,
} from './client-address';
export { addressSubject, IPV6_PREFIX_BITS } from './address-subject';
export { closeAfterEarlyAnswer, isLingering, type DrainLimits } from './lingering-close';
export {
  bearerCredentials,
  bearerToken,
  hasCookie,
  isB64Token,
  listElements,
  readCookie,
  uncheckedBearerToken,
  withoutCookie,
  type BearerCredentials,
} from './headers';
