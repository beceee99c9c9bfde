import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Invalid } from '@app/http';
import { AuthContext } from '@app/tokens';
import { ServiceDto } from './dto/service.dto';
import { requireService } from './service-access';
import { ServiceContainers } from './service-containers';
import { lifecycle, ServiceLifecycle } from './service-lifecycle';
import { ServiceProxyPublisher } from './service-proxy.publisher';
import { serviceHostname, serviceTargetUrl } from './service.record';
import { describeService } from './service-view';
import { ServicesRepository } from './services.repository';

/** `POST /api/v1/services/{name}/proxy`: publishes a running service at `<name>.<BASE_DOMAIN>` on request. */
@Injectable()
export class ServiceProxies {
  constructor(
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly lifecycle: ServiceLifecycle,
    private readonly publisher: ServiceProxyPublisher,
    private readonly config: AppConfig,
  ) {}

  async publish(auth: AuthContext, name: string): Promise<ServiceDto> {
    const hostname = serviceHostname(name, this.config.baseDomain);
    auth.assertMayClaim(this.config.reservedHostnames, [hostname]);
    const record = await this.lifecycle.withLock(name, async () => {
      const record = await requireService(this.repository, auth, name);
      const target = serviceTargetUrl(record);
      if (!target)
        throw Invalid(
          `service "${name}" publishes no port for the proxy to reach; add one with POST /api/v1/services/${name}/ports`,
        );
      await this.publisher.publish(record.owner, hostname, target);
      record.proxy_hostname = hostname;
      if (record.lifecycle.state === 'started') record.lifecycle = lifecycle('proxied');
      await this.repository.update(record);
      return record;
    });
    return describeService(this.containers, record);
  }
}
