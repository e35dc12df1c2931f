// The few counters, gauges and one histogram the sidecar exports, in the Prometheus text
// exposition format (version 0.0.4). Not prom-client: importing it costs the sidecar 15 to 20 MiB
// of resident memory (it loads @opentelemetry/api, perf_hooks and a summary implementation the
// sidecar never uses) and a tenth of a second of start, in every opted-in pod, for about a
// hundred lines of rendering. The webhook, one per cluster, keeps prom-client.

export type Labels<L extends string> = Partial<Record<L, string>>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(lines: string[]): void;
}

export interface Registry {
  /** The metric families, in registration order: names for the README's check. */
  families(): { name: string; help: string; type: string }[];
  /** The whole exposition, one family after another. */
  render(): string;
  readonly contentType: string;
}

export function createRegistry(): Registry & { add(family: Family): void } {
  const families: Family[] = [];
  return {
    add: (family) => {
      if (families.some((f) => f.name === family.name))
        throw new Error(`metric ${family.name} registered twice`);
      families.push(family);
    },
    families: () => families.map(({ name, help, type }) => ({ name, help, type })),
    render() {
      const lines: string[] = [];
      for (const family of families) {
        lines.push(
          `# HELP ${family.name} ${escapeHelp(family.help)}`,
          `# TYPE ${family.name} ${family.type}`,
        );
        family.render(lines);
      }
      return `${lines.join('\n')}\n`;
    },
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
  };
}

type Owner = ReturnType<typeof createRegistry>;

interface Options<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** Values by their labels' key; a family without labels has one series, present from the start. */
function seriesOf<L extends string>(options: Options<L>) {
  const labelNames = options.labelNames ?? [];
  const values = new Map<string, { labels: string; value: number }>();
  if (labelNames.length === 0) values.set('', { labels: '', value: 0 });
  return {
    entry(labels: Labels<L> = {}) {
      const text = formatLabels(labelNames, labels);
      let entry = values.get(text);
      if (!entry) {
        entry = { labels: text, value: 0 };
        values.set(text, entry);
      }
      return entry;
    },
    render(lines: string[]) {
      for (const { labels, value } of values.values())
        lines.push(`${options.name}${labels} ${formatValue(value)}`);
    },
  };
}

export interface Counter<L extends string = never> {
  /** By `by` (1 when left out) for these labels; a number alone when the family has none. */
  inc(labelsOrBy?: Labels<L> | number, by?: number): void;
}

export function counter<L extends string = never>(registry: Owner, options: Options<L>): Counter<L> {
  const series = seriesOf(options);
  registry.add({ ...options, type: 'counter', render: series.render });
  return {
    inc(labelsOrBy, by = 1) {
      const [labels, amount] = typeof labelsOrBy === 'number' ? [{}, labelsOrBy] : [labelsOrBy, by];
      if (!(amount >= 0)) throw new Error(`${options.name}: a counter only goes up, not by ${amount}`);
      series.entry(labels).value += amount;
    },
  };
}

export interface Gauge {
  set(value: number): void;
}

export function gauge(registry: Owner, options: Options<never>): Gauge {
  const series = seriesOf(options);
  registry.add({ ...options, type: 'gauge', render: series.render });
  return {
    set(value) {
      series.entry().value = value;
    },
  };
}

export interface Histogram {
  observe(value: number): void;
}

export function histogram(
  registry: Owner,
  options: Options<never> & { buckets: readonly number[] },
): Histogram {
  const bounds = [...options.buckets].sort((a, b) => a - b);
  const counts = bounds.map(() => 0);
  let sum = 0;
  let count = 0;
  registry.add({
    ...options,
    type: 'histogram',
    render(lines) {
      // Cumulative: each bucket counts every observation at or below its bound.
      bounds.forEach((bound, i) => {
        lines.push(`${options.name}_bucket{le="${formatValue(bound)}"} ${counts[i]}`);
      });
      lines.push(`${options.name}_bucket{le="+Inf"} ${count}`);
      lines.push(`${options.name}_sum ${formatValue(sum)}`, `${options.name}_count ${count}`);
    },
  });
  return {
    observe(value) {
      bounds.forEach((bound, i) => {
        if (value <= bound) counts[i] = (counts[i] ?? 0) + 1;
      });
      sum += value;
      count += 1;
    },
  };
}

function formatLabels(names: readonly string[], labels: Record<string, string | undefined>): string {
  for (const key of Object.keys(labels)) {
    if (!names.includes(key))
      throw new Error(`unknown label ${JSON.stringify(key)}; labels: ${names.join(', ')}`);
  }
  const pairs = names
    .filter((name) => labels[name] !== undefined)
    .map((name) => `${name}="${escapeLabel(labels[name]!)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

// The format's escapes: in help text a backslash and a newline; in a label value also '"'.
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return escapeHelp(text).replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
