/**
 * Which datastore a site's K3s uses and the snapshot settings the host scripts get (pure; no other imports, so
 * components/host/steps.ts can read it without an import cycle).
 */
import type { EstateConfig, HostConfig, SiteConfig } from "../../config/types";

/** Where the host metrics land; node-exporter reads it through its /host/root mount. */
export const TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector";
/** Size one snapshot is assumed to take when sizing retention (a small edge cluster's datastore is tens of MiB). */
export const SNAPSHOT_ESTIMATE_MIB = 128;

export type Datastore = "etcd" | "sqlite";

/** Several servers = embedded etcd (the first has cluster-init); one server = K3s' default SQLite. */
export function siteDatastore(site: SiteConfig): Datastore {
    return site.hosts.filter((h) => h.role === "server").length > 1 ? "etcd" : "sqlite";
}

export function retentionEnv(config: EstateConfig): Record<string, string> {
    const b = config.backups;
    return {
        BACKUP_MAX_DISK_PERCENT: String(b.maxDiskPercent),
        BACKUP_MIN_RETENTION: String(b.minRetention),
        BACKUP_MAX_RETENTION: String(b.maxRetention),
        SNAPSHOT_ESTIMATE_MIB: String(SNAPSHOT_ESTIMATE_MIB),
    };
}

/** Step 03's extra environment: the etcd snapshot schedule, on servers of HA sites only. */
export function etcdSnapshotEnv(config: EstateConfig, site: SiteConfig, host: HostConfig): Record<string, string> {
    if (host.role !== "server" || siteDatastore(site) !== "etcd") return {};
    return { K3S_ETCD_SNAPSHOT_CRON: config.backups.etcdSnapshotCron, ...retentionEnv(config) };
}
