/**
 * The offline checker as users run it: a real process on YAML fixtures, judged by exit status and output.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const FIX = path.join(__dirname, "policy-check-fixtures");
const TSX = require.resolve("tsx/cli");

function check(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [TSX, "scripts/policy-check.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const f = (p: string) => path.join(FIX, p);

describe("npm run policy:check", () => {
    it("passes a folder of good manifests (multi-document, several kinds and quantity formats) with exit 0", () => {
        const r = check(f("good"));
        expect(r.stderr).toBe("");
        expect(r.stdout.trim()).toBe("4 objects (3 workloads) on 1 site: 0 mandatory and 0 advisory violations - pass");
        expect(r.status).toBe(0);
    });

    it("prints every violation with policy, kind/namespace/name, container, value and limit, and exits 1", () => {
        const r = check(f("oversize.yaml"));
        expect(r.status).toBe(1);
        const lines = r.stdout.trim().split("\n");
        expect(lines).toContain(
            `BLOCKED  container-limits-within-class-budget: Deployment edge-system/tracking-big: container "tracking": limits.memory 512Mi exceeds the wasm class, runtimeClassName wasmedge ceiling 256Mi  [${f("oversize.yaml")}#1]`,
        );
        expect(lines).toContain(`BLOCKED  workload-requests-and-limits: StatefulSet data/no-limits: container "db" sets no limits.memory  [${f("oversize.yaml")}#2]`);
        expect(lines.some((l) => l.startsWith('BLOCKED  wasm-images-use-wasmedge-runtime: Pod edge-system/wasm-on-runc: container "tracking" runs the Wasm image'))).toBe(true);
        expect(lines).toContain(
            "BLOCKED  site-capacity: site default (1 server, from defaultSite): CPU requests 2 exceed the allocatable 1500m = 1 x (2 - 500m); largest: Job batch/greedy 2 x 900m; StatefulSet data/no-limits 1 x 100m; Deployment edge-system/tracking-big 1 x 50m; Pod edge-system/wasm-on-runc 1 x 50m",
        );
        expect(lines.at(-1)).toBe("4 objects (4 workloads) on 1 site: 5 mandatory and 0 advisory violations - FAIL");
    });

    it("reads the site from synth's sites/<id>/ layout and its hosts from --hosts/--stack-file only", () => {
        // The folder's own edge-site-info ConfigMap (1 server + 1 agent) is not trusted: without the stack's
        // topology the site is judged as the smallest (1 server).
        const fromLayout = check(f("sites"));
        expect(fromLayout.status).toBe(1);
        expect(fromLayout.stdout).toContain("site sz-gusu (1 server, from defaultSite): CPU requests 3 exceed the allocatable 1500m");
        const oneServer = check("--hosts", "server", f("sites"));
        expect(oneServer.status).toBe(1);
        expect(oneServer.stdout).toContain("site sz-gusu (1 server, from policy config): CPU requests 3 exceed the allocatable 1500m");
        expect(check("--servers", "1", "--agents", "1", f("sites")).status).toBe(0);
        expect(check("--site", "lab", "--hosts", "server", f("oversize.yaml")).stdout).toContain("BLOCKED  site-capacity: site lab (1 server, from policy config): CPU requests 2 exceed");
        // With an agent (1800m more) the same 2 CPU fit: only the four per-workload violations remain.
        const twoHosts = check("--site", "lab", "--hosts", "server,agent", f("oversize.yaml"));
        expect(twoHosts.stdout).not.toContain("site-capacity");
        expect(twoHosts.stdout).toContain("4 mandatory and 0 advisory violations - FAIL");
    });

    it("takes a --policy-pack-config style file: stricter budgets block, 'all: advisory' reports without failing", () => {
        const strict = check("--config", f("configs/strict-wasm.json"), f("good"));
        expect(strict.status).toBe(1);
        expect(strict.stdout).toContain('container "tracking": limits.cpu 0.2 (= 200m) exceeds the wasm class, runtimeClassName wasmedge ceiling 150m');
        const advisory = check("--config", f("configs/advisory.json"), f("oversize.yaml"));
        expect(advisory.status).toBe(0);
        expect(advisory.stdout).toMatch(/^advisory container-limits-within-class-budget: /m);
        expect(advisory.stdout).toContain("0 mandatory and 5 advisory violations - pass");
    });

    it("--stack-file takes the budget of a stack (as Gatekeeper gets it); --print-pack-config prints it for pulumi", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-stack-"));
        try {
            const stack = path.join(dir, "Pulumi.tight.yaml");
            const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
            // The stack validator insists the tracking component fits its class, so both move together.
            fs.writeFileSync(
                stack,
                `${prod.trimEnd()}\n  edge-estate:budget:\n    classes:\n      wasm: { cpu: 150m, memory: 128Mi }\n` +
                    `    components:\n      tracking: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 150m, memory: 128Mi } }\n`,
            );
            expect(check("--stack-file", path.join(ROOT, "Pulumi.prod.yaml"), f("good")).status).toBe(0);
            const tight = check("--stack-file", stack, f("good"));
            expect(tight.status).toBe(1);
            expect(tight.stdout).toContain("limits.memory 256Mi exceeds the wasm class, runtimeClassName wasmedge ceiling 128Mi");
            const printed = check("--stack-file", stack, "--print-pack-config");
            expect(printed.status).toBe(0);
            expect(JSON.parse(printed.stdout)["container-limits-within-class-budget"].classes).toEqual({ wasm: { cpu: "150m", memory: "128Mi" }, default: { cpu: "1", memory: "1Gi" } });
            // --config entries win over the stack's budget, policy by policy.
            const both = check("--stack-file", stack, "--config", f("configs/strict-wasm.json"), "--print-pack-config");
            expect(JSON.parse(both.stdout)["site-capacity"].host).toEqual({ cpu: "2", memory: "4Gi" });
            const broken = check("--stack-file", f("good/tracking.yaml"), f("good"));
            expect(broken.status).toBe(2);
            expect(broken.stderr).toMatch(/^policy:check: --stack-file .*tracking\.yaml: /);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("gives synth's verdicts on synth's own manifests, and blocks them once a tracking Deployment is broken", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-synth-"));
        try {
            const synth = spawnSync(process.execPath, [TSX, "scripts/synth.ts", "--stack", "prod", "--out", dir], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
            expect(synth.status, synth.stderr).toBe(0);
            const report = JSON.parse(fs.readFileSync(path.join(dir, "policy-report.json"), "utf8"));
            expect(report.passed).toBe(true);
            const offline = check("--stack-file", path.join(ROOT, "Pulumi.prod.yaml"), "--json", "-", path.join(dir, "sites"));
            expect(offline.status).toBe(0);
            const json = JSON.parse(offline.stdout);
            expect({ workloads: json.workloads, sites: json.sites, violations: json.violations }).toEqual({ workloads: report.workloads, sites: report.sites, violations: [] });
            // Helm charts are not rendered offline; the checker says so instead of judging them silently.
            expect(offline.stderr).toMatch(/skipped, not a Kubernetes object: .*gatekeeper\.yaml \(Helm chart: its rendered objects are checked by pulumi preview --policy-pack, not offline\)/);

            const manifests = path.join(dir, "sites", "hz-xihu", "manifests");
            const file = fs.readdirSync(manifests).find((f) => /deployment-edge-system-tracking\.yaml$/.test(f))!;
            const text = fs.readFileSync(path.join(manifests, file), "utf8");
            expect(text).toMatch(/runtimeClassName: wasmedge/);
            fs.writeFileSync(path.join(manifests, file), text.replace(/^\s*runtimeClassName: wasmedge\n/m, ""));
            const broken = check(path.join(dir, "sites"));
            expect(broken.status).toBe(1);
            expect(broken.stdout).toMatch(/^BLOCKED  wasm-images-use-wasmedge-runtime: Deployment edge-system\/tracking: container "tracking" runs the Wasm image edge-estate\.local\/logistics-system@sha256:[0-9a-f]{64} but the pod has no runtimeClassName/m);
            expect(broken.stdout).toContain("1 mandatory and 0 advisory violations - FAIL");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads merge keys as kubectl does and reads .json manifests in a folder", () => {
        const r = check(f("merge-keys"));
        expect(r.status).toBe(1);
        // The merge after the explicit 500m/256Mi limits is what kubectl sends: 8 CPU / 8Gi.
        expect(r.stdout).toMatch(/BLOCKED  container-limits-within-class-budget: Pod team\/sneaky: container "c": limits\.cpu 8 .*exceeds/);
        expect(r.stdout).toMatch(/Pod team\/twice: container "c": limits\.cpu 6/);
        expect(r.stdout).toMatch(/Deployment team\/from-json: container "c": limits\.cpu 3/);
        expect(r.stdout).not.toMatch(/class-budget: Pod team\/overridden/);
        // Site capacity counts the limit share too: 8 CPU limit / ratio 10 = 800m for a 100m request.
        expect(r.stdout).toMatch(/site-capacity: site default \(1 server, from defaultSite\): CPU requests 1900m .*Pod team\/sneaky 1 x 800m/);
        expect(r.stdout).toContain("5 objects (5 workloads)");
    });

    it("unwraps kind: List", () => {
        const r = check(f("list.yaml"));
        expect(r.status).toBe(1);
        expect(r.stdout).toContain(`Pod (default namespace)/listed: container "c" sets no requests.cpu  [${f("list.yaml")} items[0]]`);
    });

    it("writes the full report as JSON", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-check-"));
        try {
            const out = path.join(dir, "report.json");
            expect(check("--json", out, f("oversize.yaml")).status).toBe(1);
            const report = JSON.parse(fs.readFileSync(out, "utf8"));
            expect(report.mandatory).toBe(5);
            expect(report.violations[0]).toMatchObject({ policy: "workload-requests-and-limits", enforcementLevel: "mandatory", resource: { kind: "StatefulSet", namespace: "data", objectName: "no-limits" } });
            const stdout = check("--json", "-", f("good"));
            expect(JSON.parse(stdout.stdout)).toMatchObject({ passed: true, workloads: 3 });
            // A previous report is replaced; any other file is left alone (exit 2).
            expect(check("--json", out, f("good")).status).toBe(0);
            expect(JSON.parse(fs.readFileSync(out, "utf8")).passed).toBe(true);
            const notes = path.join(dir, "notes.json");
            fs.writeFileSync(notes, '{"mine": true}\n');
            const refused = check("--json", notes, f("good"));
            expect(refused.status).toBe(2);
            expect(refused.stderr).toMatch(/^policy:check: refusing to overwrite .*notes\.json: it exists and is not a previous policy:check report/);
            expect(fs.readFileSync(notes, "utf8")).toBe('{"mine": true}\n');
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it.each([
        [[f("broken.yaml")], /^policy:check: .*broken\.yaml: not valid YAML: /],
        [[f("not-k8s.yaml")], /^policy:check: .*not-k8s\.yaml: not a Kubernetes object \(no apiVersion\/kind\)/],
        [[f("does-not-exist.yaml")], /^policy:check: .*does-not-exist\.yaml: no such file or folder/],
        [["--config", f("configs/unknown-policy.json"), f("good")], /^policy:check: policy config names "max-cpu", which is not a policy of edge-estate-workload-budget/],
        [["--config", f("configs/bad-quantity.json"), f("good")], /^policy:check: site-capacity: host\.memory: "4 gigs" is not a Kubernetes quantity/],
        [["--config", f("good/tracking.yaml"), f("good")], /^policy:check: --config .*tracking\.yaml: not valid JSON/],
        [["--hosts", "server,worker", f("good")], /^policy:check: --hosts takes a comma-separated list of server\/agent, got "worker"/],
        [["--servers", "two", f("good")], /^policy:check: --servers needs a whole number, got "two"/],
        [["--hosts", "server", "--agents", "1", f("good")], /^policy:check: use either --hosts or --servers\/--agents/],
        [["--bogus"], /^policy:check: unknown option --bogus/],
        [[], /^policy:check: no PATH given/],
    ])("exits 2 with a clear message and no stack trace for bad input %#", (args, message) => {
        const r = check(...args);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout).toBe("");
    });

    it("--help prints usage and exits 0", () => {
        const r = check("--help");
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^usage: npm run policy:check -- \[options\] PATH\.\.\./);
    });
});
