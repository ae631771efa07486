// Runs the rendered host steps for real (scripts/remote/*.sh through components/host/steps.ts), as bash -c with the
// exact text a host gets, inside a private mount namespace whose /var/lib/edge-estate, /etc/rancher and
// /usr/local/bin are empty tmpfs. Artifacts come over real HTTP from a local server and are verified by sha256.
// Proves: a first run changes things, a second run changes nothing and says so, bad input fails with a reason.
// Not covered here (needs systemd and a real K3s): the k3s-install, verify-wasm and kubeconfig steps.
import { execFileSync, spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EstateConfig } from "../../../components/config/types";
import { validateEstateConfig } from "../../../components/config/validate";
import { planSite } from "../../../components/plan";
import { type HostStep, planHostSteps, renderStep } from "../../../components/host/steps";
import { generatedHostKey } from "../../../scripts/generate-stack";
import { caBundleLines, K3S_CA_NAMES, secureToken } from "../../../components/site/cluster-trust";
import { requireRootOrSkip } from "../../support/root";

const runAsRoot = requireRootOrSkip("remote step execution in a mount namespace");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-steps-"));
const served = path.join(work, "served");
let server: http.Server;
let base = "";
const sha = (p: string) => crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
const arch = os.arch() === "arm64" ? "arm64" : "amd64";

function makeArtifacts() {
    fs.mkdirSync(path.join(served, "k3s", "v1.30.4+k3s1"), { recursive: true });
    fs.mkdirSync(path.join(served, "raw", "v1.30.4+k3s1"), { recursive: true });
    fs.mkdirSync(path.join(served, "runwasi", "containerd-shim-wasmedge/v0.6.0"), { recursive: true });
    fs.writeFileSync(path.join(served, "k3s", "v1.30.4+k3s1", arch === "amd64" ? "k3s" : "k3s-arm64"), "#!/bin/sh\necho k3s test binary\n");
    fs.writeFileSync(path.join(served, "raw", "v1.30.4+k3s1", "install.sh"), "#!/bin/sh\necho install.sh stand-in\n");
    const shimDir = path.join(work, "shim");
    fs.mkdirSync(shimDir);
    fs.writeFileSync(path.join(shimDir, "containerd-shim-wasmedge-v1"), "\x7fELF stand-in shim\n", { mode: 0o755 });
    fs.writeFileSync(path.join(shimDir, "containerd-shim-wasmedge-v1.sig"), "sig");
    const shimAsset = `containerd-shim-wasmedge-${arch === "amd64" ? "x86_64" : "aarch64"}-linux-musl.tar.gz`;
    // Same layout as the runwasi release tarballs: members at the top level with a ./ prefix.
    execFileSync("tar", ["-czf", path.join(served, "runwasi", "containerd-shim-wasmedge/v0.6.0", shimAsset), "-C", shimDir, "."]);
    return {
        k3s: sha(path.join(served, "k3s", "v1.30.4+k3s1", arch === "amd64" ? "k3s" : "k3s-arm64")),
        install: sha(path.join(served, "raw", "v1.30.4+k3s1", "install.sh")),
        shim: sha(path.join(served, "runwasi", "containerd-shim-wasmedge/v0.6.0", shimAsset)),
        shimBinary: sha(path.join(shimDir, "containerd-shim-wasmedge-v1")),
    };
}

// Two hosts: the monitoring hub does not fit one 4 GiB host's budget; the steps run for srv-a.
function config(pins: { k3s: string; install: string; shim: string }, extra: Record<string, unknown> = {}): EstateConfig {
    return validateEstateConfig(
        {
            region: "test",
            monitoring: { hubSite: "site-a" },
            sites: [{ id: "site-a", city: "Testville", wave: 0, hosts: [{ id: "srv-a", address: "192.0.2.10", role: "server", hostKey: generatedHostKey(1, "site-a", "srv-a") }, { id: "wrk-a", address: "192.0.2.20", role: "agent", hostKey: generatedHostKey(1, "site-a", "wrk-a") }] }],
            artifacts: {
                arch,
                k3sBaseUrl: `${base}/k3s`,
                k3sInstallScriptBaseUrl: `${base}/raw`,
                shimBaseUrl: `${base}/runwasi`,
                checksums: {
                    k3s: { "v1.30.4+k3s1": { [arch]: pins.k3s } },
                    k3sInstallScript: { "v1.30.4+k3s1": pins.install },
                    wasmedgeShim: { "v0.6.0": { [arch]: pins.shim } },
                },
            },
            ...extra,
        },
        { sshPrivateKeyPresent: true, requirePins: true },
    );
}

