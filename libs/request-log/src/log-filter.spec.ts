import { matches, oauthStep, percentile } from './log-filter';
import { decodeLogEntry, StoredLogEntry } from './request-log-entry';

const e = (fields: Partial<StoredLogEntry> = {}): StoredLogEntry => ({
  id: '1-0',
  ts: 1000,
  client_ip: '192.0.2.1',
  host: 'a.example.test',
  method: 'GET',
  path: '/mcp',
  status: 200,
  bytes_out: 0,
  duration_ms: 1,
  request_id: 'r',
  listener: 'https',
  ...fields,
});
const window = { sinceMs: 0, untilMs: 2000 };

describe('log filters', () => {
  it('matches each field exactly and the path by prefix', () => {
    expect(matches({ ...window, hostname: 'a.example.test', pathPrefix: '/mc' }, e())).toBe(true);
    expect(matches({ ...window, hostname: 'b.example.test' }, e())).toBe(false);
    expect(matches({ ...window, status: { class: '2xx' } }, e())).toBe(true);
    expect(matches({ ...window, status: { exact: 201 } }, e())).toBe(false);
    expect(matches({ sinceMs: 1001, untilMs: 2000 }, e())).toBe(false);
    expect(matches({ ...window, errorsOnly: true }, e({ status: 200, error: 'upstream timeout' }))).toBe(true);
    expect(matches({ ...window, errorsOnly: true }, e({ status: 302 }))).toBe(false);
    expect(matches({ ...window, q: 'EXAMPLE' }, e())).toBe(true);
  });

  it('limits non-admin callers to their hosts and never shows admin-API entries', () => {
    const allowedHosts = new Set(['a.example.test']);
    expect(matches({ ...window, allowedHosts }, e())).toBe(true);
    expect(matches({ ...window, allowedHosts }, e({ host: 'b.example.test' }))).toBe(false);
    expect(matches({ ...window, allowedHosts }, e({ listener: 'api' }))).toBe(false);
  });

  it('places entries in an OAuth flow by path and identity', () => {
    expect(oauthStep(e({ path: '/authorize' }))).toBe('authorize');
    expect(oauthStep(e({ path: '/token' }))).toBe('token');
    expect(oauthStep(e({ path: '/tokens' }))).toBe('other');
    expect(oauthStep(e({ path: '/mcp', auth_user: 'alice' }))).toBe('protected_call');
    expect(oauthStep(e({ path: '/token', listener: 'api' }))).toBe('other');
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99)]).toEqual([10, 19, 20]);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
  });

  it('decodes stored entries and refuses malformed ones', () => {
    const stored = { ...e(), id: undefined };
    expect(decodeLogEntry('5-0', JSON.stringify(stored))).toEqual(e({ id: '5-0' }));
    expect(decodeLogEntry('5-0', '{"ts":"soon"}')).toBeNull();
    expect(decodeLogEntry('5-0', JSON.stringify({ ...stored, listener: 'ftp' }))).toBeNull();
    expect(decodeLogEntry('5-0', 'not json')).toBeNull();
  });

  it('filters by decision and policy rule, and decodes them with the JSON-RPC error code', () => {
    const denied = e({ decision: 'denied-scope', mcp_rule: 'writes', mcp_error: -32003 });
    expect(matches({ ...window, decision: 'denied-scope', mcpRule: 'writes' }, denied)).toBe(true);
    expect(matches({ ...window, decision: 'denied-identity' }, denied)).toBe(false);
    expect(matches({ ...window, mcpRule: 'reads' }, denied)).toBe(false);
    expect(matches({ ...window, decision: 'allowed' }, e())).toBe(false);
    const stored = { ...denied, id: undefined };
    expect(decodeLogEntry('6-0', JSON.stringify(stored))).toEqual({ ...denied, id: '6-0' });
    expect(decodeLogEntry('6-0', JSON.stringify({ ...stored, decision: 'maybe' }))).toBeNull();
    expect(decodeLogEntry('6-0', JSON.stringify({ ...stored, mcp_error: '-32003' }))).toBeNull();
  });
});
