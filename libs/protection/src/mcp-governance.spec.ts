import type { McpMessage } from '@app/dispatcher';
import { compilePolicy, type McpCaller, type McpPolicyRecord, type ServedResource } from '@app/resources';
import { PolicyGovernance, POLICY_DENIED } from './mcp-governance';

const RESOURCE: ServedResource = {
  uri: 'https://mcp.example.test/mcp',
  endpoint: '/mcp',
  name: 'mcp',
  scopes: ['mcp:read'],
  registered: true,
};
const POLICY: McpPolicyRecord = {
  rules: [
    { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
    { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
    { id: 'admin', method: 'tools/call', name: 'admin', users: ['alice'] },
  ],
};
const reader: McpCaller = { scopes: ['mcp:read'], login: 'bob' };

const governance = (caller: McpCaller = reader, record: McpPolicyRecord = POLICY) =>
  new PolicyGovernance(compilePolicy(record), caller, RESOURCE, 'https://mcp.example.test');
const call = (method: string, name?: string, rawId: string | number | null = 1): McpMessage => ({
  method,
  name,
  rawId,
  id: rawId === null ? undefined : String(rawId),
});

describe('PolicyGovernance', () => {
  it('allows what no rule denies, naming the rule that matched', () => {
    expect(governance().decide([call('tools/call', 'echo')])).toEqual({ decision: 'allowed' });
    expect(governance({ scopes: ['mcp:write'], login: 'x' }).decide([call('tools/call', 'write_a')])).toEqual({
      decision: 'allowed',
      rule: 'writes',
    });
  });

  it('names the rate limits of the rules that allowed the calls, with how many calls each allowed', () => {
    const limited = governance(reader, {
      rules: [
        { id: 'calls', method: 'tools/call', name: 'echo*', rate_limits: [{ per: 'user', limit: 10, window: '1m' }] },
        { id: 'lists', method: 'tools/list' },
      ],
    });
    const perUser = { per: 'user', limit: 10, windowMs: 60_000, label: '10/1m per user' };
    expect(limited.resourceUri).toBe(RESOURCE.uri);
    expect(limited.decide([call('tools/call', 'echo')])).toEqual({
      decision: 'allowed',
      rule: 'calls',
      limits: [{ rule: 'calls', limits: [perUser], calls: 1 }],
    });
    // A batch: each call the rule matched counts; calls of rules without limits count nowhere.
    expect(
      limited.decide([call('tools/call', 'echo', 1), call('tools/list', undefined, 2), call('tools/call', 'echo2', 3)]),
    ).toEqual({ decision: 'allowed', rule: 'calls', limits: [{ rule: 'calls', limits: [perUser], calls: 2 }] });
    expect(limited.decide([call('tools/list')])).toEqual({ decision: 'allowed', rule: 'lists' });
  });

  it('answers denied-scope with the step-up challenge (needed plus held scopes) and a JSON-RPC error', () => {
    const verdict = governance().decide([call('tools/call', 'write_file', 'a1')]);
    expect(verdict.decision).toBe('denied-scope');
    if (verdict.decision === 'allowed') return;
    expect(verdict.rule).toBe('writes');
    expect(verdict.response.status).toBe(403);
    expect(verdict.response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="mcp:write mcp:read", resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp", error_description="this call needs the scopes mcp:write (policy rule writes)"',
    );
    expect(JSON.parse(verdict.response.body)).toEqual({
      jsonrpc: '2.0',
      id: 'a1',
      error: {
        code: POLICY_DENIED,
        message: 'tools/call write_file is denied by rule "writes" of https://mcp.example.test/mcp',
        data: { rule: 'writes', decision: 'denied-scope', scopes: ['mcp:write'] },
      },
    });
  });

  it('answers denied-identity without a scope hint', () => {
    for (const [name, rule] of [
      ['shell', 'no-shell'],
      ['admin', 'admin'],
    ]) {
      const verdict = governance().decide([call('tools/call', name)]);
      expect(verdict).toMatchObject({ decision: 'denied-identity', rule });
      if (verdict.decision === 'allowed') return;
      expect(verdict.response.headers['www-authenticate']).toBeUndefined();
      expect(JSON.parse(verdict.response.body).error.data).toEqual({ rule, decision: 'denied-identity' });
    }
  });

  it('decides a batch: denied-identity wins over denied-scope; id null; answers pass', () => {
    const answer: McpMessage = { rawId: 7, id: '7' };
    const scoped = governance().decide([call('tools/call', 'echo', 1), answer, call('tools/call', 'write_x', 2)]);
    expect(scoped).toMatchObject({ decision: 'denied-scope', rule: 'writes' });
    const both = governance().decide([call('tools/call', 'write_x', 1), call('tools/call', 'shell', 2)]);
    expect(both).toMatchObject({ decision: 'denied-identity', rule: 'no-shell' });
    if (both.decision === 'allowed') return;
    expect(JSON.parse(both.response.body).id).toBeNull();
    expect(governance().decide([call('tools/call', 'echo', 1), answer])).toEqual({ decision: 'allowed' });
  });

  it('gives a differently-cased spec method the stricter verdict (a case-folding backend would run it)', () => {
    expect(governance().decide([call('Tools/Call', 'shell')])).toMatchObject({
      decision: 'denied-identity',
      rule: 'no-shell',
    });
    // Not a spelling of a spec method: decided as written (the default allows it).
    expect(governance().decide([call('tools/calls', 'shell')])).toEqual({ decision: 'allowed' });
  });

  it('denies a naming call without a readable name when a rule of its method looks at names', () => {
    expect(governance().decide([call('tools/call')])).toMatchObject({ decision: 'denied-identity', rule: 'unnamed' });
    // No rule for prompts/get looks at names: nothing to decide on, the default allows.
    expect(governance().decide([call('prompts/get')])).toEqual({ decision: 'allowed' });
  });

  it('decides a padded or NUL-cut name also as the name a trimming backend reads', () => {
    const strict = governance(reader, { rules: [{ id: 'no-shell', method: 'tools/call', name: 'shell', deny: true }] });
    for (const name of ['shell ', '\tshell', 'shell\u0000.txt'])
      expect(strict.decide([{ method: 'Tools/Call', name, rawId: 1 }])).toMatchObject({ rule: 'no-shell' });
    expect(strict.decide([{ method: 'tools/call', name: 'shells', rawId: 1 }])).toEqual({ decision: 'allowed' });
  });

  it('denies by default when the policy says so', () => {
    const strict = governance(reader, { default: 'deny', rules: [{ id: 'init', method: 'initialize' }] });
    expect(strict.decide([call('initialize')])).toEqual({ decision: 'allowed', rule: 'init' });
    expect(strict.decide([call('completion/complete')])).toMatchObject({
      decision: 'denied-identity',
      rule: 'default',
    });
    // Lists are outside the default (filtered instead), as are initialize and ping.
    expect(strict.decide([call('tools/list')])).toEqual({ decision: 'allowed' });
  });

  it('keeps one list filter per list method', () => {
    const g = governance();
    const keep = g.listFilter('tools/list');
    expect(keep).toBe(g.listFilter('tools/list'));
    // Other methods have no filter (and leave nothing behind: clients choose them).
    expect([g.listFilter('tools/call'), g.listFilter('toString'), g.listFilter('__proto__')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(['echo', 'shell', 'admin', 'write_x'].filter((n) => keep?.(n) ?? true)).toEqual(['echo', 'write_x']);
  });
});
