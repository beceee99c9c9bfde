import { Invalid } from '@app/http';

export const MAX_DOMAINS = 100;
export const CERT_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower-cases a domain and checks it is a name HTTP-01 can validate; throws Invalid saying what to fix. */
export function normalizeDomain(input: string): string {
  const domain = input.trim().toLowerCase().replace(/\.$/, '');
  if (domain.startsWith('*.')) {
    throw Invalid(`domain "${input}" is a wildcard: HTTP-01 validates exact names only; list each hostname instead`);
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(domain) || domain.includes(':')) {
    throw Invalid(`domain "${input}" is an IP address: certificates here are for DNS names such as app.example.com`);
  }
  const labels = domain.split('.');
  if (domain.length === 0 || domain.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    throw Invalid(
      `domain "${input}" is not a valid DNS name: use letters, digits and hyphens in dot-separated labels of at most 63 characters, with at least one dot (e.g. app.example.com)`,
    );
  }
  return domain;
}

/** Validates a list of 1..100 domains without duplicates, returned normalized in the given order. */
export function normalizeDomains(inputs: string[]): string[] {
  if (inputs.length === 0) throw Invalid('domains must list at least one domain');
  if (inputs.length > MAX_DOMAINS)
    throw Invalid(
      `domains lists ${inputs.length} names; a certificate holds at most ${MAX_DOMAINS}: split them over several certificates`,
    );
  const seen = new Set<string>();
  return inputs.map((input) => {
    const domain = normalizeDomain(input);
    if (seen.has(domain)) throw Invalid(`domains lists "${domain}" more than once: remove the duplicate`);
    seen.add(domain);
    return domain;
  });
}

/** The name a single-domain certificate gets by default: `proxy-<domain with dots as dashes>`. */
export function defaultCertificateName(domain: string): string {
  return `proxy-${domain.replace(/\./g, '-')}`;
}

export function checkCertificateName(name: string): string {
  if (!CERT_NAME_PATTERN.test(name)) {
    throw Invalid(
      `cert_name "${name}" is not valid: use 1-100 lower-case letters, digits, _ . - starting with a letter or digit`,
    );
  }
  return name;
}
