// The datastore backup scripts run for real, as the exact text a host gets (rendered through the components),
// inside a private mount namespace whose K3s, edge-estate, systemd-unit and tool directories are empty tmpfs of
// known sizes, so the disk-sized retention is known: /var/lib/rancher 8 GiB x 10 % / 128 MiB = 6 etcd snapshots;
// /var/lib/edge-estate 2 GiB x 10 % / 128 MiB = 1, raised to the minimum of 3 SQLite backups.
// Proves: step 03 writes K3s' etcd snapshot schedule on an HA server and nothing on a single server; the backup
// step installs the tool and timers (idempotent: the second run changes nothing); the installed tool takes an
// online copy of a real SQLite database with the server token, prunes to the sized retention, and writes the
// certificate-expiry and snapshot metrics node-exporter reads. systemd is not running here: enabling the timers
// is not covered (the step says so).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backupHostSteps } from "../../../components/addons/backups/steps";
import type { EstateConfig, HostConfig, SiteConfig } from "../../../components/config/types";
import { validateEstateConfig } from "../../../components/config/validate";
import { type ExtraHostStep, planHostSteps, renderExtraStep, renderStep } from "../../../components/host/steps";
import { planSite } from "../../../components/plan";
import { generatedHostKey } from "../../../scripts/generate-stack";
import { requireRootOrSkip } from "../../support/root";

const runAsRoot = requireRootOrSkip("datastore backup scripts in a mount namespace");
const haveSqlite = spawnSync("sh", ["-c", "command -v sqlite3"]).status === 0;
if (runAsRoot && !haveSqlite && process.env.CI) throw new Error("sqlite3 is needed for the backup test: apt-get install sqlite3");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-backup-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MOUNTS = ["/var/lib/rancher", "/var/lib/edge-estate", "/etc/rancher", "/etc/edge-estate", "/etc/systemd/system", "/usr/local/lib/edge-estate", "/var/lib/node_exporter"];

function config(): EstateConfig {
    const h = (site: string, id: string, n: number) => ({ id, address: `192.0.2.${n}`, role: "server", hostKey: generatedHostKey(1, site, id) });
    return validateEstateConfig(
        {
            region: "test",
            monitoring: { hubSite: "ha" },
            sites: [
                { id: "ha", city: "HA", wave: 0, hosts: [h("ha", "srv-a", 10), h("ha", "srv-b", 11), h("ha", "srv-c", 12)] },
                { id: "single", city: "Single", wave: 0, hosts: [h("single", "srv-a", 20)] },
            ],
            backups: { sqliteBackupCalendar: "*-*-* 00/6:15:00" },
        },
        { sshPrivateKeyPresent: true, requirePins: false },
    );
}

