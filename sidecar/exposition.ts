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
  /** Appends the family's samples, each with `extra` (the registry's default labels) first. */
  render(lines: string[], extra: string): void;
}

export interface Registry {
  /** The metric families, in registration order: names for the README's check. */
  families(): { name: string; help: string; type: string }[];
  /** The whole exposition, one family after another. */
  render(): string;
  readonly contentType: string;
  /** Labels every sample of this registry carries (a directory's `dir`), as prom-client's setDefaultLabels. */
  setDefaultLabels(labels: Record<string, string>): void;
  /** Appends the samples of family `name`, without its HELP and TYPE lines. */
  renderSamples(name: string, lines: string[]): void;
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createRegistry(): Registry & { add(family: Family): void } {
  const families: Family[] = [];
  let extra = '';
  const registry = {
    add: (family: Family) => {
      if (families.some((f) => f.name === family.name))
        throw new Error(`metric ${family.name} registered twice`);
      families.push(family);
    },
    families: () => families.map(({ name, help, type }) => ({ name, help, type })),
    render: () => renderFamilies(registry.families(), [registry]),
    contentType: CONTENT_TYPE,
    setDefaultLabels(labels: Record<string, string>) {
      extra = Object.entries(labels)
        .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
        .join(',');
    },
    renderSamples(name: string, lines: string[]) {
      families.find((f) => f.name === name)?.render(lines, extra);
    },
  };
  return registry;
}

/**
 * Several registries as one exposition (one per log directory, told apart by their default
 * labels): each family's HELP and TYPE once, then every registry's samples of it, since a family
 * listed twice is not valid exposition.
 */
export function mergeRegistries(registries: readonly Registry[]): Registry {
  const families = () => {
    const byName = new Map<string, { name: string; help: string; type: string }>();
    for (const registry of registries) {
      for (const family of registry.families()) if (!byName.has(family.name)) byName.set(family.name, family);
    }
    return [...byName.values()];
  };
  return {
    families,
    render: () => renderFamilies(families(), registries),
    contentType: CONTENT_TYPE,
    setDefaultLabels(labels) {
      for (const registry of registries) registry.setDefaultLabels(labels);
    },
    renderSamples(name, lines) {
      for (const registry of registries) registry.renderSamples(name, lines);
    },
  };
}

function renderFamilies(
  families: readonly { name: string; help: string; type: string }[],
  registries: readonly Registry[],
): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const registry of registries) registry.renderSamples(family.name, lines);
  }
  return `${lines.join('\n')}\n`;
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
    render(lines: string[], extra: string) {
      for (const { labels, value } of values.values())
        lines.push(`${options.name}${withExtra(labels, extra)} ${formatValue(value)}`);
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
    render(lines, extra) {
      const before = extra === '' ? '' : `${extra},`;
      // Cumulative: each bucket counts every observation at or below its bound.
      bounds.forEach((bound, i) => {
        lines.push(`${options.name}_bucket{${before}le="${formatValue(bound)}"} ${counts[i]}`);
      });
      lines.push(`${options.name}_bucket{${before}le="+Inf"} ${count}`);
      const own = withExtra('', extra);
      lines.push(`${options.name}_sum${own} ${formatValue(sum)}`, `${options.name}_count${own} ${count}`);
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

/** A sample's label set (`{a="1"}` or empty) with the registry's default labels put first. */
function withExtra(labels: string, extra: string): string {
  if (extra === '') return labels;
  return labels === '' ? `{${extra}}` : `{${extra},${labels.slice(1)}`;
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
