import { compileRateLimits } from '@app/config';
import { rateLimitKey, requestCharges, ruleCharges, subjectOf, type ChargedRequest } from './rate-limit-charges';
import { RoutingTable } from './routing-table';
import type { ProxyTargetRecord } from '@app/proxy-targets';

const [perUser, perClient, perAddress] = compileRateLimits([
  { per: 'user', limit: 60, window: '1m' },
  { per: 'client', limit: 100, window: '1h' },
  { per: 'address', limit: 5, window: '30s' },
]);
const withToken: ChargedRequest = {
  prefix: 'proxy',
  target: 'api.example.test',
  identity: { user: 'alice', clientId: 'client_1', sub: '1001' },
  clientIp: '203.0.113.7',
};
const anonymous: ChargedRequest = { prefix: 'proxy', target: 'api.example.test', clientIp: '2001:db8::1' };

describe('rate-limit charges', () => {
  it('counts a token by its user id and client id, the address by the trusted client address', () => {
    expect(subjectOf('user', withToken)).toBe('user:1001');
    expect(subjectOf('client', withToken)).toBe('client:client_1');
    expect(subjectOf('address', withToken)).toBe('address:203.0.113.7');
  });

  it('counts a request without a token by its address, whatever the limit counts by', () => {
    for (const per of ['user', 'client', 'address'] as const)
      expect(subjectOf(per, anonymous)).toBe('address:2001:db8:0:0::/64');
    // A login alone (no sub) is not a user id: counted by address, never by a renamable login.
    expect(subjectOf('user', { ...anonymous, identity: { user: 'alice' } })).toBe('address:2001:db8:0:0::/64');
  });

  it('names the key by prefix, subject (the hash tag), scope and the limit itself', () => {
    expect(rateLimitKey(withToken, perUser, 'global')).toBe('proxy:ratelimit:{user:1001}:global:60/60000');
    expect(rateLimitKey(withToken, perClient, 'target:api.example.test')).toBe(
      'proxy:ratelimit:{client:client_1}:target:api.example.test:100/3600000',
    );
  });

  it('charges RATE_LIMITS then the target limits, each costing 1', () => {
    expect(requestCharges(withToken, [perAddress], [perUser])).toEqual([
      {
        key: 'proxy:ratelimit:{address:203.0.113.7}:global:5/30000',
        limit: perAddress,
        cost: 1,
        scope: 'global',
        target: 'api.example.test',
      },
      {
        key: 'proxy:ratelimit:{user:1001}:target:api.example.test:60/60000',
        limit: perUser,
        cost: 1,
        scope: 'target',
        target: 'api.example.test',
      },
    ]);
    expect(requestCharges(withToken, [], undefined)).toEqual([]);
  });

  it('charges a rule limit per resource and rule, costing the calls the rule matched', () => {
    const uri = 'https://api.example.test/mcp';
    expect(ruleCharges(withToken, uri, [{ rule: 'writes', limits: [perUser], calls: 3 }])).toEqual([
      {
        key: `proxy:ratelimit:{user:1001}:rule:${uri}:writes:60/60000`,
        limit: perUser,
        cost: 3,
        scope: 'rule',
        rule: 'writes',
        target: 'api.example.test',
      },
    ]);
  });
});

describe('routing table: target rate limits', () => {
  const target = (hostname: string, rate_limits?: unknown): ProxyTargetRecord =>
    ({ hostname, target_url: 'http://127.0.0.1:9', enabled: true, rate_limits }) as unknown as ProxyTargetRecord;

  it('compiles them once per table; a stored list that fails validation refuses the target with why', () => {
    const table = new RoutingTable(
      [
        target('limited.test', [{ per: 'user', limit: 60, window: '1m' }]),
        target('open.test'),
        target('empty.test', []),
        target('broken.test', [{ per: 'team', limit: 60, window: '1m' }]),
      ],
      [],
      [],
    );
    expect(table.rateLimitsOf('limited.test')).toEqual([perUser]);
    expect(table.rateLimitsOf('open.test')).toBeUndefined();
    expect(table.rateLimitsOf('empty.test')).toBeUndefined();
    expect(table.rateLimitProblem('limited.test')).toBeUndefined();
    expect(table.rateLimitsOf('broken.test')).toBeUndefined();
    expect(table.rateLimitProblem('broken.test')).toBe('rate_limits[0]: per must be one of user, client, address');
    expect([...table.rateLimitProblems.keys()]).toEqual(['broken.test']);
  });
});
