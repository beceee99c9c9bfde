import { readFileSync } from 'node:fs';
import { ConfigError, type Environment } from './environment';
import { checkGithubSubjectSettings } from './github-subjects';

/**
 * Settings that are valid one by one but make a feature impossible together. Those that make the
 * server useless for the feature's users stop the start (ConfigError, exit 2): a half-configured
 * GitHub app, an ACME CA bundle that cannot be read. Called by parseEnvironment.
 */
export function checkFeatureSettings(env: Environment): void {
  if (env.GITHUB_CLIENT_ID && !env.GITHUB_CLIENT_SECRET) {
    throw new ConfigError(
      'GITHUB_CLIENT_SECRET',
      "is required when GITHUB_CLIENT_ID is set (the GitHub OAuth app's client secret); GitHub login cannot work without both",
    );
  }
  if (env.GITHUB_CLIENT_SECRET && !env.GITHUB_CLIENT_ID) {
    throw new ConfigError(
      'GITHUB_CLIENT_ID',
      "is required when GITHUB_CLIENT_SECRET is set (the GitHub OAuth app's client id); GitHub login cannot work without both",
    );
  }
  checkGithubSubjectSettings(env);
  if (env.ACME_CA_BUNDLE) checkCaBundle(env.ACME_CA_BUNDLE);
}

function checkCaBundle(path: string): void {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      'ACME_CA_BUNDLE',
      `cannot be read (${path}: ${code}): it must be a PEM file of the ACME server's CA certificates`,
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError('ACME_CA_BUNDLE', `(${path}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
}

/**
 * Settings that switch a feature off while the rest of the server works: printed as warnings at
 * start (StartupWarnings); the API calls the feature needs answer 4xx naming the setting.
 */
export function featureWarnings(env: Environment): string[] {
  const warnings: string[] = [];
  if (env.AUTO_CERTIFICATES && !env.STORAGE_ENCRYPTION_KEY) {
    warnings.push(
      "STORAGE_ENCRYPTION_KEY is not set: certificates are unavailable (HTTPS targets and POST /api/v1/certificates answer 409; the server's own hostnames get none); set it to 32 random bytes in base64 (openssl rand -base64 32), or AUTO_CERTIFICATES=false",
    );
  }
  if (!env.GITHUB_CLIENT_ID) {
    warnings.push(
      'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are not set: GitHub login is unavailable, so no OAuth client can obtain a token for a protected target (docs/mcp.md, "Once per installation")',
    );
  } else if (
    ![env.OAUTH_ALLOWED_GITHUB_USERS, env.OAUTH_ALLOWED_GITHUB_ORGS, env.OAUTH_ALLOWED_GITHUB_TEAMS].some((list) =>
      (list ?? '').trim(),
    )
  ) {
    warnings.push(
      'OAUTH_ALLOWED_GITHUB_USERS, OAUTH_ALLOWED_GITHUB_ORGS and OAUTH_ALLOWED_GITHUB_TEAMS are empty: nobody may sign in; set OAUTH_ALLOWED_GITHUB_USERS to "*" or a comma-separated list of GitHub logins, or name the organisations or teams whose members may',
    );
  }
  const membersAdmitted =
    !!(env.OAUTH_ALLOWED_GITHUB_ORGS ?? '').trim() || !!(env.OAUTH_ALLOWED_GITHUB_TEAMS ?? '').trim();
  if (env.GITHUB_CLIENT_ID && membersAdmitted && !env.STORAGE_ENCRYPTION_KEY) {
    warnings.push(
      "STORAGE_ENCRYPTION_KEY is not set: users' GitHub tokens are not kept, so organisation and team memberships are read only at sign-in, and a refresh after OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS fails (invalid_grant: the user signs in again); set it to 32 random bytes in base64 (openssl rand -base64 32)",
    );
  }
  return warnings;
}
