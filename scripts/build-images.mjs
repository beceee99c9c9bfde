#!/usr/bin/env node
// Builds the container images without any image registry (run as root; needs debootstrap and a
// Docker Engine): the cached base and Redis images, then the product image from the Dockerfile.
//   node scripts/build-images.mjs [--tag mcp-https-proxy:latest] [--base-only] [--network host] [--json]
// docker-compose.yml then runs them (`docker compose up -d`). docs/docker.md explains the recipe.
import { BASE_IMAGE_ALIAS, REDIS_IMAGE_ALIAS, ensureBaseImages } from './lib/base-images.mjs';
import { buildProductImage } from './lib/product-image.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const json = process.argv.includes('--json');
try {
  const images = ensureBaseImages();
  const result = { base: images.base, redis: images.redis, seconds: images.seconds };
  if (!process.argv.includes('--base-only')) {
    result.product = option('--tag', 'mcp-https-proxy:latest');
    result.seconds.product = buildProductImage({
      tag: result.product,
      baseImage: images.base,
      network: option('--network'),
    });
  }
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    console.log(`base:    ${images.base} (also ${BASE_IMAGE_ALIAS}), ${images.seconds.base} s`);
    console.log(`redis:   ${images.redis} (also ${REDIS_IMAGE_ALIAS}), ${images.seconds.redis} s`);
    if (result.product) console.log(`product: ${result.product}, ${result.seconds.product} s`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
