// The host probe's certificate and snapshot facts, read from real OpenSSH hosts in network namespaces (netns-lab)
// whose /var/lib/rancher and /var/lib/edge-estate hold real certificate files made by openssl and real datastore
// snapshots: one an HA server (etcd) whose API server certificate expires in 20 days and whose newest etcd
// snapshot is 3 days old, one a single server (SQLite) backed up by the real snapshot tool run over SSH.
// The on-call summary of a stack export holding these probe outputs lists the server whose certificate expires
// within 60 days (and only it) and the server whose snapshot is stale.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotToolText } from "../../components/addons/backups/steps";
import { HOST_PROBE_TYPE, type HostProbeInputs, type HostProbeState, hostProbeProvider } from "../../components/host/probe";
import { main as summarise } from "../../scripts/oncall/summarise";
import { requireRootOrSkip } from "../support/root";
import { type Lab, type LabHost, startLab } from "./lab";

const haveTools = fs.existsSync("/usr/sbin/sshd") && spawnSync("sh", ["-c", "command -v openssl && command -v sqlite3"]).status === 0;
if (!haveTools && process.env.CI) throw new Error("these tests need openssh-server, openssl and sqlite3");
const RUN = haveTools && requireRootOrSkip("host certificate probe against sshd in network namespaces");
const ROLES: Record<string, [string, string]> = { a: ["sh-pudong", "srv-a"], b: ["hz-xihu", "srv-a"] };
const DAY = 86_400_000;

let lab: Lab;
const probed: Record<string, HostProbeState> = {};
const notAfter: Record<string, Record<string, number>> = { a: {}, b: {} };

function inputsFor(h: LabHost): HostProbeInputs {
    const [siteId, hostId] = ROLES[h.name];
    return { siteId, hostId, address: h.address, port: 22, user: "root", hostKey: h.hostKey, privateKey: lab.clientKey, expectedK3sVersion: "v1.30.4+k3s1", connectTimeoutSeconds: 3, createAttempts: 1 };
}

