import { type KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { SidecarMode } from './sidecar-container.ts';

export type SidecarModeFlag = SidecarMode | 'auto';

/** Native sidecars (init containers with restartPolicy Always) are on by default from 1.29. */
export const NATIVE_SIDECAR_MINOR = 29;

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

export async function readServerVersion(kubeConfig: KubeConfig): Promise<ServerVersion> {
  const info = await kubeConfig.makeApiClient(VersionApi).getCode();
  // Managed clusters report minors such as "29+".
  return {
    major: Number.parseInt(info.major, 10),
    minor: Number.parseInt(info.minor, 10),
    gitVersion: info.gitVersion,
  };
}

export type ModeResolution = { ok: true; mode: SidecarMode; why: string } | { ok: false; message: string };

/**
 * Which sidecar to inject. An older API server silently drops an init container's
 * restartPolicy, and the pod then hangs in Init forever, so native is never chosen, nor
 * accepted, for a server known to be older than 1.29.
 */
export function resolveSidecarMode(
  flag: SidecarModeFlag,
  version: ServerVersion | undefined,
): ModeResolution {
  const supportsNative = version === undefined || version.major > 1 || version.minor >= NATIVE_SIDECAR_MINOR;
  if (flag === 'classic') return { ok: true, mode: 'classic', why: '--sidecar-mode=classic' };
  if (!supportsNative) {
    if (flag === 'native') {
      return {
        ok: false,
        message: `--sidecar-mode=native: the API server is ${version?.gitVersion}, older than 1.${NATIVE_SIDECAR_MINOR}, and would drop the sidecar's restartPolicy so pods hang in Init; use --sidecar-mode=classic or auto`,
      };
    }
    return {
      ok: true,
      mode: 'classic',
      why: `API server ${version?.gitVersion} is older than 1.${NATIVE_SIDECAR_MINOR}`,
    };
  }
  if (flag === 'native') return { ok: true, mode: 'native', why: '--sidecar-mode=native' };
  return {
    ok: true,
    mode: 'native',
    why: version
      ? `API server ${version.gitVersion} supports native sidecars`
      : 'no cluster credentials, so the server version is unknown',
  };
}
