// Names and paths of what we add to a pod. The sidecar sees the logs at a fixed path of its own,
// whatever the app's log-dir, so its image never collides with the app's layout.
export const SIDECAR_CONTAINER = 'logward-sidecar';
export const LOGS_VOLUME = 'logward-logs';
export const ANNOTATIONS_VOLUME = 'logward-annotations';
export const SIDECAR_LOGS_PATH = '/var/logward/logs';
export const SIDECAR_ANNOTATIONS_DIR = '/etc/logward';
export const ANNOTATIONS_FILE = 'annotations';
export const METRICS_PORT_NAME = 'logward-metrics';
/** `nonroot` in distroless images: used when the app's own user is unknown or root. */
export const FALLBACK_UID = 65532;

/** `base`, else `base-2`, `base-3`, ...: the first not in `taken`. */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}
