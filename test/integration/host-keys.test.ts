// Pinned host keys against real OpenSSH servers (Debian sshd in network namespaces, netns-lab.sh). The program
// runs under mocks with the lab hosts as a site; every resource that connects over SSH is taken from what was
// registered (connection, command text, stdin, copy target) and dialled at a host that presents ANOTHER key:
//   - remote.Command (every provisioning step, the add-on image import) and remote.CopyToRemote (airgap pushes,
//     the tracking image) are dialled with the OpenSSH client, its known_hosts built from the registered
//     `connection.hostKey`. The Pulumi command provider binary is not available here, so OpenSSH stands in
//     for its Go SSH client; what is proven is that every registered connection carries the pin and that a
//     pin of this form refuses the impostor before authentication.
//   - the host probe (our own ssh2 client) is called directly.
// "No command and no token" is read from the impostor's own sshd log: no session was ever authenticated.
// Also: npm run host-keys collects the lab's ed25519 keys and flags a host whose key differs from its pin.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EstateConfig } from "../../components/config/types";
import { validateEstateConfig } from "../../components/config/validate";
import { hostProbeProvider, type HostProbeInputs } from "../../components/host/probe";
import { isSecretEnvelope } from "../../scripts/synth/secrets";
import { requireRootOrSkip } from "../support/root";
import { registerUnderMocks, type Registered } from "../components/host/probe-mocks";
import { type Lab, type LabHost, startLab } from "./lab";

const haveSshd = fs.existsSync("/usr/sbin/sshd") && fs.existsSync("/usr/bin/ssh") && fs.existsSync("/usr/bin/ssh-keyscan");
if (!haveSshd && process.env.CI) throw new Error("host key tests must run in CI: install openssh-server openssh-client iproute2");
const RUN = haveSshd && requireRootOrSkip("host key tests against sshd in network namespaces");
const root = path.join(__dirname, "..", "..");

const unwrap = (v: unknown): any => (isSecretEnvelope(v) ? unwrap(v.value) : v);

let lab: Lab;
let keyFile: string;

/** The site as the stack file would have it; `pins` chooses which lab host's key each host pins. */
function labConfig(pins: Record<string, string>, extra: Record<string, unknown> = {}): EstateConfig {
    const host = (n: string, id: string, role: string) => ({ id, address: lab.hosts[n].address, role, hostKey: lab.hosts[pins[n] ?? n].hostKey });
    return validateEstateConfig(
        {
            region: "cn-east",
            monitoring: { hubSite: "sh-pudong" },
            sites: [{ id: "sh-pudong", city: "上海浦东", wave: 0, hosts: [host("a", "srv-a", "server"), host("b", "wrk-a", "agent")] }],
            ...extra,
        },
        { sshPrivateKeyPresent: true, requirePins: false },
    );
}

function knownHosts(conn: { host: string; port: number; hostKey: string }): string {
    const file = path.join(lab.dir, `known_hosts-${conn.host}-${Math.random().toString(36).slice(2)}`);
    const name = conn.port === 22 ? conn.host : `[${conn.host}]:${conn.port}`;
    fs.writeFileSync(file, `${name} ${conn.hostKey}\n`);
    return file;
}

function sshOptions(conn: { host: string; port: number; user: string; hostKey: string }): string[] {
    return [
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${knownHosts(conn)}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", `HostKeyAlgorithms=${conn.hostKey.split(" ")[0]}`,
        "-o", "ConnectTimeout=5",
        "-i", keyFile,
        "-p", String(conn.port),
        "-l", conn.user,
    ];
}

const sshdLog = (h: LabHost) => fs.readFileSync(path.join(h.dir, "sshd.log"), "utf8");
const accepted = (log: string) => (log.match(/Accepted publickey/g) ?? []).length;

