export { bearerCredentials, bearerToken, isB64Token, uncheckedBearerToken, type BearerCredentials } from './bearer';
export { readCookie, withoutCookie } from './cookies';
export { listElements } from './lists';
