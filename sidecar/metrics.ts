// The sidecar's Prometheus metrics, on a registry of their own (so tests and several instances
// in one process do not collide), plus the HTTP server for /metrics and /healthz.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActionResult } from './execute.ts';
import {
  type Counter,
  counter,
  createRegistry,
  type Gauge,
  gauge,
  type Histogram,
  histogram,
  type Registry,
} from './exposition.ts';

export interface Metrics {
  registry: Registry;
  usage: Gauge;
  unmanaged: Gauge;
  budget: Gauge;
  limit: Gauge;
  hardLimit: Gauge;
  compressedBytes: Counter;
  rotations: Counter;
  lastRotation: Gauge;
  deletedFiles: Counter<'reason'>;
  bytesAtRisk: Counter;
  droppedBytes: Counter;
  failures: Counter<'action' | 'code'>;
  sweepDuration: Histogram;
}

const DELETE_REASONS = [
  'over_max_files',
  'over_max_age',
  'over_max_total_size',
  'over_hard_limit',
  'leftover',
];

export function createMetrics(): Metrics {
  const registry = createRegistry();
  const metrics: Metrics = {
    registry,
    usage: gauge(registry, {
      name: 'logward_sidecar_usage_bytes',
      help: 'Allocated bytes (st_blocks*512) of everything in the log directory, as kubelet counts an emptyDir',
    }),
    unmanaged: gauge(registry, {
      name: 'logward_sidecar_unmanaged_bytes',
      help: 'Allocated bytes of files in the log directory that the sidecar leaves alone (not logs, hard-linked, or in a subdirectory without recursive): counted, never freed',
    }),
    budget: gauge(registry, {
      name: 'logward_sidecar_budget_bytes',
      help: 'Retention budget (max-total-size)',
    }),
    limit: gauge(registry, {
      name: 'logward_sidecar_limit_bytes',
      help: 'Size limit of the volume (size-limit)',
    }),
    hardLimit: gauge(registry, {
      name: 'logward_sidecar_hard_limit_bytes',
      help: 'Usage at which the largest live file is capped as a last resort (hard-limit)',
    }),
    compressedBytes: counter(registry, {
      name: 'logward_sidecar_compressed_bytes_total',
      help: 'Uncompressed bytes compressed into rotated files',
    }),
    rotations: counter(registry, {
      name: 'logward_sidecar_rotations_total',
      help: 'Live files capped with their head moved into a rotated file',
    }),
    lastRotation: gauge(registry, {
      name: 'logward_sidecar_last_rotation_timestamp_seconds',
      help: 'When the sidecar last rotated a file (capped a live file into a rotated one, or compressed a closed one), in seconds since the epoch; 0 before the first',
    }),
    deletedFiles: counter(registry, {
      name: 'logward_sidecar_deleted_files_total',
      help: 'Files deleted (or emptied in place, when an app may still hold them), by reason (over_max_files, over_max_age, over_max_total_size, over_hard_limit, leftover)',
      labelNames: ['reason'],
    }),
    bytesAtRisk: counter(registry, {
      name: 'logward_sidecar_bytes_at_risk_total',
      help: 'Bytes appended while a copy-then-truncate cap ran (filesystems without collapse-range); lines written in its last microseconds can be lost',
    }),
    droppedBytes: counter(registry, {
      name: 'logward_sidecar_dropped_bytes_total',
      help: 'Bytes dropped from live files by the last-resort cap at the hard limit',
    }),
    failures: counter(registry, {
      name: 'logward_sidecar_action_failures_total',
      help: 'Actions that failed, by action and error code',
      labelNames: ['action', 'code'],
    }),
    sweepDuration: histogram(registry, {
      name: 'logward_sidecar_sweep_duration_seconds',
      help: 'Duration of a pass: scan, plan and execute',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    }),
  };
  // Every reason from the start, at zero: a dashboard's rate() needs the series to exist.
  for (const reason of DELETE_REASONS) metrics.deletedFiles.inc({ reason }, 0);
  return metrics;
}

export function recordResults(metrics: Metrics, results: readonly ActionResult[]): void {
  for (const result of results) {
    const { action } = result;
    if (!result.ok) {
      metrics.failures.inc({ action: action.kind, code: result.code ?? 'unknown' });
      continue;
    }
    const { outcome } = result;
    if ((outcome.kind === 'removed' && !outcome.vanished) || outcome.kind === 'emptied') {
      metrics.deletedFiles.inc({ reason: action.kind === 'delete' ? action.reason : 'leftover' });
    } else if (outcome.kind === 'compressed') {
      metrics.compressedBytes.inc(outcome.bytesIn);
      metrics.lastRotation.set(Date.now() / 1000);
    } else if (outcome.kind === 'capped' && action.kind === 'cap') {
      if (outcome.rotated.length > 0) {
        metrics.rotations.inc();
        metrics.lastRotation.set(Date.now() / 1000);
        if (action.compression !== 'none') metrics.compressedBytes.inc(outcome.removedBytes);
      } else if (outcome.method !== 'none') {
        metrics.droppedBytes.inc(outcome.removedBytes);
      }
      metrics.bytesAtRisk.inc(outcome.bytesAtRisk);
    }
  }
}

/** Serves /metrics and /healthz. Port 0 picks a free port; the bound one is returned. */
// Not `import ... from 'node:http'`: an ES module import evaluates every export of a built-in,
// and node:http's WebSocket getter loads undici, 12 MiB and a quarter second for nothing.
const { createServer } = process.getBuiltinModule('node:http');

export async function serveMetrics(
  metrics: Metrics,
  port: number,
  healthy: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/metrics') {
      response
        .writeHead(200, { 'content-type': metrics.registry.contentType })
        .end(metrics.registry.render());
    } else if (request.url === '/healthz') {
      const ok = healthy();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
    listenOutsideCluster(server, port);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `server.listen(port)` without loading node:cluster. listen() asks the cluster module whether
 * this process is a cluster worker before binding, and loading it brings child_process, dgram
 * and the cluster's own modules, about 1.3 MiB resident in every pod for a question whose
 * answer is always no here. `_listen2` is the step listen() then takes in a process that is not
 * a worker (net.js calls it through the server, as an override point): the same bind, on `::`
 * and else 0.0.0.0 as for listen(port), the same 'listening' and 'error' events. Should a
 * Node drop it, plain listen() is the fallback.
 */
function listenOutsideCluster(server: Server, port: number): void {
  const bind = (server as unknown as { _listen2?: unknown })._listen2;
  if (typeof bind === 'function') bind.call(server, null, port, 4, 511);
  else server.listen(port);
}