describe.skipIf(!RUN)("pinned host keys against real sshd hosts", () => {
    let wrong: Registered[];

    beforeAll(async () => {
        lab = await startLab(["a", "b"]);
        keyFile = path.join(lab.dir, "client_key");
        // Every host pins the OTHER lab host's key: each connection meets an impostor.
        wrong = await registerUnderMocks(labConfig({ a: "b", b: "a" }, { artifacts: { mode: "airgap" } }));
    }, 120_000);

    afterAll(async () => {
        await lab?.stop();
    });

    it("every registered SSH connection pins the configured key", () => {
        const connecting = wrong.filter((r) => r.type === "command:remote:Command" || r.type === "command:remote:CopyToRemote");
        expect(connecting.length).toBeGreaterThan(10);
        for (const r of connecting) {
            const conn = unwrap(r.inputs.connection);
            const expected = conn.host === lab.hosts.a.address ? lab.hosts.b.hostKey : lab.hosts.a.hostKey;
            expect(conn.hostKey, r.name).toBe(expected);
        }
    });

    it("remote.Command: an impostor gets no session, so no command runs and the token on stdin never leaves", () => {
        const commands = wrong.filter((r) => r.type === "command:remote:Command");
        const kinds = new Set(commands.map((r) => r.name.replace(/^[^.]+\.[^.]+\.\d+-/, "")));
        expect(kinds).toContain("k3s-config");
        expect([...kinds].some((k) => /image/.test(k)), [...kinds].join(",")).toBe(true);
        for (const r of commands) {
            const conn = unwrap(r.inputs.connection);
            const target = Object.values(lab.hosts).find((h) => h.address === conn.host)!;
            const before = accepted(sshdLog(target));
            const stdin = r.inputs.stdin === undefined ? "" : String(unwrap(r.inputs.stdin));
            const res = spawnSync("ssh", [...sshOptions(conn), conn.host, String(unwrap(r.inputs.create))], { input: stdin, encoding: "utf8", timeout: 20_000 });
            expect(res.status, `${r.name}: ${res.stderr}`).toBe(255);
            expect(res.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
            expect(accepted(sshdLog(target)), `${r.name} authenticated at the impostor`).toBe(before);
        }
    }, 120_000);

    it("remote.CopyToRemote: an impostor gets no SFTP session and no file", () => {
        const copies = wrong.filter((r) => r.type === "command:remote:CopyToRemote");
        expect(copies.some((r) => r.name.endsWith("push-tracking-image"))).toBe(true);
        expect(copies.some((r) => /push-k3s-/.test(r.name))).toBe(true);
        const payload = path.join(lab.dir, "payload");
        fs.writeFileSync(payload, "artifact bytes");
        for (const r of copies) {
            const conn = unwrap(r.inputs.connection);
            const target = Object.values(lab.hosts).find((h) => h.address === conn.host)!;
            const before = accepted(sshdLog(target));
            const remotePath = String(r.inputs.remotePath);
            const res = spawnSync("sftp", [...sshOptions(conn).map((o) => (o === "-p" ? "-P" : o)).filter((o) => o !== "-l" && o !== conn.user), "-b", "-", `${conn.user}@${conn.host}`], {
                input: `put ${payload} ${remotePath}\n`,
                encoding: "utf8",
                timeout: 20_000,
            });
            expect(res.status, `${r.name}: ${res.stderr}`).not.toBe(0);
            expect(res.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
            expect(accepted(sshdLog(target))).toBe(before);
            expect(fs.existsSync(remotePath)).toBe(false);
        }
    }, 120_000);

    it("the same connections with the right pin do authenticate (the refusal is the key, nothing else)", async () => {
        const right = await registerUnderMocks(labConfig({}));
        const r = right.find((x) => x.type === "command:remote:Command" && x.name.endsWith("k3s-config"))!;
        const conn = unwrap(r.inputs.connection);
        const target = Object.values(lab.hosts).find((h) => h.address === conn.host)!;
        const before = accepted(sshdLog(target));
        // A harmless command: the lab hosts share this machine's file system, so no step is run here.
        const res = spawnSync("ssh", [...sshOptions(conn), conn.host, "true"], { encoding: "utf8", timeout: 20_000 });
        expect(res.status, res.stderr).toBe(0);
        expect(accepted(sshdLog(target))).toBe(before + 1);
    }, 120_000);

    it("the host probe refuses an impostor and records host-key-mismatch", async () => {
        const a = lab.hosts.a;
        const before = accepted(sshdLog(a));
        const inputs: HostProbeInputs = { siteId: "sh-pudong", hostId: "srv-a", address: a.address, port: 22, user: "root", hostKey: lab.hosts.b.hostKey, privateKey: lab.clientKey, expectedK3sVersion: "v1.30.4+k3s1", connectTimeoutSeconds: 3, createAttempts: 1 };
        // The first probe (create) fails outright rather than record a host it could not trust.
        await expect(hostProbeProvider.create(inputs)).rejects.toThrow(`host-key-mismatch: host presented ${a.hostKeyFingerprint}, not the configured hostKey`);
        expect(accepted(sshdLog(a))).toBe(before);
    });

    it("npm run host-keys collects each host's ed25519 key and flags one that differs from its pin", () => {
        const stack = path.join(lab.dir, "Pulumi.lab.yaml");
        const yaml = (pinA: string) =>
            `config:\n  edge-estate:region: cn-east\n  edge-estate:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----"\n  edge-estate:monitoring: { hubSite: s }\n` +
            `  edge-estate:sites:\n    - id: s\n      city: Lab\n      wave: 0\n      hosts:\n` +
            `        - { id: srv-a, address: ${lab.hosts.a.address}, role: server${pinA} }\n        - { id: wrk-a, address: ${lab.hosts.b.address}, role: agent }\n`;
        fs.writeFileSync(stack, yaml(""));
        const ok = spawnSync("npx", ["--no-install", "tsx", "scripts/host-keys.ts", "--config-file", stack, "--timeout", "3"], { cwd: root, encoding: "utf8" });
        expect(ok.status, ok.stderr).toBe(0);
        expect(ok.stdout).toContain(`- { id: srv-a, hostKey: "${lab.hosts.a.hostKey}" }`);
        expect(ok.stdout).toContain(`- { id: wrk-a, hostKey: "${lab.hosts.b.hostKey}" }`);
        expect(ok.stdout).toContain(lab.hosts.a.hostKeyFingerprint);
        // The collected entry is accepted by the config as pasted (with a comment too).
        const pub = fs.readFileSync(path.join(lab.hosts.a.dir, "ssh_host_ed25519_key.pub"), "utf8").trim();
        fs.writeFileSync(stack, yaml(`, hostKey: "${lab.hosts.b.hostKey} pasted-comment"`));
        const bad = spawnSync("npx", ["--no-install", "tsx", "scripts/host-keys.ts", "--config-file", stack, "--timeout", "3"], { cwd: root, encoding: "utf8" });
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain(`presents ${lab.hosts.a.hostKeyFingerprint}, which is NOT the pinned hostKey`);
        expect(pub.split(" ").length).toBe(3);
        expect(execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: pub, encoding: "utf8" })).toContain(lab.hosts.a.hostKeyFingerprint);
    }, 60_000);
});
