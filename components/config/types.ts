/**
 * The typed inventory of one region stack. Everything the components need flows in through `EstateConfig`,
 * produced only by `validateEstateConfig` (validate.ts) from the raw `edge-estate:*` stack config.
 */

export type HostRole = "server" | "agent";

/** A CPU/memory pair in Kubernetes quantity notation ("500m", "1", "256Mi", "4Gi"). */
export interface ResourcePair {
    cpu: string;
    memory: string;
}

export interface ContainerResources {
    requests: ResourcePair;
    limits: ResourcePair;
}

export interface HostTaint {
    key: string;
    value?: string;
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface HostConfig {
    /** Stable id, unique within the site; part of every resource name of this host. */
    id: string;
    /** IPv4, IPv6 or DNS name the SSH connection and the K3s API use. */
    address: string;
    role: HostRole;
    port: number;
    user: string;
    /**
     * OpenSSH public host key, canonical "<type> <base64>" (a pasted comment is dropped at validation). Every SSH
     * connection pins it; required unless ssh.acceptUnknownHostKeys is true.
     */
    hostKey?: string;
    labels: Record<string, string>;
    taints: HostTaint[];
}

export interface SiteConfig {
    /** Stable id (DNS label), unique within the region; keys the site's resources and its Kubernetes provider. */
    id: string;
    city: string;
    /** Upgrade wave: 0 = canary. A rollout limited to wave N touches sites with wave <= N only. */
    wave: number;
    hosts: HostConfig[];
    /** Tracking-service replicas on this site (overrides tracking.replicas). */
    trackingReplicas?: number;
    /**
     * Id of the server that bootstraps the cluster (runs cluster-init); unset = the server with the lowest id.
     * See components/config/topology.ts.
     */
    bootstrapServer?: string;
}

/** Pinned versions of everything installed on a site. */
export interface Versions {
    k3s: string;
    wasmedgeShim: string;
    gatekeeper: string;
    mosquitto: string;
    prometheus: string;
    grafana: string;
    nodeExporter: string;
}

export type ArtifactArch = "amd64" | "arm64";

/** sha256 (hex) of every artifact the hosts install, per version and architecture. */
export interface ArtifactChecksums {
    k3s: Record<string, Partial<Record<ArtifactArch, string>>>;
    k3sAirgapImages: Record<string, Partial<Record<ArtifactArch, string>>>;
    k3sInstallScript: Record<string, string>;
    wasmedgeShim: Record<string, Partial<Record<ArtifactArch, string>>>;
}

export interface ArtifactsConfig {
    /** "download": hosts fetch from the mirrors; "airgap": `scripts/fetch-artifacts.sh` caches them locally and Pulumi pushes them over SSH. */
    mode: "download" | "airgap";
    /** Base URL of the K3s release mirror; the host fetches `<base>/<version>/<asset>`. */
    k3sBaseUrl: string;
    /** Base URL of the K3s install script mirror; the host fetches `<base>/<version>/install.sh`. */
    k3sInstallScriptBaseUrl: string;
    /** Base URL of the runwasi release mirror; the host fetches `<base>/containerd-shim-wasmedge/<version>/<asset>`. */
    shimBaseUrl: string;
    /** Local cache used in airgap mode (relative to the project root). Never committed. */
    cacheDir: string;
    /** Host architecture of the whole region (the estate buys one hardware model per region). */
    arch: ArtifactArch;
    checksums: ArtifactChecksums;
    /** Config keys of digests that are still missing (only possible in preview/synth; `up` refuses them). */
    unpinned: string[];
}

export interface RegistryMirror {
    endpoints: string[];
}

export interface RegistriesConfig {
    mirrors: Record<string, RegistryMirror>;
    /**
     * Registries or repository prefixes workloads may pull from ("registry.example.com", "docker.io/prom"),
     * enforced per site by Gatekeeper. Unset = the defaults in components/addons/gatekeeper/policy.ts.
     */
    allowed?: string[];
}

export interface BudgetConfig {
    /** Capacity of one site host. */
    host: ResourcePair;
    /** What K3s itself (and the OS) keeps on a host, by role; the rest is allocatable to workloads. */
    k3sReserve: Record<HostRole, ResourcePair>;
    /** Per-container limit ceilings by workload class. */
    classes: {
        /** Pods with runtimeClassName wasmedge. */
        wasm: ResourcePair;
        /** Everything else. */
        default: ResourcePair;
    };
    /** Requests/limits of each add-on container we run, by component key. */
    components: Record<string, ContainerResources>;
}

export interface TrackingConfig {
    replicas: number;
    httpPort: number;
    /** Container image reference when a registry is used; unset = ship the OCI archive over SSH and import it. */
    registryImage?: string;
}

export interface MonitoringConfig {
    /** Site id whose cluster hosts the regional Prometheus receiver + Grafana. */
    hubSite: string;
}

export interface RolloutConfig {
    /** Sites with wave <= throughWave get `versions`; the others keep `previousVersions`. Unset = all sites. */
    throughWave?: number;
    /** Versions the sites outside the rollout keep (only needed while a rollout is in progress). */
    previousVersions?: Partial<Versions>;
}

/** The health gate a rollout wave must pass before the next wave starts (scripts/rollout/gate.ts). */
export interface HealthGateConfig {
    /** Prometheus HTTP API of the region hub. Unset = https://<first server of monitoring.hubSite>:30990 (TLS from the region CA). */
    prometheusUrl?: string;
    /** How long the sites of a wave must stay healthy after its `up` (the window every check looks at). */
    soakSeconds: number;
    /** Tracking p99 over the soak window must stay at or under this (the SLO). */
    trackingP99Ms: number;
    /** Per-query timeout against the hub. */
    queryTimeoutSeconds: number;
}

/** Datastore snapshots: K3s' etcd schedule on HA sites, a systemd timer for SQLite on single-server sites. */
export interface BackupsConfig {
    /** K3s etcd-snapshot-schedule-cron (HA sites). */
    etcdSnapshotCron: string;
    /** systemd OnCalendar of the SQLite backup timer (single-server sites). */
    sqliteBackupCalendar: string;
    /** Snapshots may use at most this share (percent) of the datastore's filesystem; retention is sized from it on the host. */
    maxDiskPercent: number;
    /** Bounds of the sized retention (number of snapshots kept). */
    minRetention: number;
    maxRetention: number;
}

/** Device identity: the region device CA (operator-held, `npm run devices`); only its certificate and CRL are here. */
export interface DevicesConfig {
    /** PEM of the device CA certificate: the broker's device listener accepts client certificates it signed. */
    caCert: string;
    /** PEM of the CA's current CRL (revoked devices); optional until the first revocation. */
    crl?: string;
}

export interface EstateConfig {
    project: string;
    region: string;
    sites: SiteConfig[];
    versions: Versions;
    artifacts: ArtifactsConfig;
    registries?: RegistriesConfig;
    budget: BudgetConfig;
    tracking: TrackingConfig;
    monitoring: MonitoringConfig;
    rollout: RolloutConfig;
    /** Unset = no device CA yet: the broker has no device listener and devices cannot connect. */
    devices?: DevicesConfig;
    healthGate: HealthGateConfig;
    backups: BackupsConfig;
    /** SSH connection tuning for hosts that are still booting. */
    ssh: {
        dialErrorLimit: number;
        perDialTimeout: number;
        /** Opt-out of pinned host keys (hosts without `hostKey` accept any key); reported on every run. */
        acceptUnknownHostKeys: boolean;
    };
}
