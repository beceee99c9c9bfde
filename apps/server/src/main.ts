import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AppConfig, ConfigError, parseEnvironment } from '@app/config';
import { PublicListeners } from '@app/dispatcher';
import { createAdminApp } from '@app/http';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  let env;
  try {
    // The one place that reads process.env; everything else gets AppConfig.
    env = parseEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const app = await createAdminApp(AppModule.forRoot(env), new AppConfig(env));
  const config = app.get(AppConfig);
  // The public listeners hand some paths to the Nest app (ACME challenge, OAuth, ADMIN_HOSTNAME),
  // so it must be ready first; they open before the admin listener, so /health means "serving".
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(PublicListeners).start();
  await app.listen({ port: config.apiPort, host: config.apiBind });
  new Logger('Bootstrap').log(`admin API listening on http://${config.apiBind}:${config.apiPort} (docs at /docs)`);
}

bootstrap().catch((error: Error) => {
  process.stderr.write(`failed to start: ${error.message}\n`);
  process.exit(1);
});
