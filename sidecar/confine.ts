// Keeps every operation inside the log directory. The directory is opened once per pass and
// everything else is reached through `/proc/self/fd/N/<name>`: the kernel resolves
// `/proc/self/fd/N` to the directory we opened (wherever it is now, whatever path once led to
// it), then looks up one name in it. A subdirectory is opened the same way with O_NOFOLLOW and
// O_DIRECTORY, so a component swapped for a symlink mid-pass is refused (ELOOP or ENOTDIR)
// instead of followed, and only the last component of any path is ever looked up by name.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DIRECTORY_FLAGS, errorCode, type SidecarFs } from './fs.ts';

export interface Confined {
  /** `/proc/self/fd/N` for the directory `relative` (`''` for the log directory itself). */
  directory(relative: string): Promise<string>;
  /** `/proc/self/fd/N`: the directory that holds `name` (a relative, `/`-separated name). */
  dirOf(name: string): Promise<string>;
  /** The path to `name` itself, through its directory's descriptor. */
  pathOf(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openConfined(fs: SidecarFs, dir: string): Promise<Confined> {
  // The directory itself is given by whoever started us (it may be a symlink to the volume).
  const root = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const rootPath = `/proc/self/fd/${root.fd}`;
  try {
    await fs.lstat(rootPath);
  } catch (error) {
    await root.close();
    throw Object.assign(
      new Error(
        `cannot reach ${JSON.stringify(dir)} through /proc/self/fd (${errorCode(error) ?? String(error)}): the sidecar needs /proc to stay inside its directory`,
      ),
      { code: errorCode(error) },
    );
  }
  const handles: FileHandle[] = [root];
  // Directory (relative name) -> its descriptor's path, or the error that refused it.
  const opened = new Map<string, Promise<string>>([['', Promise.resolve(rootPath)]]);

  const open = (relative: string): Promise<string> => {
    let found = opened.get(relative);
    if (!found) {
      const slash = relative.lastIndexOf('/');
      const parent = slash === -1 ? '' : relative.slice(0, slash);
      const base = relative.slice(slash + 1);
      found = open(parent).then(async (parentPath) => {
        const handle = await fs.open(`${parentPath}/${base}`, DIRECTORY_FLAGS);
        handles.push(handle);
        return `/proc/self/fd/${handle.fd}`;
      });
      opened.set(relative, found);
    }
    return found;
  };

  const dirOf = (name: string) => {
    const slash = name.lastIndexOf('/');
    return open(slash === -1 ? '' : name.slice(0, slash));
  };
  return {
    directory: open,
    dirOf,
    async pathOf(name) {
      return `${await dirOf(name)}/${name.slice(name.lastIndexOf('/') + 1)}`;
    },
    async close() {
      opened.clear();
      await Promise.all(handles.splice(0).map((handle) => handle.close().catch(() => {})));
    },
  };
}
