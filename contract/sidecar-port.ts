/**
 * The port the sidecar serves /metrics and /healthz on unless told otherwise. The webhook starts
 * from it when it picks a port for an injected sidecar (the next free one if an app container
 * declares it), so both halves name one number.
 */
export const SIDECAR_METRICS_PORT = 9102;
