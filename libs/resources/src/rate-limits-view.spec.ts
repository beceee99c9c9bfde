import { compileRateLimits } from '@app/config';
import { rateLimitKey, rateLimitsOverview, windowText } from './rate-limits-view';

describe('rateLimitsOverview', () => {
  const global = compileRateLimits([{ per: 'address', limit: 600, window: '60s' }]);

  it('lists global limits, then targets by hostname, then rules by resource in policy order, each with its key', () => {
    const overview = rateLimitsOverview(
      'proxy',
      global,
      [
        { hostname: 'b.example.test', rate_limits: [{ per: 'client', limit: 10, window: '1h' }] },
        { hostname: 'a.example.test', rate_limits: [{ per: 'user', limit: 60, window: '1m' }] },
        { hostname: 'none.example.test' },
      ],
      [
        {
          id: 'res_1',
          uri: 'https://a.example.test/mcp',
          proxy_target: 'a.example.test',
          policy: {
            rules: [
              { id: 'reads', method: 'tools/call', name: 'read_*' },
              { id: 'writes', method: 'tools/call', rate_limits: [{ per: 'user', limit: 5, window: '30s' }] },
            ],
          },
        },
      ],
    );
    expect(overview.unreadable).toEqual([]);
    expect(overview.limits.map((l) => [l.scope, l.target, l.rule, l.label, l.window, l.key])).toEqual([
      [
        'global',
        undefined,
        undefined,
        '600/60s per address',
        '1m',
        'proxy:ratelimit:{address:<client address>}:global:600/60000',
      ],
      [
        'target',
        'a.example.test',
        undefined,
        '60/1m per user',
        '1m',
        'proxy:ratelimit:{user:<github user id>}:target:a.example.test:60/60000',
      ],
      [
        'target',
        'b.example.test',
        undefined,
        '10/1h per client',
        '1h',
        'proxy:ratelimit:{client:<client_id>}:target:b.example.test:10/3600000',
      ],
      [
        'rule',
        'a.example.test',
        'writes',
        '5/30s per user',
        '30s',
        'proxy:ratelimit:{user:<github user id>}:rule:https://a.example.test/mcp:writes:5/30000',
      ],
    ]);
    expect(overview.limits[3]).toMatchObject({
      resource: 'https://a.example.test/mcp',
      resource_id: 'res_1',
      window_ms: 30_000,
    });
  });

  it('reports stored lists that fail validation with what to fix, and shows none of their limits', () => {
    const overview = rateLimitsOverview(
      'proxy',
      [],
      [{ hostname: 'broken.example.test', rate_limits: [{ per: 'everyone', limit: 0, window: '1m' }] }],
      [
        {
          id: 'res_2',
          uri: 'https://broken.example.test/mcp',
          proxy_target: 'broken.example.test',
          policy: { rules: [{ id: 'r', method: '*', rate_limits: 'lots' as never }] },
        },
        // A policy whose rules are not a list: nothing to show (the catalog refuses its target).
        {
          id: 'res_3',
          uri: 'https://x.example.test/mcp',
          proxy_target: 'x.example.test',
          policy: { rules: 'x' as never },
        },
      ],
    );
    expect(overview.limits).toEqual([]);
    expect(overview.unreadable).toEqual([
      {
        scope: 'target',
        target: 'broken.example.test',
        problems: [
          'rate_limits[0]: per must be one of user, client, address',
          'rate_limits[0]: limit must be a whole number from 1 to 1000000',
        ],
      },
      {
        scope: 'rule',
        target: 'broken.example.test',
        resource: 'https://broken.example.test/mcp',
        resource_id: 'res_2',
        rule: 'r',
        problems: [expect.stringMatching(/^rules\[0\]\.rate_limits must be an array of limits/)],
      },
    ]);
  });

  it('writes windows in their largest whole unit, and keys with the limit in milliseconds', () => {
    expect([1000, 90_000, 120_000, 7_200_000, 86_400_000].map(windowText)).toEqual(['1s', '90s', '2m', '2h', '1d']);
    expect(rateLimitKey('proxy', compileRateLimits([{ per: 'user', limit: 1, window: '1d' }])[0], 'global')).toBe(
      'proxy:ratelimit:{user:<github user id>}:global:1/86400000',
    );
  });
});
