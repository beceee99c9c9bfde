import { Injectable, Logger } from '@nestjs/common';
import * as acme from 'acme-client';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { AppConfig } from '@app/config';
import { StorageCrypto } from '@app/crypto';
import { CertificatesRepository } from './certificates.repository';

/** What a successful order gives back. */
export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  issuedAt: string;
  expiresAt: string;
  fingerprint: string;
  issuer: string;
  serialNumber: string;
}

export interface OrderRequest {
  directoryUrl: string;
  email?: string;
  domains: string[];
}

/** acme-client settings: its axios instance is shared by the whole process. */
interface AcmeAxiosSettings {
  retryMaxAttempts: number;
  retryDefaultDelay: number;
}

/**
 * Talks ACME (RFC 8555) through acme-client: accounts per (directory, e-mail) kept in Redis with
 * sealed keys, HTTP-01 challenges published to Redis (any replica answers them), keys and CSRs made
 * in memory. Nothing touches the file system except reading ACME_CA_BUNDLE once at start.
 */
@Injectable()
export class AcmeIssuer {
  private readonly logger = new Logger(AcmeIssuer.name);

  constructor(
    private readonly config: AppConfig,
    private readonly repository: CertificatesRepository,
    private readonly crypto: StorageCrypto,
  ) {
    const { caBundlePath } = config.acme;
    // Requests fail fast instead of hanging: an unreachable CA becomes a failed order within seconds.
    acme.axios.defaults.timeout = 20_000;
    const settings = (acme.axios.defaults as unknown as { acmeSettings: AcmeAxiosSettings }).acmeSettings;
    settings.retryMaxAttempts = 2;
    settings.retryDefaultDelay = 1;
    if (caBundlePath) {
      const bundle = readFileSync(caBundlePath, 'utf8');
      acme.axios.defaults.httpsAgent = new Agent({ ca: [...rootCertificates, bundle], keepAlive: true });
    }
  }

  async order(request: OrderRequest): Promise<IssuedCertificate> {
    try {
      return await this.placeOrder(request);
    } catch (error) {
      // acme-client hides network failures once its retries are spent (a TypeError about
      // `config`); probing the directory once gives the real reason (refused, timeout, TLS...).
      const unreachable = await this.probe(request.directoryUrl);
      throw unreachable ?? error;
    }
  }

  /** Null when the directory answers at all; else the network error (with its code). */
  private probe(directoryUrl: string): Promise<Error | null> {
    return new Promise((resolve) => {
      const agent = acme.axios.defaults.httpsAgent as Agent | undefined;
      const req = httpsRequest(directoryUrl, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        resolve(null);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })));
      req.on('error', (error) => resolve(error));
      req.end();
    });
  }

  private async placeOrder(request: OrderRequest): Promise<IssuedCertificate> {
    const client = await this.client(request.directoryUrl, request.email);
    const certificateKey = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr(
      { commonName: request.domains[0], altNames: request.domains },
      certificateKey,
    );
    await this.register(client, request.email);
    const chain = await client.auto({
      csr,
      email: request.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      skipChallengeVerification: this.config.acme.skipChallengeVerification,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unsupported challenge type ${challenge.type}`);
        await this.repository.putChallenge(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await this.repository.deleteChallenge(challenge.token);
      },
    });
    await this.rememberAccountUrl(client, request.directoryUrl, request.email);
    const leaf = new X509Certificate(chain);
    return {
      certificatePem: chain,
      privateKeyPem: certificateKey.toString(),
      issuedAt: new Date(leaf.validFrom).toISOString(),
      expiresAt: new Date(leaf.validTo).toISOString(),
      fingerprint: leaf.fingerprint256,
      issuer: leaf.issuer.replace(/\n/g, ', '),
      serialNumber: leaf.serialNumber,
    };
  }

  /** An acme-client Client for the account of (directory, e-mail), creating the account key once. */
  private async client(directoryUrl: string, email = ''): Promise<acme.Client> {
    const context = this.repository.accountContext(directoryUrl, email);
    let account = await this.repository.findAccount(directoryUrl, email);
    if (!account) {
      const key = await acme.crypto.createPrivateEcdsaKey('P-256');
      account = await this.repository.createAccount({
        directory_url: directoryUrl,
        email,
        account_key_sealed: this.crypto.seal(key.toString(), context),
        created_at: new Date().toISOString(),
      });
      this.logger.log(`created ACME account key for ${email || '(no e-mail)'} at ${directoryUrl}`);
    }
    return new acme.Client({
      directoryUrl,
      accountKey: this.crypto.open(account.account_key_sealed, context),
      accountUrl: account.account_url,
      backoffAttempts: 10,
      backoffMin: 500,
      backoffMax: 5000,
    });
  }

  /**
   * Registers the account (or finds it) before ordering. A key the CA already knows (its URL not yet
   * stored, e.g. another replica's order still running) answers 200, and acme-client then sends an
   * account update that some CAs refuse as empty (Pebble: "Use POST-as-GET..."): by then the account
   * URL is known, which is all the order needs.
   */
  private async register(client: acme.Client, email?: string): Promise<void> {
    if (accountUrlOf(client)) return;
    try {
      await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
    } catch (error) {
      if (!accountUrlOf(client)) throw error;
    }
  }

  private async rememberAccountUrl(client: acme.Client, directoryUrl: string, email = ''): Promise<void> {
    const account = await this.repository.findAccount(directoryUrl, email);
    if (!account || account.account_url) return;
    try {
      await this.repository.saveAccount({ ...account, account_url: client.getAccountUrl() });
    } catch {
      // No URL known: the next order looks the account up again by its key.
    }
  }
}

function accountUrlOf(client: acme.Client): string | null {
  try {
    return client.getAccountUrl();
  } catch {
    return null; // acme-client throws until the account is registered or found
  }
}