/** Runs the given steps twice in one private mount namespace; returns each run's output and the resulting files. */
/** A server's stdin without CA files (a host whose tls dir is empty), as joinStdin renders it. */
const SERVER_STDIN = `K10${"ab".repeat(32)}::server:s3cr3ttokenvalue\nK10${"ab".repeat(32)}::node:s3cr3tagentvalue`;

async function runSteps(cfg: EstateConfig, names: string[], token = SERVER_STDIN, edit?: (steps: HostStep[]) => void, after: string[] = []) {
    const site = cfg.sites[0];
    const host = site.hosts[0];
    const dir = fs.mkdtempSync(path.join(work, "run-"));
    const steps = planHostSteps(planSite(cfg, site), host).filter((s) => names.includes(s.name));
    edit?.(steps);
    steps.forEach((s) => fs.writeFileSync(path.join(dir, `${s.order}-${s.name}.sh`), renderStep(site, host, s)));
    const driver = `set -u
mount -t tmpfs tmpfs /var/lib/edge-estate && mount -t tmpfs tmpfs /etc/rancher && mount -t tmpfs tmpfs /usr/local/bin && mount -t tmpfs tmpfs /var/lib/rancher
for pass in 1 2; do
  for f in ${steps.map((s) => `"${dir}/${s.order}-${s.name}.sh"`).join(" ")}; do
    printf '%s\\n' "${token}" | bash -c "$(cat "$f")" >"$f.$pass.out" 2>&1; echo $? >"$f.$pass.rc"
  done
  ls -l --time-style=+%s.%N /var/lib/edge-estate/artifacts /etc/rancher/k3s /usr/local/bin >"${dir}/ls.$pass" 2>&1 || true
done
stat -c '%a %U' /etc/rancher/k3s/config.yaml >"${dir}/config.mode" 2>/dev/null || true
cp /etc/rancher/k3s/config.yaml "${dir}/config.yaml" 2>/dev/null || true
sha256sum /usr/local/bin/containerd-shim-wasmedge-v1 >"${dir}/shim.sha" 2>/dev/null || true
stat -c '%a' /usr/local/bin/containerd-shim-wasmedge-v1 >"${dir}/shim.mode" 2>/dev/null || true
${after.map((l) => l.split("$dir").join(dir)).join("\n")}
`;
    // Asynchronous on purpose: the artifact server lives in this process and must keep answering.
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn("unshare", ["--mount", "--propagation", "private", "bash", "-c", driver], { timeout: 60_000 });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (status) => resolve({ status, stderr }));
    });
    if (r.status !== 0) throw new Error(`driver failed (${r.status}): ${r.stderr}`);
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
    return {
        out: (step: string, pass: number) => read(`${steps.find((s) => s.name === step)!.order}-${step}.sh.${pass}.out`),
        rc: (step: string, pass: number) => Number(read(`${steps.find((s) => s.name === step)!.order}-${step}.sh.${pass}.rc`)),
        file: read,
    };
}

