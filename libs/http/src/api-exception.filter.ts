import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CorruptRecordError } from '@app/redis';
import { DomainError, DomainErrorCode } from './domain-error';
import { errorBody } from './error-body';
import { protocolErrorFormatFor, type ProtocolErrorFormat } from './protocol-errors';

const STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** ioredis errors that mean "Redis is not reachable right now" rather than a bug. */
function isRedisUnavailable(error: Error): boolean {
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|ECONNREFUSED|Stream isn't writeable|enableOfflineQueue|ETIMEDOUT|CLUSTERDOWN|READONLY/.test(
      error.message,
    )
  );
}

/** Maps any failure to `{ statusCode, error, message, requestId }`; 5xx details go to the log only. */
export function toErrorResponse(exception: unknown): {
  status: number;
  message: string;
  headers?: Record<string, string>;
} {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const m = (response as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    const headers = (exception as HttpException & { headers?: Record<string, string> }).headers;
    return { status: exception.getStatus(), message, headers };
  }
  if (exception instanceof DomainError) return { status: STATUS_BY_CODE[exception.code], message: exception.message };
  if (exception instanceof CorruptRecordError) return { status: 500, message: exception.message };
  const error = exception as Error & { statusCode?: number; code?: string };
  if (typeof error?.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own errors (malformed JSON, body too large, unsupported media type).
    return { status: error.statusCode, message: describeFastifyError(error) };
  }
  if (error instanceof Error && isRedisUnavailable(error)) {
    return { status: 503, message: 'the configuration store (Redis) is unreachable; try again shortly' };
  }
  return { status: 500, message: 'internal error; the request id identifies it in the server log' };
}

function describeFastifyError(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return `request body is not valid JSON: ${error.message}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty but Content-Type is application/json; send a JSON body or no Content-Type';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is larger than the server accepts';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `${error.message}; send application/json`;
    case undefined:
    default:
      return error.message;
  }
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(private readonly protocolFormats: readonly ProtocolErrorFormat[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, message, headers } = toErrorResponse(exception);
    if (status >= 500) this.logger.error({ err: exception, requestId: request.id }, 'request failed');
    const protocol = protocolErrorFormatFor(this.protocolFormats, request.url);
    if (protocol) {
      const formatted = protocol.format(status, message);
      void reply
        .status(status)
        .headers(formatted.headers)
        .header('content-type', 'application/json; charset=utf-8')
        .send(formatted.body);
      return;
    }
    if (headers) void reply.headers(headers);
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(status, message, request.id));
  }
}
