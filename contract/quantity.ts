// Kubernetes resource quantities as byte counts. We accept the forms kube-apiserver accepts
// for an emptyDir sizeLimit (binary and decimal suffixes, exponents), but refuse milli/micro/nano
// suffixes: "100m" bytes is a valid quantity and almost certainly a typo for 100Mi.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const FORM = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Bytes for a quantity such as `512Mi`, `1G` or `1e9`, or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = FORM.exec(text.trim());
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const value = Number(number);
  let factor: number | undefined;
  if (suffix in BINARY) factor = BINARY[suffix];
  else if (suffix in DECIMAL) factor = DECIMAL[suffix];
  else factor = 10 ** Number(suffix.slice(1));
  const bytes = Math.ceil(value * (factor ?? 1));
  return Number.isFinite(bytes) ? bytes : undefined;
}

/** A short human form (`1.5Gi`, `200Mi`, `512B`) for logs and the demo. */
export function formatBytes(bytes: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const unit of units) {
    const size = BINARY[unit]!;
    if (Math.abs(bytes) >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`;
    }
  }
  return `${bytes}B`;
}
