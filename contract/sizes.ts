// The sizes of a policy in bytes, against the size limit kubelet enforces. Shares (`80%`) are
// of that limit. When the log volume's own sizeLimit is below the one the annotations name (the
// webhook reused a volume that had one), the volume's is the limit: a quantity chosen for the
// larger limit then takes its default share of the smaller one, so the budget keeps its shape.
import { KEYS, type KeyName, type KindOf, ROWS } from './keys.ts';
import type { SettingsRead, Share } from './kinds.ts';
import { formatBytes, parseQuantity } from './quantity.ts';

/** The rows whose value is a share of the size limit, or a quantity. */
const SHARE_ROWS = ROWS.filter((row) => row.kind === 'percent-or-quantity').map((row) => ({
  ...row,
  name: row.name as ShareName,
  /** The default's percent (`80%` -> 80): what a quantity that no longer fits becomes. */
  defaultPercent: row.default === undefined ? undefined : Number.parseFloat(row.default),
}));

type ShareName = { [N in KeyName]: KindOf<N> extends 'percent-or-quantity' ? N : never }[KeyName];

/** Bytes by row name; absent where the value was refused (its problem says why). */
export type Sizes = Partial<Record<'sizeLimit' | ShareName, number>>;

export function resolveSizes(
  settings: Readonly<SettingsRead>,
  text: (name: KeyName) => string | undefined,
  volumeSizeLimit: string | undefined,
  warn: (warning: string) => void,
): Sizes {
  const asked = settings.sizeLimit;
  const volume = volumeSizeLimit === undefined ? undefined : parseQuantity(volumeSizeLimit);
  const shrunk = volume !== undefined && asked !== undefined && volume < asked;
  const limit = shrunk ? volume : asked;
  const sizes: Sizes = { sizeLimit: limit };
  const smallerVolume = `the volume's sizeLimit ${volumeSizeLimit?.trim()} is below ${quoted(KEYS.sizeLimit, text('sizeLimit'))}; the sidecar budgets against ${formatBytes(limit ?? 0)}`;
  let said = false;
  for (const row of SHARE_ROWS) {
    const share: Share | undefined = settings[row.name];
    if (share === undefined) continue;
    if ('percent' in share) {
      if (limit !== undefined) sizes[row.name] = Math.floor((limit * share.percent) / 100);
    } else if (
      shrunk &&
      limit !== undefined &&
      row.defaultPercent !== undefined &&
      share.bytes > (limit * row.defaultPercent) / 100
    ) {
      warn(`${smallerVolume}, and ${quoted(row.key, text(row.name))} becomes ${row.defaultPercent}% of it`);
      said = true;
      sizes[row.name] = Math.floor((limit * row.defaultPercent) / 100);
    } else {
      sizes[row.name] = share.bytes;
    }
  }
  if (shrunk && !said) warn(smallerVolume);
  return sizes;
}

function quoted(key: string, text: string | undefined): string {
  return `${key}: ${JSON.stringify(text)}`;
}
