// The certificate and snapshot part of the on-call summary, on hand-written probe outputs with fixed dates (the
// namespace-host test, test/integration/host-certificates.test.ts, does the same from real probes).
import { describe, expect, it } from "vitest";
import { certificateNotices, renderCertificateNotices } from "../../../scripts/oncall/certificates";

const NOW = new Date("2026-12-01T00:00:00Z");
const probe = (site: string, host: string, o: Record<string, unknown>) => ({
    urn: `urn:pulumi:prod::edge-estate::x::${site}.${host}.probe`,
    type: "pulumi-nodejs:dynamic:HostProbe",
    outputs: { siteId: site, hostId: host, ...o },
});

describe("certificate notices", () => {
    const resources = [
        probe("a", "srv-a", { certEarliestFile: "serving-kube-apiserver.crt", certEarliestNotAfter: "2027-01-15T00:00:00.000Z", datastore: "etcd", lastSnapshotAt: "2026-11-30T20:00:00Z", lastSnapshotName: "s1" }),
        probe("b", "srv-a", { certEarliestFile: "client-admin.crt", certEarliestNotAfter: "2027-02-01T00:00:00.000Z", datastore: "sqlite", lastSnapshotAt: "" }),
        probe("c", "srv-a", { certEarliestFile: "server-ca.crt", certEarliestNotAfter: "2026-11-20T00:00:00.000Z", datastore: "sqlite", lastSnapshotAt: "2026-11-28T00:00:00Z", lastSnapshotName: "old.tar.gz" }),
        probe("d", "wrk-a", { datastore: "none", certProblem: "" }),
        probe("e", "srv-a", { certProblem: "openssl is not installed on the host: certificate expiry unknown", datastore: "etcd", lastSnapshotAt: "2026-11-30T23:00:00Z" }),
    ];

    it("lists certificates expiring within 60 days (45 days yes, 62 days no, expired first), unreadable ones, and missing or old snapshots", () => {
        const n = certificateNotices(resources, NOW);
        expect(n.expiring.map((c) => [c.site, c.daysLeft])).toEqual([["c", -11], ["a", 45]]);
        expect(n.unreadable.map((u) => u.site)).toEqual(["e"]);
        expect(n.backups).toEqual([
            { site: "b", host: "srv-a", problem: "sqlite datastore, no snapshot on the host" },
            { site: "c", host: "srv-a", problem: "sqlite datastore, newest snapshot old.tar.gz is 72 h old" },
        ]);
    });

    it("renders the sections, and nothing at all for healthy hosts", () => {
        const text = renderCertificateNotices(resources, NOW);
        expect(text).toContain("CERTIFICATES EXPIRING within 60 days: 2 hosts\n  c  srv-a  server-ca.crt EXPIRED 2026-11-20 (11 days ago)\n  a  srv-a  serving-kube-apiserver.crt expires 2027-01-15 (in 45 days)\n");
        expect(text).toContain("CERTIFICATES UNREADABLE: 1 host\n  e  srv-a  openssl is not installed");
        expect(text).toContain("DATASTORE SNAPSHOTS MISSING OR OLD (> 36 h): 2 hosts");
        expect(renderCertificateNotices([resources[3]], NOW)).toBe("");
    });
});
