/**
 * The node's configuration files, as pure functions of where things live. The settings this
 * machine kind needs (see the comments) were found by trying; the ones chosen for speed are
 * marked as such and listed in docs/node-e2e.md.
 */

export interface Paths {
  dir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  cniConfDir: string;
  cniBinDir: string;
  cniDataDir: string;
  runc: string;
  kubeletRoot: string;
  podLogsDir: string;
}

export interface Network {
  bridge: string;
  /** The bridge's address: the node IP, the pods' gateway to the host. */
  address: string;
  prefixLength: number;
  /** The pod subnet in CIDR form. */
  subnet: string;
  serviceCidr: string;
}

/** containerd 2.x, config version 3: everything under the run's directory. */
export function containerdConfig(paths: Paths, sandboxImage: string): string {
  return `version = 3
root = ${toml(paths.containerdRoot)}
state = ${toml(paths.containerdState)}

[grpc]
  address = ${toml(paths.containerdSocket)}

[ttrpc]
  address = ${toml(`${paths.containerdSocket}.ttrpc`)}

[metrics]
  address = ""

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  # Nothing is pulled here: images are imported, the sandbox image among them.
  disable_pause_image_pull = true
  # Image filesystem stats every 2 s instead of 10 (speed, for the writable-layer figures).
  stats_collect_period = 2
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${toml(sandboxImage)}

[plugins."io.containerd.cri.v1.runtime"]
  # This machine kind lacks CAP_SYS_RESOURCE: negative oom_score_adj values fail every sandbox
  # ("can't get final child's PID from pipe: EOF") unless containerd keeps them at >= its own.
  restrict_oom_score_adj = true
  # Network namespaces under the run's state directory, not /run/netns.
  netns_mounts_under_state_dir = true
  # No CDI devices here, and no watcher on /etc/cdi or /var/run/cdi.
  cdi_spec_dirs = []
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [${toml(paths.cniBinDir)}]
    conf_dir = ${toml(paths.cniConfDir)}
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = ${toml(paths.runc)}
      Root = ${toml(`${paths.containerdState}/runc`)}
      SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/**
 * One bridge network, nothing routed off it: the pods' only routes are their subnet and the
 * Service range via the bridge's address (where kube-proxy's rules and the API server are).
 * No gateway mode, so the plugin never turns on IP forwarding; no masquerading.
 */
export function cniConfig(net: Network, paths: Paths): object {
  return {
    cniVersion: '1.0.0',
    name: 'logward-node',
    plugins: [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: {
          type: 'host-local',
          dataDir: paths.cniDataDir,
          ranges: [[{ subnet: net.subnet, gateway: net.address }]],
          routes: [{ dst: net.serviceCidr, gw: net.address }],
        },
      },
    ],
  };
}

export interface KubeletSettings {
  paths: Paths;
  net: Network;
  port: number;
  cgroupRoot: string;
  clientCaFile: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
}

export function kubeletConfig(s: KubeletSettings): object {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: s.net.address,
    port: s.port,
    // No other listener: no fixed well-known port may be taken on a shared machine.
    healthzPort: 0,
    readOnlyPort: 0,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: false },
      x509: { clientCAFile: s.clientCaFile },
    },
    // Only holders of a certificate from the run's throwaway CA get this far.
    authorization: { mode: 'AlwaysAllow' },
    tlsCertFile: s.tlsCertFile,
    tlsPrivateKeyFile: s.tlsPrivateKeyFile,
    containerRuntimeEndpoint: `unix://${s.paths.containerdSocket}`,
    podLogsDir: s.paths.podLogsDir,
    // This machine kind: a hybrid cgroup v1 layout (kubelet >= 1.35 refuses it unless told),
    // no systemd, swap possibly on.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: s.cgroupRoot,
    failSwapOn: false,
    // kubelet's own iptables chains are not needed: kube-proxy (nftables) does the Services.
    makeIPTablesUtilChains: false,
    // Speed, for a test node: volume usage measured every 2 s (eviction 8-13 s after a limit is
    // crossed instead of about 40 s), pod sync and downward API refresh every 10 s instead of 60.
    volumeStatsAggPeriod: '2s',
    syncFrequency: '10s',
    nodeStatusUpdateFrequency: '4s',
    evictionPressureTransitionPeriod: '10s',
    // Evict only for what the tests cause, never because the shared machine's disk or memory
    // happens to run low while they run.
    evictionHard: {
      'memory.available': '50Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
      'imagefs.inodesFree': '1%',
    },
    mergeDefaultEvictionSettings: false,
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 40,
    // No cluster DNS here; pods get none rather than the host's resolvers.
    resolvConf: '',
    shutdownGracePeriod: '0s',
  };
}

export interface KubeProxySettings {
  kubeconfig: string;
  nodeName: string;
  net: Network;
  healthzPort: number;
  metricsPort: number;
}

/** nftables mode: its rules live in two tables of its own (`ip kube-proxy`, `ip6 kube-proxy`). */
export function kubeProxyConfig(s: KubeProxySettings): object {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'nftables',
    clientConnection: { kubeconfig: s.kubeconfig },
    hostnameOverride: s.nodeName,
    bindAddress: s.net.address,
    healthzBindAddress: `127.0.0.1:${s.healthzPort}`,
    metricsBindAddress: `127.0.0.1:${s.metricsPort}`,
    clusterCIDR: s.net.subnet,
    nodePortAddresses: [`${s.net.address}/32`],
    // Leave the machine's conntrack settings alone (0: do not change) and its OOM score too
    // (lowering it needs CAP_SYS_RESOURCE, which this machine kind lacks).
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
      udpTimeout: '0s',
      udpStreamTimeout: '0s',
    },
    oomScoreAdj: 0,
    nftables: { syncPeriod: '30s', minSyncPeriod: '0s' },
  };
}

function toml(value: string): string {
  return JSON.stringify(value);
}
