import { StoredLogEntry } from './request-log-entry';
import { TIMESERIES_TOP_HOSTS, TimeseriesBuilder } from './request-log.timeseries';

const entry = (ts: number, host: string, fields: Partial<StoredLogEntry> = {}): StoredLogEntry => ({
  id: `${ts}-0`,
  ts,
  client_ip: '192.0.2.1',
  host,
  method: 'GET',
  path: '/',
  status: 200,
  bytes_out: 0,
  duration_ms: 10,
  request_id: String(ts),
  listener: 'https',
  ...fields,
});

describe('TimeseriesBuilder', () => {
  const start = Date.UTC(2026, 11, 6, 20, 0);

  it('puts entries in their bucket by ts (start inclusive, end exclusive) and ignores those outside', () => {
    const b = new TimeseriesBuilder(start, 60_000, 3);
    b.add(entry(start - 1, 'a.test'));
    b.add(entry(start, 'a.test'));
    b.add(entry(start + 59_999, 'a.test', { status: 502, error: 'upstream connect ECONNREFUSED', duration_ms: 30 }));
    b.add(entry(start + 60_000, 'a.test', { status: 503, duration_ms: 20 }));
    b.add(entry(start + 180_000, 'a.test'));
    const { overall } = b.result();
    expect(overall.buckets.map((x) => [x.start, x.requests, x.errors, x.error_rate, x.p95_ms])).toEqual([
      ['2026-12-06T20:00:00.000Z', 2, 1, 0.5, 30],
      ['2026-12-06T20:01:00.000Z', 1, 1, 1, 20],
      ['2026-12-06T20:02:00.000Z', 0, 0, 0, null],
    ]);
    expect(overall).toMatchObject({ requests: 3, errors: 2, p95_ms: 30 });
    expect(overall.buckets[0].requests_per_s).toBe(0.0333);
  });

  it('keeps the busiest hosts, busiest first; overall counts every host', () => {
    const b = new TimeseriesBuilder(start, 60_000, 1);
    for (let h = 0; h < TIMESERIES_TOP_HOSTS + 2; h++)
      for (let i = 0; i <= h; i++) b.add(entry(start + i, `h${String(h).padStart(2, '0')}.test`));
    b.add(entry(start, 'a-tie.test'));
    const { hosts, overall } = b.result();
    expect(hosts).toHaveLength(TIMESERIES_TOP_HOSTS);
    expect(hosts[0]).toMatchObject({ hostname: 'h11.test', requests: 12 });
    expect(hosts[TIMESERIES_TOP_HOSTS - 1]).toMatchObject({ hostname: 'h02.test', requests: 3 });
    // Every entry counts overall, also those of hosts left out.
    expect(overall.requests).toBe((12 * 13) / 2 + 1);
  });
});
