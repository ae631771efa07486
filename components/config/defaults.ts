/**
 * The one place for pinned versions, default URLs and the default 4 GiB site budget.
 * Pulumi.yaml's `config:` defaults and the policy pack's configSchema defaults must equal these
 * (test/components/config/defaults.test.ts holds them together).
 */
import type { ArtifactsConfig, BudgetConfig, Versions } from "./types";

export const PROJECT = "edge-estate";

export const DEFAULT_VERSIONS: Versions = {
    k3s: "v1.30.4+k3s1",
    // runwasi containerd-shim-wasmedge v0.6.0 statically embeds WasmEdge 0.14.1.
    wasmedgeShim: "v0.6.0",
    gatekeeper: "3.15.1",
    mosquitto: "2.0.18",
    prometheus: "v2.53.0",
    grafana: "11.2.0",
    nodeExporter: "v1.8.2",
};

export const DEFAULT_ARTIFACTS: Omit<ArtifactsConfig, "checksums" | "unpinned"> = {
    mode: "download",
    k3sBaseUrl: "https://github.com/k3s-io/k3s/releases/download",
    k3sInstallScriptBaseUrl: "https://raw.githubusercontent.com/k3s-io/k3s",
    shimBaseUrl: "https://github.com/containerd/runwasi/releases/download",
    cacheDir: ".cache/artifacts",
    arch: "amd64",
};

/** Release asset names for one architecture. */
export function k3sAssetNames(arch: "amd64" | "arm64") {
    return {
        binary: arch === "amd64" ? "k3s" : "k3s-arm64",
        airgapImages: `k3s-airgap-images-${arch}.tar.zst`,
        checksums: `sha256sum-${arch}.txt`,
    };
}

export function shimAssetName(arch: "amd64" | "arm64"): string {
    return `containerd-shim-wasmedge-${arch === "amd64" ? "x86_64" : "aarch64"}-linux-musl.tar.gz`;
}

/**
 * Budget for a 2 vCPU / 4 GiB host. The K3s server reserve follows the upstream profiling figures
 * (a server with workload uses 0.5-1.6 GB); agents need about 256-512 MB.
 */
export const DEFAULT_BUDGET: BudgetConfig = {
    host: { cpu: "2", memory: "4Gi" },
    k3sReserve: {
        server: { cpu: "500m", memory: "1600Mi" },
        agent: { cpu: "200m", memory: "512Mi" },
    },
    classes: {
        wasm: { cpu: "1", memory: "256Mi" },
        default: { cpu: "1", memory: "1Gi" },
    },
    components: {
        tracking: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
        broker: { requests: { cpu: "25m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
        gatekeeperController: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "400m", memory: "512Mi" } },
        gatekeeperAudit: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "300m", memory: "384Mi" } },
        prometheusAgent: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "300m", memory: "256Mi" } },
        nodeExporter: { requests: { cpu: "10m", memory: "24Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        prometheusHub: { requests: { cpu: "200m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        grafana: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    },
};

export const DEFAULT_TRACKING = { replicas: 1, httpPort: 8080 };
export const DEFAULT_SSH = { dialErrorLimit: 30, perDialTimeout: 15, acceptUnknownHostKeys: false };

/** Rollout health gate defaults; the p99 default is the tracking SLO the alert rules use (30 ms). */
export const DEFAULT_HEALTH_GATE = { soakSeconds: 900, trackingP99Ms: 30, queryTimeoutSeconds: 30 };
/** K3s' own default is every 12 h keeping 5; the edge sites snapshot every 6 h and size retention from the disk. */
export const DEFAULT_BACKUPS = { etcdSnapshotCron: "0 */6 * * *", sqliteBackupCalendar: "*-*-* 00/6:15:00", maxDiskPercent: 10, minRetention: 3, maxRetention: 28 };
