import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/**
 * Certificate expiry, fed by the certificates module: `setExpiry(name, notAfter)` when a
 * certificate is stored or loaded, `forget(name)` when deleted. The gauge is computed at scrape
 * time, so it counts down without further calls.
 */
@Injectable()
export class CertificateMetrics {
  private readonly notAfter = new Map<string, { domain: string; notAfterMs: number }>();

  constructor(metrics: MetricsRegistry) {
    const expiries = this.notAfter;
    new Gauge({
      name: 'proxy_certificate_expiry_seconds',
      help: 'Seconds until the certificate expires (negative once expired)',
      labelNames: ['certificate', 'domain'],
      // Every worker (WORKERS > 1) reports the same certificates: the soonest expiry, not a sum.
      aggregator: 'min',
      registers: [metrics.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const [certificate, { domain, notAfterMs }] of expiries)
          this.set({ certificate, domain }, Math.round((notAfterMs - now) / 1000));
      },
    });
  }

  /** `domain` is the certificate's first (primary) domain. */
  setExpiry(certificate: string, domain: string, notAfter: Date): void {
    this.notAfter.set(certificate, { domain, notAfterMs: notAfter.getTime() });
  }

  forget(certificate: string): void {
    this.notAfter.delete(certificate);
  }
}
