/**
 * Datastore snapshots per K3s server, as pure functions: HA sites (several servers, embedded etcd) use K3s' own
 * etcd-snapshot-schedule-cron / retention (written by step 03, see ./datastore), single-server sites (SQLite) a
 * systemd timer running scripts/remote/datastore-snapshot.sh. Every server also gets an hourly timer writing its
 * certificate expiry and last snapshot time for node-exporter's textfile collector (the CertificateExpiringSoon
 * and DatastoreSnapshotStale alerts read them). Retention is sized on each host from its disk.
 */
import type { HostConfig } from "../../config/types";
import { renderRemoteScript } from "../../host/remote-script";
import type { ExtraHostStep } from "../../host/steps";
import type { SitePlan } from "../../plan";
import { retentionEnv, TEXTFILE_DIR } from "./datastore";

/** The tool the timers run, as installed on the host (lib/common.sh inlined). */
export function snapshotToolText(): string {
    return renderRemoteScript({
        file: "datastore-snapshot.sh",
        env: {},
        header: ["edge-estate datastore snapshot tool; source: scripts/remote/datastore-snapshot.sh", "installed by the datastore-backup step; run by its systemd timers"],
    });
}

/** The datastore-backup step of a K3s server (none on agents); EdgeHost runs it after the add-on steps before it. */
export function backupHostSteps(plan: SitePlan, host: HostConfig): ExtraHostStep[] {
    if (host.role !== "server") return [];
    const tool = snapshotToolText();
    return [
        {
            name: "datastore-backup",
            file: "datastore-backup.sh",
            env: {
                EDGE_DATASTORE: plan.datastore,
                SQLITE_BACKUP_CALENDAR: plan.config.backups.sqliteBackupCalendar,
                ...retentionEnv(plan.config),
                EDGE_TEXTFILE_DIR: TEXTFILE_DIR,
                // Base64: the tool's own `$...` must reach the host unexpanded and unquoted (and shellcheck-clean).
                SNAPSHOT_TOOL_B64: Buffer.from(`${tool}\n`).toString("base64"),
            },
            triggers: [],
            timeout: "5m",
        },
    ];
}
