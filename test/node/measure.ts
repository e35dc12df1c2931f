/**
 * What the node tests measure from the host, where the truth is: a container's overlay
 * upperdir (its writable layer), allocated bytes as kubelet counts them, a container's
 * processes and their uid, and the contents of a log directory, rotated files decompressed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { readMounts } from './host.ts';

/** The upperdir of a running container's rootfs overlay: where its own writes land. */
export async function upperDir(containerId: string): Promise<string> {
  const mounts = await readMounts();
  const rootfs = mounts.find(
    (m) => m.fsType === 'overlay' && m.mountPoint.includes(containerId) && m.mountPoint.endsWith('/rootfs'),
  );
  const upper = /(?:^|,)upperdir=([^,]+)/.exec(rootfs?.options ?? '')?.[1];
  if (!upper) throw new Error(`no overlay rootfs mount for container ${containerId}`);
  return upper;
}

/** Allocated bytes (st_blocks * 512) of everything under `dir`, symlinks not followed. */
export async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await allocatedBytes(path);
    else
      total += await stat(path).then(
        (s) => s.blocks * 512,
        () => 0,
      );
  }
  return total;
}

/** `containerd://<id>` of a container status, as its bare id. */
export function containerIdOf(status: { containerID?: string } | undefined): string {
  const id = status?.containerID?.replace(/^[a-z]+:\/\//, '');
  if (!id) throw new Error('the container has no ID yet');
  return id;
}

/** PIDs of the processes of a container: those whose cgroup path names it. */
export async function containerPids(containerId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cgroup = await readFile(`/proc/${entry}/cgroup`, 'utf8').catch(() => '');
    if (cgroup.includes(containerId)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * The real uids of a container's processes. A process that exits between the listing and the
 * read (a shell's short-lived child, a `sleep`) is skipped, not an error.
 */
export async function containerUids(containerId: string): Promise<number[]> {
  const uids: number[] = [];
  for (const pid of await containerPids(containerId)) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ESRCH') return undefined;
      throw error;
    });
    if (status !== undefined) uids.push(Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]));
  }
  return uids;
}

export interface LogFile {
  name: string;
  bytes: number;
  uid: number;
}

/**
 * Every file of a log directory as text, rotated files decompressed. Hidden files are a
 * sidecar's unfinished temporaries (their source still exists) and are skipped. A file that
 * vanishes or is half-written while read (the sidecar is still at work) means: read again.
 */
export async function readLogDir(
  dir: string,
  attempts = 10,
): Promise<{ files: LogFile[]; contents: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const files: LogFile[] = [];
      const contents: string[] = [];
      for (const name of (await readdir(dir)).sort()) {
        if (name.startsWith('.')) continue;
        const path = join(dir, name);
        const info = await stat(path);
        if (!info.isFile()) continue;
        const raw = await readFile(path);
        files.push({ name, bytes: raw.length, uid: info.uid });
        contents.push(decompress(name, raw).toString('latin1'));
      }
      return { files, contents };
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function decompress(name: string, raw: Buffer): Buffer {
  if (name.endsWith('.gz')) return gunzipSync(raw);
  if (name.endsWith('.zst')) return zstdDecompressSync(raw);
  return raw;
}
