// `npm run synth` end to end, as a user runs it (scripts/synth.ts): layout, redaction, exit codes, and the
// rendered host scripts checked by shellcheck and bash.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
const synth = (...args: string[]) => spawnSync("npx", ["--no-install", "tsx", "scripts/synth.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });

const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));

describe("synth --stack prod", () => {
    const out = path.join(tmp, "prod");
    let result: ReturnType<typeof synth>;
    beforeAll(() => {
        result = synth("--stack", "prod", "--out", out);
    });

    it("succeeds and summarises", () => {
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/synth: prod: \d+ resources, 6 sites, \d+ host scripts, \d+ manifests/);
    });

    it("writes resources.json with urn, type, name, parent, provider and inputs", () => {
        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        expect(resources.length).toBeGreaterThan(100);
        for (const r of resources) expect(Object.keys(r)).toEqual(["urn", "type", "name", "parent", "provider", "inputs"]);
        const provider = resources.find((r: any) => r.type === "pulumi:providers:kubernetes");
        expect(provider.inputs.kubeconfig).toBe("[secret]");
        const cmd = resources.find((r: any) => r.type === "command:remote:Command" && r.name.endsWith("k3s-config"));
        expect(cmd.inputs.connection).toBe("[secret]");
        expect(cmd.inputs.stdin).toBe("[secret]");
    });

    it("stores host probes whose serialized provider loads and checks host keys with the config grammar", async () => {
        // synth runs under tsx, whose module wrappers differ from vitest's: this is the copy a tsx run serializes.
        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        const probes = resources.filter((r: any) => r.type === "pulumi-nodejs:dynamic:HostProbe");
        expect(probes.length).toBe(14);
        const text: string = probes[0].inputs.__provider;
        // Only the host-key rule travels with the provider, not the rest of the grammar module.
        expect(text).toContain("parseHostKey");
        expect(text).not.toContain("parseBaseUrl");
        const requireFromString = createRequire(require.resolve("@pulumi/pulumi/package.json"))("require-from-string");
        const provider = requireFromString(text).handler();
        const key = path.join(tmp, "probe-key");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
        const good = fs.readFileSync(`${key}.pub`, "utf8").trim();
        const check = async (hostKey: string) => (await provider.check({}, { ...probes[0].inputs, privateKey: "", hostKey })).failures;
        expect(await check(good)).toEqual([]);
        expect(await check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")).toEqual([{ property: "hostKey", reason: "is not an OpenSSH public key: an ed25519 key is 32 bytes" }]);
    });

    it("writes each host's steps in order as NN-<step>.sh", () => {
        const dir = path.join(out, "sites", "sh-pudong", "hosts", "srv-a");
        expect(fs.readdirSync(dir).sort()).toEqual([
            "00-preflight.sh",
            "01-fetch-artifacts.sh",
            "02-wasmedge-shim.sh",
            "03-k3s-config.sh",
            "04-k3s-install.sh",
            "05-verify-wasm.sh",
            "06-kubeconfig.sh",
            ...fs.readdirSync(dir).filter((f) => Number(f.slice(0, 2)) > 6),
        ].sort());
        expect(fs.readdirSync(path.join(out, "sites", "sh-pudong", "hosts")).sort()).toEqual(["srv-a", "srv-b", "srv-c", "wrk-a"]);
        const install = fs.readFileSync(path.join(dir, "04-k3s-install.sh"), "utf8");
        expect(install).toContain("export K3S_VERSION='v1.30.4+k3s1'");
        expect(install).toContain("INSTALL_K3S_SKIP_DOWNLOAD=true");
    });

    it("renders host scripts that pass shellcheck and never pass --wasm", () => {
        const scripts = walk(path.join(out, "sites")).filter((f) => f.endsWith(".sh"));
        expect(scripts.length).toBeGreaterThanOrEqual(80);
        const r = spawnSync("shellcheck", ["-f", "gcc", ...scripts], { encoding: "utf8" });
        expect(r.stdout).toBe("");
        expect(r.status).toBe(0);
        for (const s of scripts) {
            for (const line of fs.readFileSync(s, "utf8").split("\n")) {
                if (line.trim().startsWith("#") || !line.includes("--wasm")) continue;
                expect(line, s).toMatch(/grep -q -- '--wasm'|carries --wasm/);
            }
        }
    });

    it("writes every Kubernetes object per site as YAML", () => {
        for (const site of ["sh-pudong", "hz-xihu", "sz-gusu", "nj-xuanwu", "nb-yinzhou", "hf-shushan"]) {
            const dir = path.join(out, "sites", site, "manifests");
            const files = fs.readdirSync(dir);
            expect(files.length).toBeGreaterThanOrEqual(2);
            for (const f of files) {
                const obj = yaml.load(fs.readFileSync(path.join(dir, f), "utf8")) as any;
                expect(obj.apiVersion, f).toBeTruthy();
                expect(obj.kind, f).toBeTruthy();
                expect(obj.metadata?.name, f).toBeTruthy();
            }
        }
    });

    it("leaves no secret in the output and no unencrypted key material", () => {
        const all = walk(out).map((f) => fs.readFileSync(f, "utf8")).join("\n");
        expect(all).not.toContain("SYNTH-SECRET-VALUE");
        expect(all).not.toContain("PRIVATE KEY");
        expect(all).toContain("[secret]");
    });

    it("is deterministic: a second synth gives identical files", () => {
        const again = path.join(tmp, "prod-again");
        expect(synth("--stack", "prod", "--out", again).status).toBe(0);
        for (const f of walk(out)) expect(fs.readFileSync(f, "utf8"), f).toBe(fs.readFileSync(f.replace(out, again), "utf8"));
    });
});

