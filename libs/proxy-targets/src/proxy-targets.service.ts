import { Injectable } from '@nestjs/common';
import { CertificatesService } from '@app/certificates';
import { AppConfig, rateLimitProblems, type RateLimitRecord } from '@app/config';
import { Conflict, Invalid, NotFound } from '@app/http';
import { AuthContext } from '@app/tokens';
import { EventBus } from '@app/workflow';
import {
  CreateProxyTargetDto,
  ProxyTargetCreatedDto,
  ProxyTargetDeletedDto,
  ProxyTargetDto,
  ProxyTargetLifecycleDto,
  ProxyTargetRouteSettingsDto,
  ProxyTargetSettingsDto,
  UpdateProxyTargetDto,
} from './dto/proxy-target.dto';
import { normalizeHostname } from './hostname';
import { ProxyTargetRecord } from './proxy-target.record';
import { ProxyTargetsRepository } from './proxy-targets.repository';

/** Workflow events (lifecycle observers; the certificate order itself is `certificate.order_requested`). */
export const PROXY_CREATED = 'proxy.created';
export const PROXY_DELETED = 'proxy.deleted';

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Headers the proxy manages itself; a target cannot set them through custom headers. */
const RESERVED_HEADERS =
  /^(host|connection|keep-alive|proxy-connection|transfer-encoding|te|trailer|upgrade|content-length)$/i;

@Injectable()
export class ProxyTargetsService {
  constructor(
    private readonly repository: ProxyTargetsRepository,
    private readonly certificates: CertificatesService,
    private readonly config: AppConfig,
    private readonly bus: EventBus,
  ) {}

  /** Every target (dispatcher view). */
  all(): Promise<ProxyTargetRecord[]> {
    return this.repository.list();
  }

  async create(auth: AuthContext, input: CreateProxyTargetDto): Promise<ProxyTargetCreatedDto> {
    const hostname = normalizeHostname(input.hostname);
    if (!hostname)
      throw Invalid(
        `hostname "${input.hostname}" is not a DNS name: give a name such as api.example.com, without scheme, port or path`,
      );
    auth.assertMayClaim(this.config.reservedHostnames, [hostname]);
    checkHeaders(input);
    checkRateLimits(input.rate_limits);
    const record: ProxyTargetRecord = {
      hostname,
      target_url: input.target_url,
      owner: auth.tokenName,
      enabled: input.enabled ?? true,
      enable_http: input.enable_http ?? true,
      enable_https: input.enable_https ?? true,
      preserve_host_header: input.preserve_host_header ?? true,
      redirect_http_to_https: input.redirect_http_to_https ?? false,
      custom_headers: input.custom_headers ?? {},
      custom_response_headers: input.custom_response_headers ?? {},
      connect_timeout: input.connect_timeout ?? 10,
      read_timeout: input.read_timeout ?? 300,
      cert_email: input.cert_email,
      acme_directory_url: input.acme_directory_url,
      cert_name: null,
      route_mode: 'all',
      enabled_routes: [],
      disabled_routes: [],
      ...(input.rate_limits && input.rate_limits.length > 0 ? { rate_limits: input.rate_limits } : {}),
      created_at: new Date().toISOString(),
    };
    if (!(await this.repository.create(record))) throw Conflict(`a proxy target for "${hostname}" already exists`);
    try {
      const certificate = await this.certificateFor(auth, record, input);
      if (!certificate) {
        await this.bus.publish(PROXY_CREATED, { hostname, cert_name: null });
        return { proxy_target: (await this.views([record]))[0], certificate_status: null, cert_name: null };
      }
      const saved = { ...record, cert_name: certificate.cert_name };
      await this.repository.replace(saved);
      await this.bus.publish(PROXY_CREATED, { hostname, cert_name: certificate.cert_name });
      return {
        proxy_target: (await this.views([saved]))[0],
        certificate_status: certificate.status,
        cert_name: certificate.cert_name,
      };
    } catch (error) {
      // A refused certificate (bad directory, not attachable, no encryption key) leaves no target behind.
      await this.repository.delete([hostname]);
      throw error;
    }
  }

