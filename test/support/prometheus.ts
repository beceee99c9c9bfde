/** Prometheus text-format parsing for tests, through an independent parser (parse-prometheus-text-format). */
export interface PromSample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface PromFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: PromSample[];
}

// The package ships CommonJS without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseText = require('parse-prometheus-text-format') as (text: string) => PromFamily[];

export class PromScrape {
  readonly families: Map<string, PromFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parseText(text).map((f) => [f.name, f]));
  }

  family(name: string): PromFamily {
    const family = this.families.get(name);
    if (!family) throw new Error(`metric family ${name} missing from the scrape`);
    return family;
  }

  /** The sample whose labels include `labels`; 0 when absent (a counter not yet incremented). */
  value(name: string, labels: Record<string, string> = {}): number {
    const sample = this.sample(name, labels);
    if (!sample) return 0;
    // Histograms: the +Inf bucket is the observation count.
    return Number(sample.value ?? sample.count ?? sample.buckets?.['+Inf']);
  }

  sample(name: string, labels: Record<string, string> = {}): PromSample | undefined {
    return this.family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }
}
