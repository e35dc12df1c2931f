import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir (ext4 here), removed by the returned function. */
export function makeTempDir(prefix = 'logward-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A small tmpfs, where collapse-range is refused: the copy-then-truncate fallback for real.
 * Undefined when mounting is not allowed; callers then force the fallback instead.
 */
export function mountTmpfs(sizeMiB: number): { dir: string; remove: () => void } | undefined {
  const { dir, remove } = makeTempDir('logward-tmpfs-');
  const mount = join(dir, 'mnt');
  mkdirSync(mount);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', mount], { stdio: 'ignore' });
  } catch {
    remove();
    return undefined;
  }
  return {
    dir: mount,
    remove: () => {
      execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      remove();
    },
  };
}
