/**
 * The certificate and backup part of the on-call summary, from the host probes' facts in a stack export:
 * servers whose earliest K3s certificate expires within 60 days (K3s renews them only when it starts), servers
 * whose certificates could not be read, and servers whose newest datastore snapshot is missing or old.
 */
import { HOST_PROBE_TYPE } from "../../components/host/probe";
import type { ExportResource } from "./summarise";

export const CERT_NOTICE_DAYS = 60;
export const SNAPSHOT_STALE_HOURS = 36;

const DAY_MS = 86_400_000;

export interface CertificateNotice {
    site: string;
    host: string;
    file: string;
    notAfter: string;
    daysLeft: number;
}

export interface BackupNotice {
    site: string;
    host: string;
    problem: string;
}

export function certificateNotices(resources: ExportResource[], now = new Date(), days = CERT_NOTICE_DAYS): { expiring: CertificateNotice[]; unreadable: BackupNotice[]; backups: BackupNotice[] } {
    const expiring: CertificateNotice[] = [];
    const unreadable: BackupNotice[] = [];
    const backups: BackupNotice[] = [];
    for (const r of resources) {
        if (r.type !== HOST_PROBE_TYPE) continue;
        const o = { ...(r.inputs ?? {}), ...(r.outputs ?? {}) } as Record<string, unknown>;
        const site = String(o.siteId ?? "?");
        const host = String(o.hostId ?? "?");
        const notAfter = String(o.certEarliestNotAfter ?? "");
        const t = Date.parse(notAfter);
        if (Number.isFinite(t) && t - now.getTime() < days * DAY_MS) {
            expiring.push({ site, host, file: String(o.certEarliestFile ?? ""), notAfter, daysLeft: Math.floor((t - now.getTime()) / DAY_MS) });
        }
        if (o.certProblem) unreadable.push({ site, host, problem: String(o.certProblem) });
        const datastore = String(o.datastore ?? "");
        if (datastore === "etcd" || datastore === "sqlite") {
            const at = Date.parse(String(o.lastSnapshotAt ?? ""));
            if (!Number.isFinite(at)) backups.push({ site, host, problem: `${datastore} datastore, no snapshot on the host` });
            else if (now.getTime() - at > SNAPSHOT_STALE_HOURS * 3_600_000)
                backups.push({ site, host, problem: `${datastore} datastore, newest snapshot ${String(o.lastSnapshotName)} is ${Math.round((now.getTime() - at) / 3_600_000)} h old` });
        }
    }
    expiring.sort((a, b) => a.daysLeft - b.daysLeft || a.site.localeCompare(b.site) || a.host.localeCompare(b.host));
    return { expiring, unreadable, backups };
}

export function renderCertificateNotices(resources: ExportResource[], now = new Date()): string {
    const { expiring, unreadable, backups } = certificateNotices(resources, now);
    const out: string[] = [];
    if (expiring.length) {
        out.push("", `CERTIFICATES EXPIRING within ${CERT_NOTICE_DAYS} days: ${expiring.length} host${expiring.length === 1 ? "" : "s"}`);
        for (const c of expiring)
            out.push(`  ${c.site}  ${c.host}  ${c.file} ${c.daysLeft < 0 ? "EXPIRED" : "expires"} ${c.notAfter.slice(0, 10)} (${c.daysLeft < 0 ? `${-c.daysLeft} days ago` : `in ${c.daysLeft} days`})`);
        out.push("  fix: rotate wave by wave, see docs/day2.md \"Certificate rotation\" (K3s renews them when it restarts)");
    }
    if (unreadable.length) {
        out.push("", `CERTIFICATES UNREADABLE: ${unreadable.length} host${unreadable.length === 1 ? "" : "s"}`);
        for (const u of unreadable) out.push(`  ${u.site}  ${u.host}  ${u.problem}`);
    }
    if (backups.length) {
        out.push("", `DATASTORE SNAPSHOTS MISSING OR OLD (> ${SNAPSHOT_STALE_HOURS} h): ${backups.length} host${backups.length === 1 ? "" : "s"}`);
        for (const b of backups) out.push(`  ${b.site}  ${b.host}  ${b.problem}`);
    }
    return out.length ? `${out.join("\n")}\n` : "";
}
