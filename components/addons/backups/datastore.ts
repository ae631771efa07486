/**
 * The snapshot settings the host scripts get for a site's datastore (SitePlan.datastore); pure and with type-only
 * imports, so components/host/steps.ts can read it without an import cycle.
 */
import type { EstateConfig, HostConfig } from "../../config/types";
import type { SitePlan } from "../../plan";

/** Where the host metrics land; node-exporter reads it through its /host/root mount. */
export const TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector";
/** Size one snapshot is assumed to take when sizing retention (a small edge cluster's datastore is tens of MiB). */
export const SNAPSHOT_ESTIMATE_MIB = 128;

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
export function etcdSnapshotEnv(plan: SitePlan, host: HostConfig): Record<string, string> {
    if (host.role !== "server" || plan.datastore !== "etcd") return {};
    return { K3S_ETCD_SNAPSHOT_CRON: plan.config.backups.etcdSnapshotCron, ...retentionEnv(plan.config) };
}