describe("synth --config-file", () => {
    it("renders an air-gapped arm64 stack with artifact pushes", () => {
        const out = path.join(tmp, "cn-south");
        const r = synth("--config-file", "Pulumi.cn-south.yaml", "--out", out);
        expect(r.status, r.stderr).toBe(0);
        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        const pushes = resources.filter((x: any) => x.type === "command:remote:CopyToRemote" && String(x.inputs.remotePath).includes("/incoming/"));
        // 6 hosts x 4 artifacts (k3s, install.sh, shim, airgap images); the tracking image is pushed separately
        expect(pushes.length).toBe(24);
        // The cache folder is not in a clone: synth (like preview) says what `up` would refuse.
        expect(r.stderr).toMatch(/airgap mode: 4 artifact\(s\) missing from \.cache\/artifacts \(the folder does not exist\): k3s-v1\.30\.4-k3s1, /);
        const fetch = fs.readFileSync(path.join(out, "sites", "gz-tianhe", "hosts", "srv-a", "01-fetch-artifacts.sh"), "utf8");
        expect(fetch).toContain("export ARTIFACT_MODE='airgap'");
        expect(fetch).toContain("k3s-airgap-images-arm64");
        const config = fs.readFileSync(path.join(out, "sites", "gz-tianhe", "hosts", "srv-b", "03-k3s-config.sh"), "utf8");
        expect(config).toContain("mirror.cn-south.internal:5000");
    });

    it("exits 1 with the key-naming message and no stack trace for a broken stack", () => {
        const r = synth("--config-file", "test/fixtures/stacks/broken/even-servers.yaml", "--out", path.join(tmp, "broken"));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('edge-estate:sites[id=site-a].hosts: site "site-a" has 2 servers');
        expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        expect(fs.existsSync(path.join(tmp, "broken"))).toBe(false);
    });

    it("exits 1 for a missing file and 2 for bad usage", () => {
        const missing = synth("--config-file", "nope.yaml");
        expect(missing.status).toBe(1);
        expect(missing.stderr).toContain("cannot read stack file nope.yaml: ENOENT");
        const usage = synth("--stack", "prod", "--config-file", "x.yaml");
        expect(usage.status).toBe(2);
        expect(usage.stderr).toContain("give exactly one of --stack or --config-file");
    });
});
