import { MCP_NAMES_PER_TARGET, McpMetrics } from './mcp-metrics';
import { MetricsRegistry } from './metrics-registry';

describe('McpMetrics', () => {
  const scrape = async (registry: MetricsRegistry) =>
    (await registry.registry.getSingleMetric('mcp_requests_total')?.get())?.values ?? [];

  it('counts by target, method and decision, with a name label only when given', async () => {
    const registry = new MetricsRegistry();
    const metrics = new McpMetrics(registry);
    metrics.count({ target: 'a.test', method: 'tools/call', decision: 'allowed' });
    metrics.count({ target: 'a.test', method: 'tools/call', decision: 'allowed' });
    metrics.count({ target: 'a.test', method: 'tools/call', decision: 'denied-scope', name: 'write' });
    expect((await scrape(registry)).map((v) => [v.labels, v.value])).toEqual([
      [{ target: 'a.test', method: 'tools/call', decision: 'allowed' }, 2],
      [{ target: 'a.test', method: 'tools/call', decision: 'denied-scope', name: 'write' }, 1],
    ]);
  });

  it('labels the first distinct names of each target, later ones as other', async () => {
    const registry = new MetricsRegistry();
    const metrics = new McpMetrics(registry);
    for (let i = 0; i <= MCP_NAMES_PER_TARGET; i++)
      metrics.count({ target: 'a.test', method: 'tools/call', decision: 'allowed', name: `tool${i}` });
    metrics.count({ target: 'a.test', method: 'tools/call', decision: 'allowed', name: 'tool0' });
    metrics.count({ target: 'b.test', method: 'tools/call', decision: 'allowed', name: 'late' });
    const values = await scrape(registry);
    const names = values.filter((v) => v.labels.target === 'a.test').map((v) => v.labels.name);
    expect(names).toHaveLength(MCP_NAMES_PER_TARGET + 1);
    expect(names).toContain('other');
    expect(names).not.toContain(`tool${MCP_NAMES_PER_TARGET}`);
    expect(values.find((v) => v.labels.name === 'tool0')?.value).toBe(2);
    expect(values.find((v) => v.labels.target === 'b.test')?.labels.name).toBe('late');
  });
});
