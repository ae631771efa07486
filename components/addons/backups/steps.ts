/**
 * Datastore snapshots per K3s server, as pure functions: HA sites (several servers, embedded etcd) use K3s' own
 * etcd-snapshot-schedule-cron / retention (written by step 03), single-server sites (SQLite) a systemd timer
 * running scripts/remote/datastore-snapshot.sh. Every server also gets an hourly timer writing its certificate
 * expiry and last snapshot time for node-exporter's textfile collector (the CertificateExpiringSoon and
 * DatastoreSnapshotStale alerts read them). Retention is sized on each host from its disk.
 */
import type { EstateConfig, HostConfig, SiteConfig, Versions } from "../../config/types";
import { renderRemoteScript } from "../../host/remote-script";
import { type AddonHostStep, addonHostStep } from "../tracking";
import { retentionEnv, siteDatastore, TEXTFILE_DIR } from "./datastore";

export { etcdSnapshotEnv, siteDatastore, TEXTFILE_DIR } from "./datastore";
/** The tool the timers run, as installed on the host (lib/common.sh inlined). */
export function snapshotToolText(): string {
    return renderRemoteScript({
        file: "datastore-snapshot.sh",
        env: {},
        header: ["edge-estate datastore snapshot tool; source: scripts/remote/datastore-snapshot.sh", "installed by the datastore-backup step; run by its systemd timers"],
    });
}

/** The add-on step on a server host, ordered after the tracking image import (offset 1). */
export function datastoreBackupStep(config: EstateConfig, site: SiteConfig, host: HostConfig, versions: Versions): AddonHostStep {
    return addonHostStep(
        config,
        site,
        host,
        versions,
        "datastore-backup",
        "datastore-backup.sh",
        {
            EDGE_DATASTORE: siteDatastore(site),
            SQLITE_BACKUP_CALENDAR: config.backups.sqliteBackupCalendar,
            ...retentionEnv(config),
            EDGE_TEXTFILE_DIR: TEXTFILE_DIR,
            // Base64: the tool's own `$...` must reach the host unexpanded and unquoted (and shellcheck-clean).
            SNAPSHOT_TOOL_B64: Buffer.from(`${snapshotToolText()}\n`).toString("base64"),
        },
        1,
    );
}
