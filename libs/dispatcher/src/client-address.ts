// The tag lives in @app/http so the Nest app (OAuth rate limits, logs) reads the same address.
export { clientAddressOf, proxiedAddressOf, tagClientAddress } from '@app/http/client-address';
