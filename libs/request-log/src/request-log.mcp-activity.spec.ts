import { StoredLogEntry } from './request-log-entry';
import { MCP_ACTIVITY_TOP, McpActivityBuilder } from './request-log.mcp-activity';

const entry = (ts: number, fields: Partial<StoredLogEntry> = {}): StoredLogEntry => ({
  id: `${ts}-0`,
  ts,
  client_ip: '192.0.2.1',
  host: 'gov.test',
  method: 'POST',
  path: '/mcp',
  status: 200,
  bytes_out: 0,
  duration_ms: 10,
  request_id: String(ts),
  listener: 'https',
  ...fields,
});
const call = (ts: number, name: string, fields: Partial<StoredLogEntry> = {}) =>
  entry(ts, { mcp_method: 'tools/call', mcp_name: name, decision: 'allowed', auth_user: 'alice', ...fields });

describe('McpActivityBuilder', () => {
  const start = Date.UTC(2026, 11, 6, 20, 0);

  it('counts MCP calls by decision into their buckets; other entries and those outside the window not', () => {
    const b = new McpActivityBuilder(start, 60_000, 2);
    b.add(call(start - 1, 'echo'));
    b.add(call(start, 'echo'));
    b.add(call(start + 1, 'shell', { status: 403, decision: 'denied-identity', mcp_rule: 'no-shell' }));
    b.add(entry(start + 2)); // not MCP: no JSON-RPC read, no decision
    b.add(entry(start + 3, { listener: 'api', decision: 'allowed' })); // the admin API
    b.add(entry(start + 60_000, { status: 403, decision: 'denied-scope' })); // the proxy's own 403, no body read
    b.add(entry(start + 60_001, { mcp_method: 'initialize' })); // inspected, no decision recorded
    b.add(call(start + 120_000, 'echo'));
    const result = b.result();
    expect(result.buckets).toEqual([
      {
        start: '2026-12-06T20:00:00.000Z',
        calls: 2,
        decisions: { allowed: 1, 'denied-scope': 0, 'denied-identity': 1, 'rate-limited': 0 },
      },
      {
        start: '2026-12-06T20:01:00.000Z',
        calls: 2,
        decisions: { allowed: 0, 'denied-scope': 1, 'denied-identity': 0, 'rate-limited': 0 },
      },
    ]);
    expect(result).toMatchObject({ calls: 4, decisions: { allowed: 1, 'denied-scope': 1, 'denied-identity': 1 } });
  });

  it('counts per tool, per user (null: no user) and per denying rule of a host, busiest first', () => {
    const b = new McpActivityBuilder(start, 60_000, 1);
    b.add(call(start, 'echo'));
    b.add(call(start, 'echo', { auth_user: 'bob' }));
    b.add(call(start, 'write_file', { decision: 'denied-scope', mcp_rule: 'writes' }));
    b.add(call(start, 'write_file', { decision: 'denied-scope', mcp_rule: 'writes', host: 'other.test' }));
    b.add(call(start, 'write_file', { decision: 'denied-scope', mcp_rule: 'writes' }));
    b.add(call(start, 'admin', { decision: 'allowed', mcp_rule: 'bob-admin', auth_user: 'bob' }));
    b.add(entry(start, { status: 403, decision: 'denied-scope' }));
    const { tools, users, denied_rules } = b.result();
    expect(tools.map((t) => [t.name, t.calls, t.decisions['denied-scope']])).toEqual([
      ['write_file', 3, 3],
      ['echo', 2, 0],
      ['admin', 1, 0],
    ]);
    expect(users.map((u) => [u.user, u.calls, u.decisions.allowed])).toEqual([
      ['alice', 4, 1],
      ['bob', 2, 2],
      [null, 1, 0],
    ]);
    // An allowing rule is not a denying one; the same rule id on two hosts is two policies' rules.
    expect(denied_rules.map((r) => [r.hostname, r.rule, r.calls])).toEqual([
      ['gov.test', 'writes', 2],
      ['other.test', 'writes', 1],
    ]);
  });

  it('keeps the busiest tools only', () => {
    const b = new McpActivityBuilder(start, 60_000, 1);
    for (let t = 0; t < MCP_ACTIVITY_TOP + 2; t++) for (let i = 0; i <= t; i++) b.add(call(start, `tool${t}`));
    const { tools, calls } = b.result();
    expect(tools).toHaveLength(MCP_ACTIVITY_TOP);
    expect(tools[0]).toMatchObject({ name: `tool${MCP_ACTIVITY_TOP + 1}`, calls: MCP_ACTIVITY_TOP + 2 });
    expect(calls).toBe(((MCP_ACTIVITY_TOP + 2) * (MCP_ACTIVITY_TOP + 3)) / 2);
  });
});