/** Runs `body` (bash) in a private mount namespace with MOUNTS as fresh tmpfs; returns stdout+stderr and rc. */
function inNamespace(body: string): { rc: number; out: string } {
    for (const m of MOUNTS) fs.mkdirSync(m, { recursive: true });
    const size = (m: string) => (m === "/var/lib/rancher" ? "-o size=8g " : m === "/var/lib/edge-estate" ? "-o size=2g " : "");
    const setup = MOUNTS.map((m) => `mount -t tmpfs ${size(m)}tmpfs ${m}`).join(" && ");
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", `${setup} || exit 99\n${body}`], { encoding: "utf8", timeout: 60_000 });
    return { rc: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function writeScript(name: string, text: string): string {
    const f = path.join(work, name);
    fs.writeFileSync(f, text);
    return f;
}

/** The backup step's script as the host gets it (numbered after the host's own steps). */
function backupScript(cfg: EstateConfig, site: SiteConfig, host: HostConfig, edit?: (s: ExtraHostStep) => ExtraHostStep): string {
    const plan = planSite(cfg, site);
    const [step] = backupHostSteps(plan, host);
    return renderExtraStep(plan, host, planHostSteps(plan, host).length, 1, edit ? edit(step) : step).script;
}

const cert = (file: string, days: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${file}.key`, "-out", file, "-days", String(days), "-subj", "/CN=k3s"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    const end = spawnSync("openssl", ["x509", "-enddate", "-noout", "-in", file], { encoding: "utf8" }).stdout.trim().replace(/^notAfter=/, "");
    return Math.floor(Date.parse(end) / 1000);
};

describe.runIf(runAsRoot)("datastore backup scripts executed for real", () => {
    it("step 03 gives HA servers K3s' etcd snapshot schedule with a disk-sized retention; single servers get none", () => {
        const cfg = config();
        const [ha, single] = cfg.sites;
        const step03 = (site: typeof ha) => planHostSteps(planSite(cfg, site), site.hosts[0]).find((s) => s.name === "k3s-config")!;
        const haScript = writeScript("ha-03.sh", renderStep(ha, ha.hosts[0], step03(ha)));
        const singleScript = writeScript("single-03.sh", renderStep(single, single.hosts[0], step03(single)));
        const r = inNamespace(`
echo K10abababababababababababababababababababababababababababababababab::server:tokenha | bash ${haScript}; echo "rc=$?"
echo K10abababababababababababababababababababababababababababababababab::server:tokenha | bash ${haScript}; echo "rc=$?"
cat /etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml
stat -c 'mode=%a' /etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml
echo K10abababababababababababababababababababababababababababababababab::server:tokensingle | bash ${singleScript}; echo "rc=$?"
ls /etc/rancher/k3s/config.yaml.d/ | wc -l
`);
        expect(r.out).not.toContain("rc=1");
        expect(r.out.match(/rc=0/g)).toHaveLength(3);
        expect(r.out).toContain(`etcd-snapshot-schedule-cron: "0 */6 * * *"\netcd-snapshot-retention: 6\n`);
        expect(r.out).toContain("mode=600");
        expect(r.out).toMatch(/wrote \/etc\/rancher\/k3s\/config.yaml.d\/50-edge-estate-snapshots.yaml \(every '0 \*\/6 \* \* \*', keeping 6\)/);
        expect(r.out).toContain("/etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml unchanged");
        // The single server's run removed it again (same namespace: a host that stopped being HA).
        expect(r.out).toContain("removed /etc/rancher/k3s/config.yaml.d/50-edge-estate-snapshots.yaml (not an HA server)");
        expect(r.out.trim().split("\n").at(-1)).toBe("0");
    });

    it.runIf(haveSqlite)("the backup step installs tool and timers idempotently; the tool backs up SQLite online, prunes to the sized retention and writes the metrics", () => {
        const cfg = config();
        const single = cfg.sites[1];
        const host = single.hosts[0];
        expect(backupHostSteps(planSite(cfg, single), host).map((s) => s.name)).toEqual(["datastore-backup"]);
        const script = writeScript("single-backup.sh", backupScript(cfg, single, host));
        // Real certificate files, made by openssl in a staging dir and copied into the namespace's K3s tls dir.
        const tls = path.join(work, "tls");
        const apiserverEnd = cert(path.join(tls, "serving-kube-apiserver.crt"), 20);
        const caEnd = cert(path.join(tls, "server-ca.crt"), 3650);
        const etcdEnd = cert(path.join(tls, "etcd", "peer-server-client.crt"), 300);
        const r = inNamespace(`
mkdir -p /var/lib/rancher/k3s/server/db
cp -r ${tls} /var/lib/rancher/k3s/server/tls
sqlite3 /var/lib/rancher/k3s/server/db/state.db "create table kine (id integer primary key, name text, value blob); insert into kine (name, value) values ('/registry/a', 'x'), ('/registry/b', 'y');"
printf 'K10abc::server:secret\\n' > /var/lib/rancher/k3s/server/token
bash ${script} > ${work}/step1.out 2>&1; echo "step1=$?"
bash ${script} > ${work}/step2.out 2>&1; echo "step2=$?"
stat -c '%a %n' /usr/local/lib/edge-estate/datastore-snapshot.sh
ls /etc/systemd/system
grep -h OnCalendar /etc/systemd/system/edge-estate-sqlite-backup.timer
for i in 1 2 3 4 5 6 7 8; do /usr/local/lib/edge-estate/datastore-snapshot.sh sqlite-backup > ${work}/backup.$i.out 2>&1 || echo "backup $i failed"; done
ls /var/lib/edge-estate/backups/sqlite | wc -l
newest=$(ls /var/lib/edge-estate/backups/sqlite | sort | tail -n 1)
mkdir ${work}/restore && tar -xzf /var/lib/edge-estate/backups/sqlite/$newest -C ${work}/restore
cat /var/lib/edge-estate/backups/last-sqlite-backup
/usr/local/lib/edge-estate/datastore-snapshot.sh metrics
cat /var/lib/node_exporter/textfile_collector/edge_estate_host.prom
stat -c 'dir=%a' /var/lib/edge-estate/backups/sqlite
`);
        expect(r.out, fs.readFileSync(path.join(work, "step1.out"), "utf8")).toContain("step1=0");
        expect(r.out).toContain("step2=0");
        const step1 = fs.readFileSync(path.join(work, "step1.out"), "utf8");
        const step2 = fs.readFileSync(path.join(work, "step2.out"), "utf8");
        expect(step1).toContain("wrote /usr/local/lib/edge-estate/datastore-snapshot.sh");
        expect(step1).toContain("wrote /etc/systemd/system/edge-estate-sqlite-backup.timer");
        expect(step1).toContain("SQLite datastore: backups on '*-*-* 00/6:15:00', keeping 3 (sized for this disk)");
        expect(step1).toContain("systemd is not running here: units written, timers not enabled");
        expect(step2).not.toContain("wrote ");
        expect(step2).toContain("/etc/systemd/system/edge-estate-sqlite-backup.timer unchanged");
        expect(r.out).toContain("755 /usr/local/lib/edge-estate/datastore-snapshot.sh");
        for (const u of ["edge-estate-host-metrics.service", "edge-estate-host-metrics.timer", "edge-estate-sqlite-backup.service", "edge-estate-sqlite-backup.timer"]) expect(r.out).toContain(u);
        expect(r.out).toContain("OnCalendar=*-*-* 00/6:15:00");
        expect(r.out).not.toContain("failed");
        // 8 backups on a 2 GiB disk: 3 are kept, the 5 oldest pruned.
        expect(fs.readFileSync(path.join(work, "backup.8.out"), "utf8")).toMatch(/keeping 3\)/);
        expect(fs.readFileSync(path.join(work, "backup.8.out"), "utf8")).toMatch(/pruned k3s-sqlite-\S+ \(keeping 3\)/);
        expect(r.out).toMatch(/\n3\n/);
        // The newest backup is a consistent copy with the token beside it.
        const restored = spawnSync("sqlite3", [path.join(work, "restore", "state.db"), "select name from kine order by id"], { encoding: "utf8" }).stdout;
        expect(restored).toBe("/registry/a\n/registry/b\n");
        expect(fs.readFileSync(path.join(work, "restore", "token"), "utf8")).toBe("K10abc::server:secret\n");
        expect(r.out).toMatch(/^ok \d+ k3s-sqlite-\d{8}T\d{6}\.\d{9}Z\.tar\.gz \d+$/m);
        expect(r.out).toContain("dir=700");
        // The metrics: one line per certificate with openssl's own notAfter, and the snapshot time.
        expect(r.out).toContain(`edge_k3s_certificate_expiry_timestamp_seconds{file="serving-kube-apiserver.crt"} ${apiserverEnd}`);
        expect(r.out).toContain(`edge_k3s_certificate_expiry_timestamp_seconds{file="server-ca.crt"} ${caEnd}`);
        expect(r.out).toContain(`edge_k3s_certificate_expiry_timestamp_seconds{file="etcd/peer-server-client.crt"} ${etcdEnd}`);
        const snap = Number(/^edge_datastore_last_snapshot_timestamp_seconds (\d+)$/m.exec(r.out)![1]);
        expect(Math.abs(snap - Date.now() / 1000)).toBeLessThan(120);
        // promtool accepts the textfile (the format node-exporter parses).
        const prom = path.join(work, "host.prom");
        fs.writeFileSync(prom, /# HELP edge_k3s[\s\S]*$/.exec(r.out)![0].split("\ndir=")[0] + "\n");
        const check = spawnSync("sh", ["-c", `promtool check metrics < ${prom}`], { encoding: "utf8" });
        expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    });

    it("the backup step refuses an agent host and an unknown datastore", () => {
        const cfg = config();
        const single = cfg.sites[1];
        const bad = writeScript("bad.sh", backupScript(cfg, single, single.hosts[0], (s) => ({ ...s, env: { ...s.env, EDGE_DATASTORE: "mysql" } })));
        const agent = writeScript("agent.sh", backupScript(cfg, single, single.hosts[0], (s) => ({ ...s, env: { ...s.env, EDGE_ROLE: "agent" } })));
        // Agents get no backup step at all.
        expect(backupHostSteps(planSite(cfg, single), { ...single.hosts[0], role: "agent" })).toEqual([]);
        const r = inNamespace(`bash ${bad} 2>&1; echo "bad=$?"; bash ${agent} 2>&1; echo "agent=$?"`);
        expect(r.out).toContain("EDGE_DATASTORE must be etcd or sqlite, got 'mysql'");
        expect(r.out).toContain("bad=1");
        expect(r.out).toContain("datastore backups run on K3s servers only (role agent)");
        expect(r.out).toContain("agent=1");
    });
});
