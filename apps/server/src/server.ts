import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { AppConfig, Environment } from '@app/config';
import { PublicListeners } from '@app/dispatcher';
import { createAdminApp } from '@app/http';
import { AppModule } from './app.module';
import { WORKER_READY } from './cluster-messages';

/**
 * The whole server in this process: Nest app, dispatcher, listeners, bus consumers. The only
 * process with WORKERS=1; with WORKERS > 1 every cluster worker runs this (the listening sockets
 * are then shared through the primary).
 */
export async function startServer(env: Environment): Promise<void> {
  const app = await createAdminApp(AppModule.forRoot(env), new AppConfig(env));
  const config = app.get(AppConfig);
  // The public listeners hand some paths to the Nest app (ACME challenge, OAuth, ADMIN_HOSTNAME),
  // so it must be ready first; they open before the admin listener, so /health means "serving".
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(PublicListeners).start();
  await app.listen({ port: config.apiPort, host: config.apiBind });
  new Logger('Bootstrap').log(`admin API listening on http://${config.apiBind}:${config.apiPort} (docs at /docs)`);
  if (cluster.isWorker) process.send?.({ type: WORKER_READY });
}