beforeAll(async () => {
    fs.mkdirSync("/var/lib/edge-estate", { recursive: true });
    fs.mkdirSync("/etc/rancher", { recursive: true });
    fs.mkdirSync("/var/lib/rancher", { recursive: true });
    server = http.createServer((req, res) => {
        const p = path.join(served, decodeURIComponent(req.url ?? "/"));
        if (!p.startsWith(served) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
            res.writeHead(404).end("not found");
            return;
        }
        res.writeHead(200).end(fs.readFileSync(p));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
    server?.close();
    fs.rmSync(work, { recursive: true, force: true });
});

describe.runIf(runAsRoot)("host steps executed for real", () => {
    let pins: ReturnType<typeof makeArtifacts>;
    beforeAll(() => {
        pins = makeArtifacts();
    });

    it("first run installs, second run changes nothing and says so", async () => {
        const run = await runSteps(config(pins), ["preflight", "fetch-artifacts", "wasmedge-shim", "k3s-config"]);
        for (const step of ["preflight", "fetch-artifacts", "wasmedge-shim", "k3s-config"]) {
            expect(run.rc(step, 1), `${step} pass 1: ${run.out(step, 1)}`).toBe(0);
            expect(run.rc(step, 2), `${step} pass 2: ${run.out(step, 2)}`).toBe(0);
        }
        expect(run.out("fetch-artifacts", 1)).toMatch(/installed, sha256 [0-9a-f]{64} verified/);
        expect(run.out("fetch-artifacts", 2)).toContain("nothing changed");
        expect(run.out("wasmedge-shim", 1)).toContain("installed containerd-shim-wasmedge-v1 v0.6.0");
        expect(run.out("wasmedge-shim", 2)).toContain("already installed; unchanged");
        expect(run.out("k3s-config", 1)).toContain("wrote /etc/rancher/k3s/config.yaml (0600)");
        expect(run.out("k3s-config", 2)).toContain("/etc/rancher/k3s/config.yaml unchanged");
        expect(run.out("preflight", 2)).toContain("nothing changed");
        // files untouched by the second pass (same listing incl. nanosecond mtimes)
        expect(run.file("ls.2")).toBe(run.file("ls.1"));
        expect(run.file("config.mode").trim()).toBe("600 root");
        expect(run.file("shim.mode").trim()).toBe("755");
        expect(run.file("shim.sha").split(" ")[0]).toBe(pins.shimBinary);
        const cfg = run.file("config.yaml");
        expect(cfg).toContain(`token: "K10${"ab".repeat(32)}::server:s3cr3ttokenvalue"`);
        expect(cfg).toContain(`agent-token: "K10${"ab".repeat(32)}::node:s3cr3tagentvalue"`);
        expect(cfg).toContain("secrets-encryption: true");
        expect(cfg).toContain("write-kubeconfig-mode: '0600'");
        // the token never appears in what the steps print
        for (const step of ["k3s-config", "fetch-artifacts"]) expect(run.out(step, 1) + run.out(step, 2)).not.toContain("s3cr3t");
    });

    it("refuses an artifact whose digest differs from its pin", async () => {
        const run = await runSteps(config({ ...pins, k3s: "0".repeat(64) }), ["fetch-artifacts"]);
        expect(run.rc("fetch-artifacts", 1)).toBe(1);
        expect(run.out("fetch-artifacts", 1)).toMatch(/k3s-v1\.30\.4-k3s1 sha256 mismatch: expected 0{64}, got [0-9a-f]{64}/);
    });

    it("refuses an artifact name with '/' or '..' or an extra field even if the list carried one (defence in depth)", async () => {
        const outside = path.join(work, "escaped-by-artifact-name");
        for (const entry of [
            `../../../..${outside} ${pins.k3s} ${base}/k3s/v1.30.4+k3s1/${arch === "amd64" ? "k3s" : "k3s-arm64"}`,
            `sub/k3s ${pins.k3s} ${base}/k3s/v1.30.4+k3s1/k3s`,
            `k3s ${pins.k3s} ${base}/k3s/v1.30.4+k3s1/k3s extra-field`,
        ]) {
            const run = await runSteps(config(pins), ["fetch-artifacts"], undefined, (steps) => (steps[0].env.ARTIFACTS = entry));
            expect(run.rc("fetch-artifacts", 1), run.out("fetch-artifacts", 1)).toBe(1);
            expect(run.out("fetch-artifacts", 1)).toMatch(/refusing artifact (name|entry)/);
        }
        expect(fs.existsSync(outside)).toBe(false);
    });

    it("refuses an unpinned artifact on the host", async () => {
        const cfg = config(pins);
        cfg.artifacts.checksums.wasmedgeShim = {};
        const run = await runSteps(cfg, ["fetch-artifacts"]);
        expect(run.rc("fetch-artifacts", 1)).toBe(1);
        expect(run.out("fetch-artifacts", 1)).toContain("has no valid pinned sha256 ('UNPINNED')");
    });

    it("fails the preflight on an architecture mismatch, naming the config key", async () => {
        const other = arch === "amd64" ? "arm64" : "amd64";
        const cfg = config(pins);
        cfg.artifacts.arch = other;
        const run = await runSteps(cfg, ["preflight"]);
        expect(run.rc("preflight", 1)).toBe(1);
        expect(run.out("preflight", 1)).toContain(`configured for ${other} (edge-estate:artifacts.arch)`);
    });

    it("places the program's cluster CA before K3s starts; the token's hash is sha256sum of the placed server-ca.crt", async () => {
        const caDir = fs.mkdtempSync(path.join(work, "ca-"));
        const files: { name: string; pem: string }[] = [];
        for (const name of K3S_CA_NAMES) {
            execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${caDir}/${name}.key`, "-out", `${caDir}/${name}.crt`, "-days", "3650", "-subj", `/CN=k3s-${name}@site-a`, "-addext", "basicConstraints=critical,CA:TRUE"], { stdio: "ignore" });
            files.push({ name: `${name}.crt`, pem: fs.readFileSync(`${caDir}/${name}.crt`, "utf8") }, { name: `${name}.key`, pem: fs.readFileSync(`${caDir}/${name}.key`, "utf8") });
        }
        const serverPem = files[0].pem;
        const stdin = `${secureToken(serverPem, "server", "s3cr3tA")}\n${secureToken(serverPem, "node", "s3cr3tB")}\n${caBundleLines(files)}`;
        const run = await runSteps(config(pins), ["k3s-config"], stdin.trimEnd(), undefined, [
            "sha256sum /var/lib/rancher/k3s/server/tls/server-ca.crt > \"$dir/ca.sha\"",
            "stat -c '%n %a' /var/lib/rancher/k3s/server/tls/* > \"$dir/ca.modes\"",
        ]);
        expect(run.rc("k3s-config", 1), run.out("k3s-config", 1)).toBe(0);
        expect(run.out("k3s-config", 1)).toContain("placed /var/lib/rancher/k3s/server/tls/server-ca.crt (0644)");
        expect(run.out("k3s-config", 1)).toContain("placed /var/lib/rancher/k3s/server/tls/server-ca.key (0600)");
        expect(run.out("k3s-config", 2)).toContain("all unchanged");
        // Independent of our hash function: the file on disk, hashed by sha256sum, is what the token carries.
        const onDisk = run.file("ca.sha").split(" ")[0];
        expect(run.file("config.yaml")).toContain(`token: "K10${onDisk}::server:s3cr3tA"`);
        expect(run.file("config.yaml")).toContain(`agent-token: "K10${onDisk}::node:s3cr3tB"`);
        expect(run.file("ca.modes")).toMatch(/client-ca\.key 600/);
        expect(run.file("ca.modes")).toMatch(/request-header-ca\.crt 644/);
        // The placed certificate is the CA itself: openssl verifies it against itself as a trust anchor.
        const placed = path.join(caDir, "placed.crt");
        fs.writeFileSync(placed, Buffer.from(caBundleLines(files).split("\n")[0].split(" ")[1], "base64"));
        expect(execFileSync("openssl", ["verify", "-CAfile", placed, placed], { encoding: "utf8" })).toContain("OK");
        // A token whose hash is not this CA's is refused before config.yaml is written.
        const wrong = await runSteps(config(pins), ["k3s-config"], `${secureToken("other", "server", "x")}\n\n${caBundleLines(files)}`.trimEnd());
        expect(wrong.rc("k3s-config", 1)).toBe(1);
        expect(wrong.out("k3s-config", 1)).toContain("does not match /var/lib/rancher/k3s/server/tls/server-ca.crt");
    });

    it("refuses a short-form token (a joining node would trust any CA)", async () => {
        const short = await runSteps(config(pins), ["k3s-config"], "plainsecret");
        expect(short.rc("k3s-config", 1)).toBe(1);
        expect(short.out("k3s-config", 1)).toContain("not in the secure form");
    });

    it("refuses to write config.yaml without a token on stdin", async () => {
        const run = await runSteps(config(pins), ["k3s-config"], "");
        expect(run.rc("k3s-config", 1)).toBe(1);
        expect(run.out("k3s-config", 1)).toContain("the K3s token must be given on stdin");
    });

    it("writes registries.yaml at 0600 when mirrors are configured", async () => {
        const run = await runSteps(config(pins, { registries: { mirrors: { "docker.io": { endpoints: ["https://mirror.example:5000"] } } } }), ["k3s-config"]);
        expect(run.out("k3s-config", 1)).toContain("wrote /etc/rancher/k3s/registries.yaml (0600)");
        expect(run.out("k3s-config", 2)).toContain("registries.yaml unchanged");
    });
});