  /**
   * The certificate a new target uses: the one named in `cert_name` (attach, checked for ownership
   * and coverage), else with HTTPS on and AUTO_CERTIFICATES, `proxy-<hostname>` (ordered in the
   * background when it does not exist yet); none for HTTP-only targets.
   */
  private async certificateFor(auth: AuthContext, record: ProxyTargetRecord, input: CreateProxyTargetDto) {
    if (input.cert_name) return this.certificates.checkAttachable(auth, input.cert_name, record.hostname);
    if (!record.enable_https || !this.config.autoCertificates) return null;
    return this.certificates.ensureForHostname(auth.tokenName, record.hostname, {
      email: input.cert_email,
      acme_directory_url: input.acme_directory_url,
    });
  }

  async list(auth: AuthContext): Promise<ProxyTargetDto[]> {
    return this.views((await this.repository.list()).filter((r) => auth.canAccess(r.owner)));
  }

  async show(auth: AuthContext, hostname: string): Promise<ProxyTargetDto> {
    return (await this.views([await this.require(auth, hostname)]))[0];
  }

  /** API answers: the records with their lifecycle state, derived from their certificates. */
  private async views(records: ProxyTargetRecord[]): Promise<ProxyTargetDto[]> {
    const certificates = await this.certificates.findMany(records.flatMap((r) => (r.cert_name ? [r.cert_name] : [])));
    return records.map((record) => {
      const dto = toDto(record);
      dto.lifecycle = lifecycleOf(record, record.cert_name ? certificates.get(record.cert_name) : undefined);
      return dto;
    });
  }

  /** The stored record, after the ownership check (for modules that extend a target). */
  async require(auth: AuthContext, hostname: string): Promise<ProxyTargetRecord> {
    const normalized = normalizeHostname(hostname) ?? hostname;
    const record = await this.repository.find(normalized);
    if (!record) throw NotFound(`proxy target "${hostname}"`);
    auth.assertOwner(record.owner, `proxy target "${normalized}"`);
    return record;
  }

  async update(auth: AuthContext, hostname: string, input: UpdateProxyTargetDto): Promise<ProxyTargetDto> {
    const previous = await this.require(auth, hostname);
    // A target stored before its name became reserved (or before this check) stays the admin's to change.
    auth.assertMayClaim(this.config.reservedHostnames, [previous.hostname]);
    checkHeaders(input);
    checkRateLimits(input.rate_limits);
    if (input.cert_name) await this.certificates.checkAttachable(auth, input.cert_name, previous.hostname);
    const next: ProxyTargetRecord = { ...previous, updated_at: new Date().toISOString() };
    for (const [key, value] of Object.entries(input) as [keyof UpdateProxyTargetDto, unknown][]) {
      if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
    }
    await this.repository.replace(next);
    return (await this.views([next]))[0];
  }

  async delete(auth: AuthContext, hostname: string, deleteCertificate = false): Promise<ProxyTargetDeletedDto> {
    const record = await this.require(auth, hostname);
    await this.repository.delete([record.hostname]);
    const certificateDeleted = deleteCertificate
      ? await this.certificates.deleteForHostname(record.owner, record.hostname)
      : false;
    await this.publishDeleted(record, certificateDeleted);
    return { hostname: record.hostname, deleted: true, certificate_deleted: certificateDeleted };
  }

  /**
   * `proxy.deleted` carries what the other modules need to clean up after the target (the
   * `proxy-cleanup` group in @app/protection): its creation time and its opaque auth configuration.
   */
  async publishDeleted(record: ProxyTargetRecord, certificateDeleted: boolean): Promise<void> {
    await this.bus.publish(PROXY_DELETED, {
      hostname: record.hostname,
      cert_name: record.cert_name ?? null,
      certificate_deleted: certificateDeleted,
      created_at: record.created_at,
      auth: record.auth ?? null,
    });
  }

