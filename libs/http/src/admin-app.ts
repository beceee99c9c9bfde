import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@app/config';
import { ApiExceptionFilter } from './api-exception.filter';
import { limitJsonBodies } from './json-body-limits';
import { PROTOCOL_ERROR_FORMATS, type ProtocolErrorFormat } from './protocol-errors';
import { closeAfterEarlyAnswer } from './lingering-close';
import { createValidationPipe } from './validation';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Accept a caller's X-Request-Id when it is harmless, so ids can be followed across proxies. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  // pino-http reads req.id, so log lines and the error body carry the same id.
  (req as IncomingMessage & { id?: string }).id = id;
  return id;
}

/**
 * Builds the admin API application (Nest on Fastify) with the whole request pipeline: request ids,
 * body limit, JSON shape limits, validation, one error shape, trailing-slash tolerance, pino logging and Swagger.
 */
export async function createAdminApp(rootModule: unknown, config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.apiBodyLimit,
    genReqId: requestId,
    requestIdHeader: false,
    // Collection URLs answer with and without a trailing slash, never through a redirect.
    routerOptions: { ignoreTrailingSlash: true },
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ApiExceptionFilter(protocolErrorFormats(app)));

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  limitJsonBodies(fastify);
  // Fastify answers 413 (and other body errors) with Connection: close before reading the body: let
  // the client read that answer (a bounded lingering close) instead of being reset mid-upload.
  const drain = config.earlyResponseDrain;
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.getHeader('connection') === 'close') closeAfterEarlyAnswer(request.raw, reply.raw, drain);
    done(null, payload);
  });

  setupApiDocs(app, config);
  return app;
}

/** The protocol error formats the composing module provides (PROTOCOL_ERROR_FORMATS), if any. */
function protocolErrorFormats(app: INestApplication): readonly ProtocolErrorFormat[] {
  try {
    return app.get<readonly ProtocolErrorFormat[]>(PROTOCOL_ERROR_FORMATS, { strict: false });
  } catch {
    return []; // not provided: the admin API's error shape everywhere
  }
}

/** Swagger UI at /docs and the OpenAPI document at /openapi.json, both public. */
export function setupApiDocs(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('MCP HTTPS proxy admin API')
      .setDescription(
        'Proxy targets, routes, certificates, OAuth and more. Every route needs a bearer API token unless marked otherwise.',
      )
      .setVersion(config.version)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (acm_...) or ADMIN_TOKEN' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'Proxy admin API',
  });
}
