import type { VersionInfo } from '@kubernetes/client-node';
import type { SidecarMode } from '../inject/sidecar-container.ts';
import type { KubeClient } from '../kube/client.ts';

export type SidecarModeFlag = SidecarMode | 'auto';

/** Native sidecars (init containers with restartPolicy Always) are on by default from 1.29. */
export const NATIVE_SIDECAR_MINOR = 29;

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

/** A node as far as the sidecar mode cares: its name and `status.nodeInfo.kubeletVersion`. */
export interface NodeKubelet {
  name: string;
  kubeletVersion: string;
}

export async function readServerVersion(client: KubeClient): Promise<ServerVersion> {
  const info = await client.request<VersionInfo>('GET', '/version');
  // Managed clusters report minors such as "29+".
  return {
    major: Number.parseInt(info.major, 10),
    minor: Number.parseInt(info.minor, 10),
    gitVersion: info.gitVersion,
  };
}

export type ModeResolution = { ok: true; mode: SidecarMode; why: string } | { ok: false; message: string };

/**
 * Which sidecar to inject. An API server older than 1.29 silently drops an init container's
 * restartPolicy, and a kubelet older than 1.29 (version skew allows a control plane ahead of its
 * nodes) runs such a container as a plain init container that never exits: either way the pod
 * hangs in Init forever. So `auto` picks native only when the API server and every node's
 * kubelet support it, and native is never accepted for a server known to be older.
 *
 * `nodes` undefined means not known (yet): auto then says classic, which never hangs a pod.
 */
export function resolveSidecarMode(
  flag: SidecarModeFlag,
  version: ServerVersion | undefined,
  nodes?: readonly NodeKubelet[],
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
  if (version === undefined) {
    return { ok: true, mode: 'native', why: 'no cluster credentials, so the server version is unknown' };
  }
  if (nodes === undefined) {
    return { ok: true, mode: 'classic', why: "the nodes' kubelet versions are not known yet" };
  }
  const old = nodes.find((node) => !kubeletSupportsNative(node.kubeletVersion));
  if (old) {
    return {
      ok: true,
      mode: 'classic',
      why: `node ${old.name} runs kubelet ${JSON.stringify(old.kubeletVersion)}, older than 1.${NATIVE_SIDECAR_MINOR}`,
    };
  }
  return {
    ok: true,
    mode: 'native',
    why: `API server ${version.gitVersion} and the kubelets of all ${nodes.length} nodes support native sidecars`,
  };
}

/** `v1.29.3`, `v1.30.1-eks-1a2b`, `v1.31.0+k3s1`; anything unreadable counts as too old. */
function kubeletSupportsNative(version: string): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || (major === 1 && minor >= NATIVE_SIDECAR_MINOR);
}
