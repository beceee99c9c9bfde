import { ConnectionError, errorMessage, type ApiAnswer } from './api-client';
import type { VerbContext } from './command-spec';
import { renderBody } from './render';

/** Fields of GET .../auth that are not settings (POST .../auth does not take them). */
const NOT_SETTINGS = new Set(['hostname', 'resources', 'redirect_client_id']);

/**
 * `proxy auth-config`: changes only the given protection settings. POST .../auth replaces the
 * whole configuration (omitted fields take their defaults), so this reads the current one first,
 * lays the given flags over it and posts the result.
 */
export async function runAuthConfig({ values, client, token, json, stdout, stderr }: VerbContext): Promise<number> {
  const hostname = String(values.hostname);
  const path = `/api/v1/proxy/targets/${encodeURIComponent(hostname)}/auth`;
  const refused = (answer: ApiAnswer, hint = '') => {
    const id = answer.requestId ? `, request ${answer.requestId}` : '';
    stderr(`error: ${errorMessage(answer.status, answer.body)} (HTTP ${answer.status}${id})${hint}\n`);
    return 1;
  };
  try {
    const current = await client.request({ method: 'GET', path, token });
    if (current.status >= 400)
      return refused(
        current,
        current.status === 404 ? `; turn protection on first: proxyctl proxy auth-set ${hostname}` : '',
      );
    const settings = Object.fromEntries(
      Object.entries(current.body as Record<string, unknown>).filter(([key]) => !NOT_SETTINGS.has(key)),
    );
    const given = Object.fromEntries(
      Object.entries(values).filter(([key, value]) => key !== 'hostname' && value !== undefined),
    );
    const answer = await client.request({ method: 'POST', path, token, body: { ...settings, ...given } });
    if (answer.status >= 400) return refused(answer);
    stdout(json ? `${JSON.stringify(answer.body, null, 2)}\n` : renderBody(answer.body));
    return 0;
  } catch (error) {
    if (error instanceof ConnectionError) {
      stderr(`error: ${error.message}\n`);
      return 3;
    }
    throw error;
  }
}
