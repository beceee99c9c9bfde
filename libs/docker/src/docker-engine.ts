import { Injectable } from '@nestjs/common';
import Docker from 'dockerode';
import { AppConfig } from '@app/config';
import { DomainError, Invalid, NotFound } from '@app/http';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const PING_TIMEOUT_MS = 3000;

/**
 * The Docker Engine client (dockerode) for DOCKER_HOST / DOCKER_SOCKET_PATH. Creating it never
 * connects, so the server starts without Docker; calls through `call()` turn "engine unreachable"
 * into a 503 naming the address and the reason, and engine answers into domain errors.
 */
@Injectable()
export class DockerEngine {
  readonly docker: Docker;
  readonly address: string;

  constructor(config: AppConfig) {
    const endpoint = config.docker;
    this.address = endpoint.display;
    this.docker =
      endpoint.kind === 'socket'
        ? new Docker({ socketPath: endpoint.socketPath })
        : new Docker({ protocol: endpoint.protocol, host: endpoint.host, port: endpoint.port });
  }

  /** Fails fast (503) when the engine does not answer a ping within a few seconds. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.docker.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error(`no answer within ${PING_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })),
            PING_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      throw this.translate(error, 'the Docker Engine');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs an engine call; `what` names the object for 404s ("container of service web"). */
  async call<T>(what: string, fn: (docker: Docker) => Promise<T>): Promise<T> {
    try {
      return await fn(this.docker);
    } catch (error) {
      throw this.translate(error, what);
    }
  }

  /** Like call(), but a 404 from the engine gives null. */
  async maybe<T>(what: string, fn: (docker: Docker) => Promise<T>): Promise<T | null> {
    try {
      return await fn(this.docker);
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.translate(error, what);
    }
  }

  translate(error: unknown, what: string): Error {
    if (error instanceof DomainError) return error;
    const e = error as Error & {
      code?: string;
      statusCode?: number;
      json?: { message?: string } | null;
      reason?: string;
    };
    if (e.code && UNREACHABLE_CODES.has(e.code)) {
      return new DomainError('unavailable', `Docker Engine unreachable at ${this.address}: ${e.code} (${e.message})`);
    }
    if (/socket hang up/i.test(e.message ?? ''))
      return new DomainError('unavailable', `Docker Engine unreachable at ${this.address}: ${e.message}`);
    const detail = engineMessage(e);
    switch (e.statusCode) {
      case 400:
        return Invalid(`Docker Engine refused the request: ${detail}`);
      case 404:
        return NotFound(what);
      case 409:
        return new DomainError('conflict', `Docker Engine: ${detail}`);
      case undefined:
      default:
        return e instanceof Error ? e : new Error(String(error));
    }
  }
}

export function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

function engineMessage(error: { message?: string; json?: { message?: string } | null }): string {
  return error.json?.message ?? error.message ?? 'unknown error';
}
