// `npm run rollout` as a user runs it: the dry run prints the wave plan from the stack file alone (no backend,
// no CLI), checked against the stack file read independently with js-yaml; usage errors exit 2; without the
// Pulumi CLI the real run stops with a clear error instead of doing anything.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { collectPolicyEvents } from "../../../scripts/rollout/automation";
import { parseVersions } from "../../../scripts/rollout/cli";

const ROOT = path.resolve(__dirname, "../../..");
const rollout = (...args: string[]) => spawnSync(process.execPath, [require.resolve("tsx/cli"), "scripts/rollout/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } });

function stackSites(stack: string): { id: string; wave: number; hosts: { id: string }[] }[] {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as any;
    return doc.config["edge-estate:sites"];
}

describe("npm run rollout -- --dry-run", () => {
    it("prints prod's waves in order with every site and host of the stack file, and the version changes", () => {
        const r = rollout("--stack", "prod", "--dry-run", "--versions", "k3s=v1.30.6+k3s1");
        expect(r.status, r.stderr).toBe(0);
        const lines = r.stdout.split("\n");
        expect(lines[0]).toBe("Rollout plan for stack prod (region cn-east): k3s v1.30.4+k3s1 -> v1.30.6+k3s1");
        const sites = stackSites("prod");
        const waves = [...new Set(sites.map((s) => s.wave))].sort();
        expect(waves).toEqual([0, 1, 2]);
        let at = 0;
        for (const w of waves) {
            // The plan lists sites and hosts in id order (validated config is canonical, whatever the file order).
            const inWave = sites.filter((s) => s.wave === w).sort((a, b) => (a.id < b.id ? -1 : 1)).map((s) => ({ ...s, hosts: [...s.hosts].sort((a, b) => (a.id < b.id ? -1 : 1)) }));
            const header = lines.findIndex((l) => l.startsWith(`wave ${w}: `));
            expect(header).toBeGreaterThan(at);
            at = header;
            expect(lines[header]).toBe(`wave ${w}: ${inWave.length} sites, ${inWave.reduce((n, s) => n + s.hosts.length, 0)} hosts`);
            // One row per site (in any order): its id, its hosts, the change.
            const rows = lines.slice(header + 1, header + 1 + inWave.length).map((l) => l.trim().split(/\s+/));
            expect(rows.map((r) => r[0]).sort()).toEqual(inWave.map((s) => s.id).sort());
            for (const s of inWave) {
                const row = rows.find((r) => r[0] === s.id)!;
                expect(row.slice(1, 1 + s.hosts.length)).toEqual(s.hosts.map((h) => h.id));
                expect(row.slice(1 + s.hosts.length).join(" ")).toBe("k3s v1.30.4+k3s1 -> v1.30.6+k3s1");
            }
        }
        // The gate's Prometheus defaults to the hub site's first server on the receiver's NodePort.
        const hub = sites.find((s) => s.id === (yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as any).config["edge-estate:monitoring"].hubSite)!;
        expect(r.stdout).toContain(`health gate on https://${(hub.hosts[0] as any).address}:30990`);
    });

    it("works without --versions (the plan of the stack as it is)", () => {
        const r = rollout("--stack", "prod", "--dry-run");
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain("no version change requested");
        expect(r.stdout).toMatch(/^wave 2: 2 sites, 6 hosts$/m);
    });

    it("exits 2 on usage errors and 1 on an unreadable stack file, naming the problem", () => {
        const bad = rollout("--stack", "prod", "--dry-run", "--versions", "k3s=1.30");
        expect(bad.status).toBe(2);
        expect(bad.stderr).toContain('--versions: k3s="1.30" does not look like');
        expect(rollout("--dry-run").status).toBe(2);
        expect(rollout("--config-file", "Pulumi.prod.yaml").stderr).toContain("--config-file is for --dry-run only");
        const missing = rollout("--stack", "nowhere", "--dry-run");
        expect(missing.status).toBe(1);
        expect(missing.stderr).toContain("cannot read stack file");
    });

    it("without the Pulumi CLI the real run stops before touching anything", () => {
        const r = rollout("--stack", "prod", "--versions", "k3s=v1.30.6+k3s1");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the Pulumi CLI");
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")).not.toContain("throughWave");
    });
});

describe("parseVersions", () => {
    it("takes key=value pairs of pinned versions and rejects unknown keys", () => {
        expect(parseVersions("k3s=v1.30.6+k3s1, wasmedgeShim=v0.6.1")).toEqual({ k3s: "v1.30.6+k3s1", wasmedgeShim: "v0.6.1" });
        expect(() => parseVersions("kube=v1")).toThrow(/unknown key "kube"/);
    });
});

describe("collectPolicyEvents", () => {
    it("splits the engine's policy events by enforcement level", () => {
        const ev = (level: "mandatory" | "warning", name: string) => ({
            sequence: 1,
            timestamp: 0,
            policyEvent: { message: `${name} msg`, color: "never", policyName: name, policyPackName: "edge-estate-policies", policyPackVersion: "0.1.0", policyPackVersionTag: "", enforcementLevel: level, resourceUrn: "urn:x" },
        });
        const out = collectPolicyEvents([ev("mandatory", "a"), ev("warning", "b"), { sequence: 2, timestamp: 0 }] as any);
        expect(out).toEqual({
            mandatory: [{ policy: "edge-estate-policies/a", message: "a msg", urn: "urn:x" }],
            advisory: [{ policy: "edge-estate-policies/b", message: "b msg", urn: "urn:x" }],
        });
    });
});
