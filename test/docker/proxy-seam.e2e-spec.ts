import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ScheduleModule } from '@nestjs/schedule';
import { ConfigModule, parseEnvironment } from '@app/config';
import { DockerModule, SERVICE_PROXY_PUBLISHER, ServiceProxyPublisher } from '@app/docker';
import { ApiExceptionFilter, createValidationPipe } from '@app/http';
import { PortsModule } from '@app/ports';
import { RedisModule } from '@app/redis';
import { TokensModule } from '@app/tokens';
import { ensureDockerEngine, ensureTestImage, inspectContainer, removeDeploymentContainers, TEST_IMAGE, TEST_PAGE } from '../support/docker-engine';
import { freePort } from '../support/ports';

/**
 * TEMPORARY STAND-IN, labelled as such: the proxy-targets module is built in parallel and is not
 * in this branch. This recorder implements the docker module's ServiceProxyPublisher seam so the
 * auto_proxy / delete-with-proxy paths run against the real engine and Redis. After the merge the
 * lead binds the real proxy targets and replaces this suite by "fetch a page through the proxy by
 * its hostname" (see docs/docker.md, "Integration with proxy targets").
 */
class RecordingProxyPublisher implements ServiceProxyPublisher {
  readonly published: { owner: string; hostname: string; targetUrl: string }[] = [];
  readonly unpublished: { hostname: string; deleteCertificate: boolean }[] = [];
  async publish(owner: string, hostname: string, targetUrl: string): Promise<void> {
    if (hostname.startsWith('refused.')) throw new Error('proxy target store refused the hostname');
    this.published.push({ owner, hostname, targetUrl });
  }
  async unpublish(hostname: string, options: { deleteCertificate: boolean }): Promise<void> {
    this.unpublished.push({ hostname, deleteCertificate: options.deleteCertificate });
  }
}

const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];

describe('auto_proxy through the ServiceProxyPublisher seam (stand-in publisher)', () => {
  const publisher = new RecordingProxyPublisher();
  const prefix = `${process.env.TEST_REDIS_PREFIX}-seam`;
  const adminToken = 'acm_seam_admin_0123456789';
  let app: NestFastifyApplication;
  let url: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    await ensureDockerEngine();
    ensureTestImage();
    const base = 29000 + Math.floor(Math.random() * 90) * 10;
    const env = parseEnvironment({
      ADMIN_TOKEN: adminToken,
      REDIS_URL: process.env.TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      BASE_DOMAIN: 'example.test',
      DOCKER_IMAGE_ALLOWLIST: 'mcp-test-busybox:*',
      PORTS_INTERNAL_RANGE: `${base}-${base + 9}`,
    });
    @Module({
      imports: [
        ConfigModule.forRoot(env),
        ScheduleModule.forRoot(),
        RedisModule,
        TokensModule,
        PortsModule,
        DockerModule.register({ proxyPublisher: { provide: SERVICE_PROXY_PUBLISHER, useValue: publisher } }),
      ],
    })
    class SeamTestModule {}
    // The admin pipeline without Swagger (the Swagger CLI plugin only runs in `nest build`).
    app = await NestFactory.create<NestFastifyApplication>(SeamTestModule, new FastifyAdapter(), { logger: false });
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new ApiExceptionFilter());
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    url = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    removeDeploymentContainers(prefix);
    await app?.close();
  });

  it('publishes <name>.<BASE_DOMAIN> → the published port, which serves the page', async () => {
    const created = await api('POST', '/api/v1/services', { service_name: 'seam', image: TEST_IMAGE, command: HTTPD, internal_port: 80, auto_proxy: true });
    expect(created.status).toBe(201);
    const target = created.body.target_url as string;
    expect(created.body.proxy_hostname).toBe('seam.example.test');
    expect(publisher.published).toEqual([{ owner: 'ADMIN', hostname: 'seam.example.test', targetUrl: target }]);
    let page: Response | undefined;
    for (let i = 0; i < 150 && !page; i++) page = await fetch(`${target}/index.html`).catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
    expect(page?.status).toBe(200);
    expect(await page?.text()).toBe(TEST_PAGE);
  });

  it('deletes the proxy (and, when asked, its certificate) with the service', async () => {
    const containerId = ((await api('GET', '/api/v1/services/seam')).body.container_id as string) ?? '';
    const deleted = await api('DELETE', '/api/v1/services/seam?delete_certificate=true');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ service_name: 'seam', container_removed: true, proxy: 'deleted' });
    expect(publisher.unpublished).toEqual([{ hostname: 'seam.example.test', deleteCertificate: true }]);
    expect(inspectContainer(containerId)).toBeNull();
  });

  it('undoes container, ports and record when publishing the proxy fails', async () => {
    const failed = await api('POST', '/api/v1/services', { service_name: 'refused', image: TEST_IMAGE, command: HTTPD, internal_port: 80, auto_proxy: true });
    expect(failed.status).toBe(500);
    expect(inspectContainer(`mcp-${prefix}-refused`)).toBeNull();
    expect((await api('GET', '/api/v1/ports')).body).toEqual([]);
    expect((await api('GET', '/api/v1/services/refused')).status).toBe(404);
  });
});
