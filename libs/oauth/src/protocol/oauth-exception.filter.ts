import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProtocolErrorFormat, toErrorResponse } from '@app/http';
import { isOAuthPublicPath } from '../oauth-public-paths';
import { OAuthError, OAuthErrorCode } from './oauth-error';
import { CORS_HEADERS, NO_STORE } from './http-headers';

/** The RFC 6749 code for a failure that is not an OAuthError, after its HTTP status. */
function errorCodeFor(status: number): OAuthErrorCode {
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}

/**
 * OAuth protocol endpoints answer RFC 6749 errors: `{ error, error_description }` at the top level,
 * `Cache-Control: no-store`, CORS headers (browser-based clients read the error).
 */
@Catch()
export class OAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuthExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    let error: OAuthError;
    if (exception instanceof OAuthError) error = exception;
    else if (exception instanceof HttpException && exception.getStatus() < 500)
      error = new OAuthError('invalid_request', toErrorResponse(exception).message, exception.getStatus());
    else {
      const { status, message } = toErrorResponse(exception);
      if (status >= 500) this.logger.error({ err: exception, requestId: request.id }, 'OAuth request failed');
      // A client error keeps its status; a server failure answers the code's own (500, or 503).
      error = new OAuthError(errorCodeFor(status), message, status < 500 ? status : undefined);
    }
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    if (error.error === 'invalid_client' && error.status === 401)
      void reply.header('www-authenticate', 'Basic realm="oauth"');
    if (error.error === 'invalid_token')
      void reply.header(
        'www-authenticate',
        `Bearer error="invalid_token", error_description="${error.description.replace(/"/g, "'")}"`,
      );
    void reply.status(error.status).header('content-type', 'application/json; charset=utf-8').send(error.toBody());
  }
}

/** The same shape for failures before a controller runs (malformed JSON, body too large). */
export const OAUTH_PROTOCOL_ERRORS: ProtocolErrorFormat = {
  matches: (path) => isOAuthPublicPath(path),
  format: (status, message) => {
    return {
      body: { error: errorCodeFor(status), error_description: message },
      headers: { ...NO_STORE, ...CORS_HEADERS },
    };
  },
};
