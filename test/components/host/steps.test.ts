// What each host runs, checked on the rendered scripts (components/host/steps.ts): order, pins, no --wasm,
// kubeconfig 0600, secrets only on stdin, and bash itself parsing what we render.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { planSite } from "../../../components/plan";
import { remoteCommandLine, scriptFromCommandLine, shellQuote } from "../../../components/host/remote-script";
import { hostArtifacts, k3sConfigYaml, planHostSteps, renderStep } from "../../../components/host/steps";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const pudong = config.sites.find((s) => s.id === "sh-pudong")!;

describe("host steps", () => {
    it("install the WasmEdge shim before K3s is installed and started, and verify Wasm after", () => {
        for (const site of config.sites)
            for (const host of site.hosts) {
                const names = planHostSteps(planSite(config, site), host).map((s) => s.name);
                expect(names.indexOf("wasmedge-shim")).toBeLessThan(names.indexOf("k3s-install"));
                expect(names.indexOf("k3s-config")).toBeLessThan(names.indexOf("k3s-install"));
                expect(names.indexOf("verify-wasm")).toBeGreaterThan(names.indexOf("k3s-install"));
                // Pulumi.prod.yaml lists every site's first server as srv-a.
                expect(names.includes("kubeconfig")).toBe(host.id === "srv-a");
            }
    });

    it("never pass --wasm anywhere and pin v1.30.4+k3s1 and shim v0.6.0", () => {
        for (const host of pudong.hosts) {
            const steps = planHostSteps(planSite(config, pudong), host);
            const all = steps.map((s) => renderStep(pudong, host, s)).join("\n");
            // outside comments, the only mentions are the guard that refuses a unit file carrying it
            const code = all.split("\n").filter((l) => !l.trim().startsWith("#") && l.includes("--wasm"));
            for (const l of code) expect(l).toMatch(/grep -q -- '--wasm'|carries --wasm/);
            expect(steps.find((s) => s.name === "k3s-install")!.env.K3S_VERSION).toBe("v1.30.4+k3s1");
            expect(steps.find((s) => s.name === "wasmedge-shim")!.env.SHIM_VERSION).toBe("v0.6.0");
        }
    });

    it("write config.yaml with the kubeconfig at 0600, cluster-init only on the first of several servers", () => {
        const [a, b] = pudong.hosts;
        const first = yaml.load(k3sConfigYaml(planSite(config, pudong), a)) as Record<string, unknown>;
        const second = yaml.load(k3sConfigYaml(planSite(config, pudong), b)) as Record<string, unknown>;
        expect(first["write-kubeconfig-mode"]).toBe("0600");
        expect(first["cluster-init"]).toBe(true);
        expect(first.disable).toEqual(["traefik", "servicelb"]);
        expect(second.server).toBe("https://10.20.1.11:6443");
        expect(second["cluster-init"]).toBeUndefined();
        const agent = yaml.load(k3sConfigYaml(planSite(config, pudong), pudong.hosts[3])) as Record<string, unknown>;
        expect(agent.server).toBe("https://10.20.1.11:6443");
        expect(agent.disable).toBeUndefined(); // server-only flags are not given to agents
        const single = config.sites.find((s) => s.id === "hz-xihu")!;
        expect((yaml.load(k3sConfigYaml(planSite(config, single), single.hosts[0])) as Record<string, unknown>)["cluster-init"]).toBeUndefined();
        for (const doc of [first, second, agent]) expect(JSON.stringify(doc)).not.toMatch(/token/);
    });

    it("keep the token out of the environment: only the k3s-config step reads stdin", () => {
        const steps = planHostSteps(planSite(config, pudong), pudong.hosts[0]);
        expect(steps.filter((s) => s.stdinToken).map((s) => s.name)).toEqual(["k3s-config"]);
        expect(steps.filter((s) => s.secretStdout).map((s) => s.name)).toEqual(["kubeconfig"]);
    });

    it("download artifacts from URL-encoded release tags with their pins", () => {
        const [k3s, install, shim] = hostArtifacts(config, config.versions);
        expect(k3s.url).toBe("https://github.com/k3s-io/k3s/releases/download/v1.30.4%2Bk3s1/k3s");
        expect(install.url).toBe("https://raw.githubusercontent.com/k3s-io/k3s/v1.30.4%2Bk3s1/install.sh");
        expect(shim.url).toBe("https://github.com/containerd/runwasi/releases/download/containerd-shim-wasmedge%2Fv0.6.0/containerd-shim-wasmedge-x86_64-linux-musl.tar.gz");
    });

    it("render scripts that bash parses, and a command line that round-trips to the same text", () => {
        for (const host of pudong.hosts)
            for (const step of planHostSteps(planSite(config, pudong), host)) {
                const script = renderStep(pudong, host, step);
                execFileSync("bash", ["-n", "-c", script]);
                const line = remoteCommandLine(script, host.user);
                expect(scriptFromCommandLine(line)).toBe(script);
                // what the SSH session runs is exactly "bash -c <script>": let the shell itself unquote it
                const unquoted = execFileSync("bash", ["-c", `printf %s ${shellQuote(script)}`]).toString();
                expect(unquoted).toBe(script);
            }
    });

    it("run non-root users through sudo -n", () => {
        const nj = config.sites.find((s) => s.id === "nj-xuanwu")!;
        const step = planHostSteps(planSite(config, nj), nj.hosts[0])[0];
        expect(remoteCommandLine(renderStep(nj, nj.hosts[0], step), nj.hosts[0].user)).toMatch(/^sudo -n bash -c '/);
    });
});
