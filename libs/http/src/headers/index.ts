export { bearerCredentials, bearerToken, isB64Token, uncheckedBearerToken, type BearerCredentials } from './bearer';
export { hasCookie, readCookie, withoutCookie } from './cookies';
export { listElements } from './lists';
