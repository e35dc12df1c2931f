// What `logward.io/log-dir` may be. The webhook mounts a volume there, hiding whatever the image
// or another mount had at that path, and the sidecar compresses and deletes files in it: a
// system directory would break the container or hand the sidecar files that are not logs.

export type LogDirCheck = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Directories a log volume must not cover, nor sit inside: the container's system files, the
 * kernel's pseudo-filesystems, runtime state, kubelet's own directory and the service-account
 * token; and /lib with its variants (lib32, lib64, libx32).
 */
const SYSTEM_DIRECTORIES: readonly string[] = [
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/usr',
  '/bin',
  '/sbin',
  '/boot',
  '/run',
  '/var/run',
  '/var/lib/kubelet',
  '/var/run/secrets/kubernetes.io/serviceaccount',
];

// Control characters have no place in a path a person means, and would garble logs and messages.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a log directory and returns it clean: repeated slashes, `.` segments and a trailing
 * slash are dropped (`/log/./` is `/log`), so a second spelling of a path cannot add a second
 * mount over the first. `..` is refused rather than resolved: it says one path and means another.
 */
export function checkLogDir(text: string): LogDirCheck {
  if (CONTROL.test(text)) return { ok: false, reason: 'contains a control character' };
  if (!text.startsWith('/')) return { ok: false, reason: 'is not an absolute path' };
  const segments = text.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, reason: 'contains "..", which points elsewhere' };
  const path = `/${segments.join('/')}`;
  if (path === '/') return { ok: false, reason: 'is the root directory' };
  const system = systemDirectoryOf(path);
  if (system !== undefined) {
    return {
      ok: false,
      reason:
        system === path
          ? `is the system directory ${system}`
          : path.startsWith(`${system}/`)
            ? `is inside the system directory ${system}`
            : `would hide the system directory ${system}`,
    };
  }
  return { ok: true, path };
}

/** The system directory `path` is, is inside, or contains; undefined when it touches none. */
function systemDirectoryOf(path: string): string | undefined {
  const first = path.split('/')[1] ?? '';
  if (/^lib(?:32|64|x32)?$/.test(first)) return `/${first}`;
  return SYSTEM_DIRECTORIES.find(
    (dir) => path === dir || path.startsWith(`${dir}/`) || dir.startsWith(`${path}/`),
  );
}