  routeSettings(record: ProxyTargetRecord): ProxyTargetRouteSettingsDto {
    return {
      route_mode: record.route_mode,
      enabled_routes: record.enabled_routes,
      disabled_routes: record.disabled_routes,
    };
  }

  /** The target's rate limits (`[]`: none). */
  async rateLimits(auth: AuthContext, hostname: string): Promise<RateLimitRecord[]> {
    return (await this.require(auth, hostname)).rate_limits ?? [];
  }

  /** Replaces the target's rate limits (`[]` removes them); every replica applies them within a second. */
  async setRateLimits(auth: AuthContext, hostname: string, limits: unknown): Promise<RateLimitRecord[]> {
    checkRateLimits(limits);
    const record = await this.require(auth, hostname);
    auth.assertMayClaim(this.config.reservedHostnames, [record.hostname]);
    const next: ProxyTargetRecord = { ...record };
    if ((limits as RateLimitRecord[]).length > 0) next.rate_limits = limits as RateLimitRecord[];
    else delete next.rate_limits;
    await this.save(next);
    return next.rate_limits ?? [];
  }

  /** Saves a changed copy of a record obtained through `require` (used by sub-resources such as /routes). */
  async save(record: ProxyTargetRecord): Promise<void> {
    await this.repository.replace({ ...record, updated_at: new Date().toISOString() });
  }
}

function checkHeaders(input: ProxyTargetSettingsDto): void {
  for (const field of ['custom_headers', 'custom_response_headers'] as const) {
    for (const [name, value] of Object.entries(input[field] ?? {})) {
      if (!HEADER_NAME.test(name)) throw Invalid(`${field}: "${name}" is not a valid header name`);
      if (RESERVED_HEADERS.test(name)) throw Invalid(`${field}: "${name}" is managed by the proxy and cannot be set`);
      if (typeof value !== 'string' || /[\r\n\0]/.test(value))
        throw Invalid(`${field}.${name} must be a string without line breaks`);
    }
  }
}

/** Limits that rateLimitProblems accepts, or a 400 naming every problem. */
function checkRateLimits(limits: unknown): void {
  if (limits === undefined) return;
  const problems = rateLimitProblems(limits, 'rate_limits');
  if (problems.length > 0) throw Invalid(problems.join('; '));
}

/** The lifecycle state of a target from its certificate (absent: none named, or deleted). */
export function lifecycleOf(
  record: ProxyTargetRecord,
  certificate?: { status: string; error: string | null; has_certificate: boolean },
): ProxyTargetLifecycleDto {
  if (!record.enable_https || !record.cert_name) return { state: 'http_only', reason: null };
  if (!certificate) return { state: 'http_only', reason: `certificate "${record.cert_name}" does not exist` };
  if (certificate.has_certificate) return { state: 'ready', reason: null }; // renewing or failed renewals still serve
  if (certificate.status === 'failed')
    return { state: 'failed', reason: certificate.error ?? 'the certificate order failed' };
  return { state: 'pending', reason: null };
}

export function toDto(r: ProxyTargetRecord): ProxyTargetDto {
  return {
    hostname: r.hostname,
    target_url: r.target_url,
    owner: r.owner,
    enabled: r.enabled,
    enable_http: r.enable_http,
    enable_https: r.enable_https,
    preserve_host_header: r.preserve_host_header,
    redirect_http_to_https: r.redirect_http_to_https,
    custom_headers: r.custom_headers,
    custom_response_headers: r.custom_response_headers,
    connect_timeout: r.connect_timeout,
    read_timeout: r.read_timeout,
    cert_name: r.cert_name ?? null,
    route_mode: r.route_mode,
    enabled_routes: r.enabled_routes,
    disabled_routes: r.disabled_routes,
    created_at: r.created_at,
    updated_at: r.updated_at ?? null,
    // A stored slot turns protection on unless it says enabled: false (an unreadable one refuses every request).
    protected: !!r.auth && r.auth.enabled !== false,
    rate_limits: r.rate_limits ?? [],
    lifecycle: lifecycleOf(r),
  };
}
