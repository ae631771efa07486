// The snapshot settings step 03 gets per host, on the prod stack file (sh-pudong: 3 servers = etcd; hz-xihu:
// one server = SQLite). Expected values are Pulumi.yaml's default edge-estate:backups, written out.
import { describe, expect, it } from "vitest";
import { etcdSnapshotEnv, retentionEnv, SNAPSHOT_ESTIMATE_MIB, TEXTFILE_DIR } from "../../../../components/addons/backups/datastore";
import { loadStackFile } from "../../../../components/config/load";
import { planEstate } from "../../../../components/plan";

const { config } = loadStackFile("Pulumi.prod.yaml");
const plans = planEstate(config).sites;
const plan = (id: string) => plans.find((p) => p.site.id === id)!;
const host = (site: string, id: string) => plan(site).site.hosts.find((h) => h.id === id)!;

describe("datastore settings", () => {
    it("retention comes from edge-estate:backups", () => {
        expect(retentionEnv(config)).toEqual({ BACKUP_MAX_DISK_PERCENT: "10", BACKUP_MIN_RETENTION: "3", BACKUP_MAX_RETENTION: "28", SNAPSHOT_ESTIMATE_MIB: "128" });
        expect(SNAPSHOT_ESTIMATE_MIB).toBe(128);
        expect(TEXTFILE_DIR).toBe("/var/lib/node_exporter/textfile_collector");
    });

    it("K3s' etcd snapshot schedule on every server of an HA site, nothing on agents or single-server sites", () => {
        const etcd = { K3S_ETCD_SNAPSHOT_CRON: "0 */6 * * *", BACKUP_MAX_DISK_PERCENT: "10", BACKUP_MIN_RETENTION: "3", BACKUP_MAX_RETENTION: "28", SNAPSHOT_ESTIMATE_MIB: "128" };
        for (const h of ["srv-a", "srv-b", "srv-c"]) expect(etcdSnapshotEnv(plan("sh-pudong"), host("sh-pudong", h)), h).toEqual(etcd);
        expect(etcdSnapshotEnv(plan("sh-pudong"), host("sh-pudong", "wrk-a"))).toEqual({});
        expect(etcdSnapshotEnv(plan("hz-xihu"), host("hz-xihu", "srv-a"))).toEqual({});
        expect(plan("sh-pudong").datastore).toBe("etcd");
        expect(plan("sz-gusu").datastore).toBe("sqlite");
    });
});
