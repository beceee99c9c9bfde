import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Distinct tool, prompt or resource names labelled per target; later ones count as `other`. */
export const MCP_NAMES_PER_TARGET = 100;
const NO_NAME = '';

interface McpCell {
  labels: Record<string, string>;
  value: number;
}

/** The MCP request a counter step is for (labels already bounded by the caller, except `name`). */
export interface ObservedMcpRequest {
  target: string;
  /** A spec method or `other` (the dispatcher's `methodLabel`). */
  method: string;
  decision: string;
  /** Only when the resource's policy allows names as labels (`metric_names`); capped per target here. */
  name?: string;
}

/**
 * `mcp_requests_total{target,method,decision[,name]}`: inspected MCP requests by the proxy's decision.
 * The dispatcher bounds `method` to the spec's list; `name` (only where the policy allows it) is
 * bounded here to the first MCP_NAMES_PER_TARGET distinct names of each target. Nested maps, one
 * lookup per label: no key string is built per request.
 */
@Injectable()
export class McpMetrics {
  private readonly cells = new Map<string, Map<string, Map<string, Map<string, McpCell>>>>();
  private readonly names = new Map<string, Set<string>>();

  constructor(metrics: MetricsRegistry) {
    const cells = this.cells;
    new Counter({
      name: 'mcp_requests_total',
      help: 'MCP requests the proxy read, by target, JSON-RPC method, decision (allowed, denied-scope, denied-identity) and, where the policy allows, tool or prompt name',
      labelNames: ['target', 'method', 'decision', 'name'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const byMethod of cells.values())
          for (const byDecision of byMethod.values())
            for (const byName of byDecision.values())
              for (const cell of byName.values()) this.inc(cell.labels, cell.value);
      },
    });
  }

  count(request: ObservedMcpRequest): void {
    const name = request.name === undefined ? NO_NAME : this.boundedName(request.target, request.name);
    const byName = child(child(child(this.cells, request.target), request.method), request.decision);
    const cell = byName.get(name);
    if (cell !== undefined) cell.value += 1;
    else {
      const labels: Record<string, string> = {
        target: request.target,
        method: request.method,
        decision: request.decision,
      };
      if (name !== NO_NAME) labels.name = name;
      byName.set(name, { labels, value: 1 });
    }
  }

  private boundedName(target: string, name: string): string {
    let seen = this.names.get(target);
    if (seen === undefined) this.names.set(target, (seen = new Set()));
    if (seen.has(name)) return name;
    if (seen.size >= MCP_NAMES_PER_TARGET || name === NO_NAME) return 'other';
    seen.add(name);
    return name;
  }
}

function child<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let next = map.get(key);
  if (next === undefined) map.set(key, (next = new Map()));
  return next;
}
