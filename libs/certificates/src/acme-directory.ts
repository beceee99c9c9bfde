import type { AcmeSettings } from '@app/config';
import { Invalid } from '@app/http';

/**
 * Resolves what a request says about the ACME directory: nothing or "production" (ACME_DIRECTORY_URL),
 * "staging" (ACME_STAGING_URL), or an https:// URL of any ACME directory.
 */
export function resolveDirectoryUrl(input: string | undefined, acme: AcmeSettings): string {
  const value = input?.trim();
  if (!value || value === 'production') return acme.productionUrl;
  if (value === 'staging') return acme.stagingUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw Invalid(
      `acme_directory_url "${value}" is not supported: use "production", "staging" or the https:// URL of an ACME directory`,
    );
  }
  if (url.protocol !== 'https:') {
    throw Invalid(
      `acme_directory_url "${value}" uses ${url.protocol.replace(':', '')}: ACME directories are served over https://`,
    );
  }
  if (url.username || url.password || url.hash) {
    throw Invalid(`acme_directory_url "${value}" must not carry credentials or a #fragment`);
  }
  return url.href;
}

export function isStagingDirectory(url: string, acme: AcmeSettings): boolean {
  return url === acme.stagingUrl || /staging|test-api|test4\./.test(url);
}