/** A self-signed certificate valid `days` days from now; returns openssl's own notAfter (ms). */
function cert(file: string, days: number): number {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${file}.key`, "-out", file, "-days", String(days), "-subj", "/CN=k3s"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return Date.parse(spawnSync("openssl", ["x509", "-enddate", "-noout", "-in", file], { encoding: "utf8" }).stdout.trim().replace(/^notAfter=/, ""));
}

/** Runs a bash script on a lab host over real SSH (OpenSSH client, the host's pinned key). */
function sshRun(h: LabHost, script: string, args: string[] = []): { rc: number; out: string } {
    const keyFile = path.join(lab.dir, "client_key");
    const known = path.join(lab.dir, `known_${h.name}`);
    fs.writeFileSync(known, `${h.address} ${h.hostKey}\n`);
    const r = spawnSync("ssh", ["-i", keyFile, "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `root@${h.address}`, "bash", "-s", "--", ...args], { input: script, encoding: "utf8", timeout: 30_000 });
    return { rc: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!RUN)("host probe: K3s certificates and datastore snapshots on real sshd hosts", () => {
    beforeAll(async () => {
        lab = await startLab(["a", "b"]);
        fs.chmodSync(path.join(lab.dir, "client_key"), 0o600);
        // a: HA server (embedded etcd). Certificates as K3s lays them out, one expiring in 20 days.
        const a = path.join(lab.hosts.a.rancherDir, "k3s", "server");
        notAfter.a["server-ca.crt"] = cert(path.join(a, "tls", "server-ca.crt"), 3650);
        notAfter.a["client-admin.crt"] = cert(path.join(a, "tls", "client-admin.crt"), 365);
        notAfter.a["serving-kube-apiserver.crt"] = cert(path.join(a, "tls", "serving-kube-apiserver.crt"), 20);
        notAfter.a["etcd/peer-server-client.crt"] = cert(path.join(a, "tls", "etcd", "peer-server-client.crt"), 45);
        fs.mkdirSync(path.join(a, "db", "etcd", "member"), { recursive: true });
        fs.mkdirSync(path.join(a, "db", "snapshots"), { recursive: true });
        const old = path.join(a, "db", "snapshots", "etcd-snapshot-sh-pudong-srv-a-1764000000");
        fs.writeFileSync(old, "snapshot");
        const threeDaysAgo = new Date(Date.now() - 3 * DAY);
        fs.utimesSync(old, threeDaysAgo, threeDaysAgo);
        // b: single server (SQLite), certificates good for a year; backed up below by the real tool.
        const b = path.join(lab.hosts.b.rancherDir, "k3s", "server");
        notAfter.b["server-ca.crt"] = cert(path.join(b, "tls", "server-ca.crt"), 3650);
        notAfter.b["serving-kube-apiserver.crt"] = cert(path.join(b, "tls", "serving-kube-apiserver.crt"), 300);
        fs.mkdirSync(path.join(b, "db"), { recursive: true });
        spawnSync("sqlite3", [path.join(b, "db", "state.db"), "create table kine (id integer primary key, name text); insert into kine (name) values ('/registry/x');"]);
        fs.writeFileSync(path.join(b, "token"), "K10abc::server:secret\n");
    }, 60_000);

    afterAll(async () => {
        await lab?.stop();
    });

    it("the snapshot tool backs up host b's SQLite datastore when run over SSH", () => {
        const r = sshRun(lab.hosts.b, snapshotToolText(), ["sqlite-backup"]);
        expect(r.rc, r.out).toBe(0);
        const files = fs.readdirSync(path.join(lab.hosts.b.edgeStateDir, "backups", "sqlite"));
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(/^k3s-sqlite-\d{8}T\d{6}\.\d{9}Z\.tar\.gz$/);
        // Host a's namespace does not see b's backup (each host has its own /var/lib/edge-estate).
        expect(fs.existsSync(path.join(lab.hosts.a.edgeStateDir, "backups"))).toBe(false);
    });

    it("the probe reads the earliest certificate, the datastore and the newest snapshot of each host", async () => {
        for (const name of ["a", "b"]) {
            const r = (await hostProbeProvider.create(inputsFor(lab.hosts[name]))) as { outs: HostProbeState };
            expect(r.outs.status, r.outs.lastError).toBe("ok");
            probed[name] = r.outs;
        }
        const a = probed.a;
        expect(a.datastore).toBe("etcd");
        expect(a.certCount).toBe(4);
        expect(a.certEarliestFile).toBe("serving-kube-apiserver.crt");
        expect(Date.parse(a.certEarliestNotAfter)).toBe(notAfter.a["serving-kube-apiserver.crt"]);
        expect(a.certProblem).toBe("");
        expect(a.lastSnapshotName).toBe("etcd-snapshot-sh-pudong-srv-a-1764000000");
        expect(Math.abs(Date.parse(a.lastSnapshotAt) - (Date.now() - 3 * DAY))).toBeLessThan(60_000);

        const b = probed.b;
        expect(b.datastore).toBe("sqlite");
        expect(b.certCount).toBe(2);
        expect(b.certEarliestFile).toBe("serving-kube-apiserver.crt");
        expect(Date.parse(b.certEarliestNotAfter)).toBe(notAfter.b["serving-kube-apiserver.crt"]);
        expect(b.lastSnapshotName).toMatch(/^k3s-sqlite-/);
        expect(Math.abs(Date.parse(b.lastSnapshotAt) - Date.now())).toBeLessThan(120_000);
    }, 30_000);

    it("a refresh of an unchanged host returns the same certificate and snapshot facts", async () => {
        const again = (await hostProbeProvider.read!("sh-pudong/srv-a", probed.a)) as { props: HostProbeState };
        expect(again.props).toEqual(probed.a);
    });

    it("the on-call summary lists the server whose certificate expires within 60 days, and the stale snapshot", () => {
        const resources = ["a", "b"].map((n) => ({
            urn: `urn:pulumi:prod::edge-estate::edge-estate:index:Site$${HOST_PROBE_TYPE}::${ROLES[n].join(".")}.probe`,
            type: HOST_PROBE_TYPE,
            parent: `urn:pulumi:prod::edge-estate::edge-estate:index:Site::${ROLES[n][0]}`,
            inputs: {},
            outputs: { ...probed[n], privateKey: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } },
        }));
        const file = path.join(lab.dir, "export.json");
        fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources } }));
        let out = "";
        const rc = summarise(["--stack", "prod", file], { out: (t) => (out += t), err: (t) => (out += t) });
        expect(rc, out).toBe(0);
        const section = out.slice(out.indexOf("CERTIFICATES EXPIRING"));
        expect(section).toMatch(/^CERTIFICATES EXPIRING within 60 days: 1 host\n {2}sh-pudong {2}srv-a {2}serving-kube-apiserver\.crt expires \d{4}-\d\d-\d\d \(in 19 days\)\n/);
        expect(section.split("\n\n")[0]).not.toContain("hz-xihu");
        expect(out).toContain(`expires ${new Date(notAfter.a["serving-kube-apiserver.crt"]).toISOString().slice(0, 10)}`);
        expect(out).toContain('fix: rotate wave by wave, see docs/day2.md "Certificate rotation"');
        expect(out).toMatch(/DATASTORE SNAPSHOTS MISSING OR OLD \(> 36 h\): 1 host\n {2}sh-pudong {2}srv-a {2}etcd datastore, newest snapshot etcd-snapshot-sh-pudong-srv-a-1764000000 is 72 h old/);
        expect(out).not.toContain("K10abc");
    });
});
