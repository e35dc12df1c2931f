import type { Manifest } from './tools.ts';

// The Pod Security Standards' "restricted" profile (which includes "baseline"), as the
// pod-security admission plugin checks it, for the fields our manifests can set:
// https://kubernetes.io/docs/concepts/security/pod-security-standards/

const ALLOWED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** What in a pod spec violates "restricted", one line each; empty when it passes. */
export function restrictedViolations(spec: Manifest): string[] {
  const problems: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[host]) problems.push(`${host} is true`);
  }
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    for (const type of types) {
      if (!ALLOWED_VOLUMES.includes(type)) problems.push(`volume ${volume.name} is a ${type}`);
    }
  }
  if (pod.runAsUser === 0) problems.push('pod runAsUser is 0');
  if (pod.sysctls?.length) problems.push('pod sets sysctls');
  const podSeccomp = pod.seccompProfile?.type;
  if (podSeccomp !== undefined && !['RuntimeDefault', 'Localhost'].includes(podSeccomp)) {
    problems.push(`pod seccompProfile is ${podSeccomp}`);
  }

  const containers: Manifest[] = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const container of containers) {
    const name = `container ${container.name}`;
    const sc = container.securityContext ?? {};
    if (sc.privileged) problems.push(`${name} is privileged`);
    if (sc.allowPrivilegeEscalation !== false)
      problems.push(`${name} does not set allowPrivilegeEscalation: false`);
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) problems.push(`${name} does not drop ALL capabilities`);
    for (const added of sc.capabilities?.add ?? []) {
      if (added !== 'NET_BIND_SERVICE') problems.push(`${name} adds capability ${added}`);
    }
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true)
      problems.push(`${name} may run as root (runAsNonRoot)`);
    if (sc.runAsUser === 0) problems.push(`${name} runAsUser is 0`);
    const seccomp = sc.seccompProfile?.type ?? podSeccomp;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) {
      problems.push(`${name} has no RuntimeDefault or Localhost seccompProfile`);
    }
    if (sc.procMount !== undefined && sc.procMount !== 'Default') problems.push(`${name} sets procMount`);
    for (const port of container.ports ?? []) {
      if (port.hostPort) problems.push(`${name} uses hostPort ${port.hostPort}`);
    }
  }
  return problems;
}
