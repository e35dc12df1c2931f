import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import { wrap } from '../../base/errors.ts';

export interface KeyPair {
  cert: string;
  key: string;
}

/** Reads and checks a certificate and key, so a bad pair is refused before it is served. */
export async function loadKeyPair(certFile: string, keyFile: string): Promise<KeyPair> {
  let pair: KeyPair;
  try {
    pair = { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch (error) {
    throw wrap(`read TLS certificate "${certFile}" and key "${keyFile}"`, error);
  }
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new Error(
      `TLS certificate "${certFile}" and key "${keyFile}" do not form a usable pair: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return pair;
}

/**
 * Calls `onChange` with the new pair whenever the files change. Kubernetes updates a mounted
 * Secret by swapping a `..data` symlink in the directory, so we watch the directories rather
 * than the files, and re-check on a timer in case an event was missed. A pair that fails to load
 * (cert-manager writes two files, not atomically for us) is retried on the next event or tick.
 */
export function watchKeyPair(
  certFile: string,
  keyFile: string,
  current: KeyPair,
  onChange: (pair: KeyPair) => void,
  onError: (error: Error) => void,
  intervalMs = 30_000,
): () => void {
  let last = current;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      const next = await loadKeyPair(certFile, keyFile);
      if (next.cert === last.cert && next.key === last.key) return;
      last = next;
      onChange(next);
    } catch (error) {
      onError(error as Error);
    }
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(check, 100);
  };
  const watchers = [...new Set([dirname(certFile), dirname(keyFile)])].map((dir) => watch(dir, soon));
  const interval = setInterval(check, intervalMs);
  interval.unref();
  return () => {
    for (const watcher of watchers) watcher.close();
    clearInterval(interval);
    clearTimeout(timer);
  };
}
