import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** OAuth token endpoint outcomes, incremented by the OAuth module. */
@Injectable()
export class OAuthMetrics {
  private readonly issued: Counter<'grant_type'>;
  private readonly failures: Counter<'reason'>;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.issued = new Counter({
      name: 'oauth_tokens_issued_total',
      help: 'Access tokens issued, by grant type (authorization_code, refresh_token)',
      labelNames: ['grant_type'],
      registers,
    });
    this.failures = new Counter({
      name: 'oauth_token_failures_total',
      help: 'Refused token, authorize or callback requests, by RFC 6749 error code or reason (invalid_grant, invalid_client, pkce_mismatch, github_denied...)',
      labelNames: ['reason'],
      registers,
    });
  }

  tokenIssued(grantType: string): void {
    this.issued.inc({ grant_type: grantType });
  }

  tokenFailed(reason: string): void {
    this.failures.inc({ reason });
  }
}
