import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/**
 * The dashboard's Content-Security-Policy: everything from this origin only, no inline script or
 * style, no framing, API calls to this origin only.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

/**
 * Where the static files are: copied beside the bundle by `nest build server` (nest-cli.json
 * assets), or in the library's `public/` folder when running from source (tests, ts-node).
 */
function findAssetDir(): string {
  const candidates = [
    join(__dirname, 'dashboard'),
    join(__dirname, '..', 'public'),
    join(process.cwd(), 'libs', 'dashboard', 'public'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found)
    throw new Error(
      `dashboard files not found (looked in ${candidates.join(', ')}); rebuild with "npx nest build server"`,
    );
  return found;
}

/**
 * The dashboard's static files, read once at boot into memory. Only these names can be served, so
 * no request path ever reaches the file system.
 */
@Injectable()
export class DashboardAssets {
  private readonly files = new Map<string, DashboardAsset>();

  constructor() {
    const dir = findAssetDir();
    for (const name of readdirSync(dir)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType) this.files.set(name, { body: readFileSync(join(dir, name)), contentType });
    }
  }

  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }

  names(): string[] {
    return [...this.files.keys()].sort();
  }
}
