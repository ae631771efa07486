// `npm run host-keys` against real OpenSSH servers on loopback addresses (Debian sshd, one per address, with
// host keys made by ssh-keygen): which key is chosen, its fingerprint as ssh-keygen prints it, and the CLI's
// verdict on pinned keys. Needs root for sshd; in CI it must run.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanHostKey } from "../../scripts/host-keys";
import { freePort } from "../support/net";
import { requireRootOrSkip } from "../support/root";

const haveSshd = fs.existsSync("/usr/sbin/sshd") && fs.existsSync("/usr/bin/ssh-keyscan");
if (!haveSshd && process.env.CI) throw new Error("host-keys tests must run in CI: install openssh-server openssh-client");
const RUN = haveSshd && requireRootOrSkip("host-keys tests against sshd");

const root = path.join(__dirname, "..", "..");
let tmp: string;
const servers: ChildProcess[] = [];
const keys: Record<string, string> = {};
const ports: Record<string, number> = {};

function keygen(name: string, type: string): string {
    const f = path.join(tmp, name);
    execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `${name}@test`, "-f", f]);
    keys[name] = fs.readFileSync(`${f}.pub`, "utf8").trim();
    return f;
}
const pin = (name: string) => keys[name].split(" ").slice(0, 2).join(" ");
const fingerprint = (name: string) => execFileSync("ssh-keygen", ["-l", "-f", path.join(tmp, `${name}.pub`)], { encoding: "utf8" }).split(" ")[1];

async function startSshd(name: string, address: string, hostKeys: string[]): Promise<void> {
    const port = await freePort();
    const p = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", "/dev/null", "-o", `ListenAddress=${address}`, "-o", `Port=${port}`, "-o", "PidFile=none", ...hostKeys.flatMap((k) => ["-h", k])], { stdio: ["ignore", "ignore", "pipe"] });
    servers.push(p);
    await new Promise<void>((resolve, reject) => {
        let err = "";
        p.stderr!.on("data", (d) => {
            err += d;
            if (err.includes("Server listening")) resolve();
        });
        p.on("exit", (code) => reject(new Error(`sshd exited ${code}: ${err}`)));
    });
    ports[name] = port;
}

describe.skipIf(!RUN)("host-keys", () => {
    beforeAll(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "host-keys-"));
        fs.mkdirSync("/run/sshd", { recursive: true });
        // a: ed25519 and rsa (ed25519 must win); b: rsa only.
        await startSshd("a", "127.0.0.1", [keygen("a-rsa", "rsa"), keygen("a-ed", "ed25519")]);
        await startSshd("b", "127.0.0.2", [keygen("b-rsa", "rsa")]);
        keygen("other", "ed25519");
    }, 60_000);

    afterAll(() => {
        for (const p of servers) p.kill();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("scanHostKey prefers ed25519, else takes what the host has, with ssh-keygen's fingerprint; a closed port gives nothing", async () => {
        expect(scanHostKey("127.0.0.1", ports.a, 5)).toEqual({ type: "ssh-ed25519", key: pin("a-ed"), fingerprint: fingerprint("a-ed") });
        expect(scanHostKey("127.0.0.2", ports.b, 5)).toEqual({ type: "ssh-rsa", key: pin("b-rsa"), fingerprint: fingerprint("b-rsa") });
        expect(scanHostKey("127.0.0.1", await freePort(), 2)).toBeUndefined();
    }, 30_000);

    it("the CLI prints an entry per host, says which pins match, and exits 1 when a pinned key differs", () => {
        const stack = path.join(tmp, "Pulumi.lab.yaml");
        fs.writeFileSync(
            stack,
            [
                "config:",
                "  edge-estate:region: lab",
                "  edge-estate:sshPrivateKey: |",
                "    -----BEGIN OPENSSH PRIVATE KEY-----",
                "    b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
                "    -----END OPENSSH PRIVATE KEY-----",
                "  edge-estate:monitoring:",
                "    hubSite: site-a",
                "  edge-estate:sites:",
                "    - id: site-a",
                "      city: Lab",
                "      wave: 0",
                "      hosts:",
                `        - { id: srv-a, address: 127.0.0.1, port: ${ports.a}, role: server, hostKey: "${keys["a-ed"]}" }`,
                `        - { id: wrk-a, address: 127.0.0.2, port: ${ports.b}, role: agent, hostKey: "${pin("other")}" }`,
                "",
            ].join("\n"),
        );
        const r = spawnSync("npx", ["--no-install", "tsx", "scripts/host-keys.ts", "--config-file", stack, "--timeout", "5"], { cwd: root, encoding: "utf8", timeout: 60_000 });
        expect(r.status, r.stderr).toBe(1);
        expect(r.stdout).toContain(`#   srv-a 127.0.0.1:${ports.a} ${fingerprint("a-ed")} (matches the pinned key)\n    - { id: srv-a, hostKey: "${pin("a-ed")}" }`);
        expect(r.stdout).toContain(`#   wrk-a 127.0.0.2:${ports.b} ${fingerprint("b-rsa")} (DIFFERS from the pinned key)\n    - { id: wrk-a, hostKey: "${pin("b-rsa")}" }`);
        expect(r.stderr).toContain(`host-keys: site-a/wrk-a (127.0.0.2:${ports.b}) presents ${fingerprint("b-rsa")}, which is NOT the pinned hostKey: investigate before changing anything`);
    }, 60_000);
});
