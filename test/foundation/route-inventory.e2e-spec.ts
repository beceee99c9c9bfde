import { Test } from '@nestjs/testing';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { parseEnvironment } from '@app/config';
import { AUTHENTICATED_ROUTE, PUBLIC_ROUTE } from '@app/tokens';
import { AppModule } from '../../apps/server/src/app.module';
import { testRedisEnv } from '../support/test-redis';

/**
 * Every route of every controller in the real server module must be either @Public() or
 * @Authenticated(): this test fails for a new route that forgot to say which.
 */
describe('route inventory', () => {
  it('has no route that is neither authenticated nor deliberately public', async () => {
    const env = parseEnvironment({
      ADMIN_TOKEN: 'acm_inventory_0123456789',
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}-inventory`,
      LOG_LEVEL: 'silent',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(env), DiscoveryModule] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    try {
      const discovery = app.get(DiscoveryService);
      const reflector = app.get(Reflector);
      const scanner = new MetadataScanner();
      const unmarked: string[] = [];
      let count = 0;
      for (const wrapper of discovery.getControllers()) {
        const instance = wrapper.instance as Record<string, unknown>;
        const proto = Object.getPrototypeOf(instance) as object;
        for (const name of scanner.getAllMethodNames(proto)) {
          const handler = (proto as Record<string, unknown>)[name] as () => void;
          if (reflector.get(METHOD_METADATA, handler) === undefined) continue;
          count++;
          const targets = [handler, wrapper.metatype as () => void];
          const marked =
            reflector.getAllAndOverride(PUBLIC_ROUTE, targets as never) ||
            reflector.getAllAndOverride(AUTHENTICATED_ROUTE, targets as never);
          if (!marked) unmarked.push(`${wrapper.name}.${name} (${String(reflector.get(PATH_METADATA, handler))})`);
        }
      }
      expect(count).toBeGreaterThanOrEqual(8);
      expect(unmarked).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
