import { Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '@app/config';
import { clientAddressOf } from '@app/http/client-address';
import { redactSecrets, redactText } from './redact';

/** Structured logs on stdout (pino), request id on every line, secrets redacted at any depth. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          // The request id comes from Fastify's genReqId, which stores it on the raw request.
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? '',
          customProps: () => ({ context: 'HTTP' }),
          quietReqLogger: false,
          serializers: {
            req: (req: {
              id: string;
              method: string;
              url: string;
              headers?: Record<string, unknown>;
              remoteAddress?: string;
              raw?: IncomingMessage;
            }) => ({
              id: req.id,
              method: req.method,
              url: redactText(
                req.url.replace(/([?&](?:code|token|access_token|refresh_token|state)=)[^&]*/gi, '$1[redacted]'),
              ),
              // The trusted address (PROXY header source), not the balancer's.
              remoteAddress: req.raw?.socket ? clientAddressOf(req.raw.socket) : req.remoteAddress,
              headers: redactSecrets(req.headers),
            }),
            res: (res: ServerResponse & { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
          formatters: {
            log: (object: Record<string, unknown>) => redactSecrets(object),
          },
          hooks: {
            logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
              method.apply(
                this,
                args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)),
              );
            },
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
