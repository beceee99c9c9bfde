import 'reflect-metadata';
import cluster from 'node:cluster';
import { AppConfig, ConfigError, Environment, parseEnvironment } from '@app/config';

function readEnvironment(): Environment {
  try {
    // The one place that reads process.env; everything else gets AppConfig.
    return parseEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const env = readEnvironment();
  // Loaded lazily (webpack keeps them in this bundle, evaluated on first use), so the cluster
  // primary never loads Nest, Fastify and the feature modules: it only forks and supervises.
  if (cluster.isPrimary && new AppConfig(env).workers > 1) {
    const { ClusterPrimary } = await import('./cluster-primary');
    // Kernel-distributed accepts unless NODE_CLUSTER_SCHED_POLICY=rr asks for Node's round-robin.
    await new ClusterPrimary(new AppConfig(env), { roundRobin: process.env.NODE_CLUSTER_SCHED_POLICY === 'rr' }).run();
    return;
  }
  const { startServer } = await import('./server');
  await startServer(env);
}

main().catch((error: Error) => {
  process.stderr.write(`failed to start: ${error.message}\n`);
  process.exit(1);
});
