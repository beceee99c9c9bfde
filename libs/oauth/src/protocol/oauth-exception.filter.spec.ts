import {
  ArgumentsHost,
  BadGatewayException,
  ConflictException,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { OAUTH_PROTOCOL_ERRORS, OAuthExceptionFilter } from './oauth-exception.filter';
import { OAuthError } from './oauth-error';

/** The reply as the filter leaves it: status and body (the HTTP layer is Fastify's, not under test). */
function answerTo(exception: unknown): { status: number; body: unknown } {
  const answer = { status: 0, body: undefined as unknown };
  const reply = {
    headers: () => reply,
    header: () => reply,
    status: (status: number) => ((answer.status = status), reply),
    send: (body: unknown) => ((answer.body = body), reply),
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1' }) }),
  } as unknown as ArgumentsHost;
  new OAuthExceptionFilter().catch(exception, host);
  return answer;
}

describe('OAuth protocol errors for failures that are not OAuthErrors', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('a client error is invalid_request with its own status; 503 is temporarily_unavailable; any other 5xx is server_error 500', () => {
    expect(answerTo(new ConflictException('taken'))).toEqual({
      status: 409,
      body: { error: 'invalid_request', error_description: 'taken' },
    });
    expect(answerTo(Object.assign(new Error('too big'), { statusCode: 413 }))).toMatchObject({
      status: 413,
      body: { error: 'invalid_request' },
    });
    expect(answerTo(new ServiceUnavailableException('later'))).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'later' },
    });
    expect(answerTo(new BadGatewayException('upstream'))).toEqual({
      status: 500,
      body: { error: 'server_error', error_description: 'upstream' },
    });
    expect(answerTo(new Error('boom'))).toMatchObject({ status: 500, body: { error: 'server_error' } });
  });

  it('an OAuthError is answered as it is', () => {
    expect(answerTo(new OAuthError('invalid_grant', 'the code was used'))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the code was used' },
    });
  });

  it('before a controller runs, the same status maps to the same code', () => {
    const codeOf = (status: number) => OAUTH_PROTOCOL_ERRORS.format(status, 'm').body;
    expect(codeOf(400)).toEqual({ error: 'invalid_request', error_description: 'm' });
    expect(codeOf(413)).toEqual({ error: 'invalid_request', error_description: 'm' });
    expect(codeOf(500)).toEqual({ error: 'server_error', error_description: 'm' });
    expect(codeOf(502)).toEqual({ error: 'server_error', error_description: 'm' });
    expect(codeOf(503)).toEqual({ error: 'temporarily_unavailable', error_description: 'm' });
  });
});
