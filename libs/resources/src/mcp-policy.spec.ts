import {
  compilePolicy,
  evaluateCall,
  compileGlob,
  listFilter,
  policyProblems,
  type McpPolicyRecord,
} from './mcp-policy';

const ISSUABLE = ['mcp:read', 'mcp:write'];
const alice = { login: 'Alice', email: 'alice@example.com', scopes: ['mcp:read'] };
const bob = { login: 'bob', scopes: ['mcp:read', 'mcp:write'] };

const record: McpPolicyRecord = {
  rules: [
    { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
    { id: 'admin', method: 'tools/call', name: 'admin_*', users: ['alice'] },
    { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] },
    { id: 'by-mail', method: 'prompts/*', emails: ['ALICE@example.com'] },
  ],
};

describe('MCP policy', () => {
  const policy = compilePolicy(record);

  it('globs: * spans any run (slashes included), ? one character, the rest is literal', () => {
    expect(compileGlob('tools/*').test('tools/call')).toBe(true);
    expect(compileGlob('file:///a/*').test('file:///a/b/c')).toBe(true);
    expect(compileGlob('a?c').test('abc')).toBe(true);
    expect(compileGlob('a.c').test('abc')).toBe(false);
    expect(compileGlob('x').test('x\n')).toBe(false);
  });

  it('globs decide as the anchored regular expression they spell (every glob and name over a small alphabet)', () => {
    const alphabet = ['a', '-', '*', '?'];
    const words = (max: number, letters: string[]): string[] => {
      let level = [''];
      const all = [''];
      for (let n = 0; n < max; n++) all.push(...(level = level.flatMap((w) => letters.map((l) => w + l))));
      return all;
    };
    const names = words(5, ['a', '-', 'b']);
    for (const glob of words(4, alphabet)) {
      const spelled = new RegExp(`^${glob.replace(/[-*?]/g, (c) => ({ '-': '-', '*': '.*', '?': '.' })[c]!)}$`, 's');
      const compiled = compileGlob(glob);
      for (const name of names) expect([glob, name, compiled.test(name)]).toEqual([glob, name, spelled.test(name)]);
    }
  });

  it('matches a client-chosen name in linear time (a backtracking regex took exponential time: it hung the proxy)', () => {
    const glob = compileGlob('*-*-*-*-*-*-*-*-admin');
    const started = performance.now();
    expect(glob.test('-'.repeat(1_000_000))).toBe(false);
    expect(glob.test(`${'-'.repeat(1_000_000)}admin`)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('the first matching rule decides; no match falls to the default', () => {
    expect(evaluateCall(policy, bob, { method: 'tools/call', name: 'shell' })).toEqual({
      decision: 'denied-identity',
      rule: 'no-shell',
    });
    expect(evaluateCall(policy, alice, { method: 'tools/call', name: 'admin_reset' }).decision).toBe('allowed');
    expect(evaluateCall(policy, bob, { method: 'tools/call', name: 'admin_reset' })).toEqual({
      decision: 'denied-identity',
      rule: 'admin',
    });
    expect(evaluateCall(policy, alice, { method: 'tools/call', name: 'write_file' })).toEqual({
      decision: 'denied-scope',
      rule: 'writes',
      scopes: ['mcp:write'],
      missing: ['mcp:write'],
    });
    expect(evaluateCall(policy, bob, { method: 'tools/call', name: 'write_file' }).decision).toBe('allowed');
    expect(evaluateCall(policy, bob, { method: 'tools/call', name: 'echo' })).toEqual({ decision: 'allowed' });
    expect(evaluateCall(policy, alice, { method: 'prompts/get', name: 'p' }).decision).toBe('allowed');
    expect(evaluateCall(policy, bob, { method: 'prompts/get', name: 'p' }).decision).toBe('denied-identity');
    const closed = compilePolicy({ default: 'deny', rules: [{ id: 'list', method: 'tools/list' }] });
    expect(evaluateCall(closed, bob, { method: 'tools/list' }).decision).toBe('allowed');
    expect(evaluateCall(closed, bob, { method: 'tools/call', name: 'x' })).toEqual({
      decision: 'denied-identity',
      rule: 'default',
    });
  });

  it('default deny leaves the session, notifications and lists alone, unless a rule says otherwise', () => {
    const closed = compilePolicy({ default: 'deny', rules: [{ id: 'no-ping', method: 'ping', deny: true }] });
    for (const method of ['initialize', 'notifications/initialized', 'tools/list', 'resources/templates/list'])
      expect(evaluateCall(closed, bob, { method }).decision).toBe('allowed');
    expect(evaluateCall(closed, bob, { method: 'ping' })).toEqual({ decision: 'denied-identity', rule: 'no-ping' });
    expect(evaluateCall(closed, bob, { method: 'completion/complete' }).decision).toBe('denied-identity');
    expect(evaluateCall(closed, bob, { method: 'Initialize' }).decision).toBe('denied-identity');
  });

  it('a rule with a name never matches a call without one', () => {
    expect(evaluateCall(policy, bob, { method: 'tools/call' }).decision).toBe('allowed');
  });

  it('lists hide only what no scope would allow; nothing to hide gives no filter', () => {
    const aliceTools = listFilter(policy, alice, 'tools/list')!;
    expect(['shell', 'admin_x', 'write_x', 'echo'].filter(aliceTools)).toEqual(['admin_x', 'write_x', 'echo']);
    const bobTools = listFilter(policy, bob, 'tools/list')!;
    expect(['shell', 'admin_x', 'write_x', 'echo'].filter(bobTools)).toEqual(['write_x', 'echo']);
    expect(listFilter(compilePolicy({ rules: [record.rules[2]] }), alice, 'tools/list')).toBeUndefined();
    expect(listFilter(policy, alice, 'prompts/list')).toBeUndefined();
    expect(['p'].filter(listFilter(policy, bob, 'prompts/list')!)).toEqual([]);
    expect(listFilter(policy, bob, 'initialize')).toBeUndefined();
    expect(listFilter(policy, bob, 'toString')).toBeUndefined();
    expect(listFilter(policy, bob, '__proto__')).toBeUndefined();
  });

  it('publishes the scopes its rules need', () => {
    expect(policy.scopes).toEqual(['mcp:write']);
  });

  it('validation names the rule at fault', () => {
    expect(policyProblems(record, ISSUABLE)).toEqual([]);
    expect(policyProblems({ rules: [] }, ISSUABLE)).toEqual([]);
    expect(policyProblems(null, ISSUABLE)).toEqual(['the policy must be a JSON object with a "rules" array']);
    expect(
      policyProblems(
        {
          default: 'maybe',
          rules: [
            { id: 'a', method: 'tools/call', scopes: ['mcp:admin'] },
            { id: 'a', method: '' },
            { id: 'd', method: '*', deny: true, users: ['x'] },
            { method: 'x', users: [] },
          ],
        },
        ISSUABLE,
      ),
    ).toEqual([
      'default must be "allow" or "deny"',
      'rules[0] "a": scope mcp:admin is not issued by this server (OAUTH_SCOPES: mcp:read mcp:write), so no caller could ever get it',
      'rules[1] "a": id is used by an earlier rule (ids must be unique)',
      'rules[1] "a": method is required: a JSON-RPC method or glob such as "tools/call" or "tools/*" (at most 512 characters)',
      'rules[2] "d": a deny rule denies everyone: remove scopes, users, emails, orgs and teams, or set deny to false',
      'rules[3]: id is required: 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
      'rules[3]: users must be a non-empty array of non-empty strings (at most 1000)',
    ]);
  });
});
