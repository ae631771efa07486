// The scale-test stack generator: deterministic, valid for the real validator, and shaped like the estate.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackFile } from "../../components/config/load";
import { validateEstateConfig } from "../../components/config/validate";
import { generateSites, generateStackYaml } from "../../scripts/generate-stack";

const root = path.join(__dirname, "..", "..");

describe("generate-stack", () => {
    it("is deterministic per seed and differs across seeds", () => {
        const a = generateStackYaml({ sites: 120, seed: 7, region: "cn-bench" });
        expect(generateStackYaml({ sites: 120, seed: 7, region: "cn-bench" })).toBe(a);
        expect(generateStackYaml({ sites: 120, seed: 8, region: "cn-bench" })).not.toBe(a);
    });

    it("500 sites pass the real stack validation with unique ids and addresses", () => {
        const text = generateStackYaml({ sites: 500, seed: 1, region: "cn-bench" });
        const stack = parseStackFile(text, "generated-500.yaml");
        const config = validateEstateConfig(stack.raw, { sshPrivateKeyPresent: stack.sshPrivateKeyPresent, sshPrivateKeyPlaintext: stack.sshPrivateKeyPlaintext, requirePins: false });
        expect(config.sites.length).toBe(500);
        expect(new Set(config.sites.map((s) => s.id)).size).toBe(500);
        const addresses = config.sites.flatMap((s) => s.hosts.map((h) => h.address));
        expect(new Set(addresses).size).toBe(addresses.length);
        expect(config.sites.find((s) => s.id === config.monitoring.hubSite)!.wave).toBe(0);
    });

    it("has Chinese city names, all four waves with few canaries, and an HA / agent / single-server mix", () => {
        const sites = generateSites({ sites: 500, seed: 1, region: "cn-bench" });
        for (const s of sites) expect(s.city).toMatch(/^[\u4e00-\u9fff]+\d*$/);
        const waves = [0, 1, 2, 3].map((w) => sites.filter((s) => s.wave === w).length);
        expect(waves.every((n) => n > 0)).toBe(true);
        expect(waves[0]).toBeLessThan(25);
        expect(waves[3]).toBeGreaterThan(200);
        const servers = (s: (typeof sites)[number]) => s.hosts.filter((h) => h.role === "server").length;
        const ha = sites.filter((s) => servers(s) === 3).length;
        const withAgents = sites.filter((s) => servers(s) === 1 && s.hosts.length > 1).length;
        const single = sites.filter((s) => s.hosts.length === 1).length;
        expect(ha).toBeGreaterThan(25);
        expect(withAgents).toBeGreaterThan(150);
        expect(single).toBeGreaterThan(120);
        expect(ha + withAgents + single).toBe(500);
    });

    it("refuses bad arguments with a message and exit code 2", () => {
        const r = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "scripts", "generate-stack.ts"), "--sites", "lots"], { encoding: "utf8" });
        expect(r.status).toBe(2);
        expect(r.stderr).toContain('generate-stack: --sites must be a whole number, got "lots"');
    });

    it("--out overwrites only a file it generated: a stack file of ours is left alone (exit 2)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "generate-stack-out-"));
        const run = (out: string) => spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "scripts", "generate-stack.ts"), "--sites", "3", "--out", out], { encoding: "utf8" });
        try {
            const real = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(real, "config:\n  edge-estate:region: cn-east\n");
            const refused = run(real);
            expect(refused.status).toBe(2);
            expect(refused.stderr).toMatch(/refusing to overwrite .*Pulumi\.prod\.yaml: it exists and is not a previous generated stack file/);
            expect(refused.stderr).not.toMatch(/\n\s+at /);
            expect(fs.readFileSync(real, "utf8")).toBe("config:\n  edge-estate:region: cn-east\n");
            const gen = path.join(dir, "gen.yaml");
            expect(run(gen).status).toBe(0);
            expect(run(gen).status).toBe(0); // its own output is replaced
            expect(fs.readFileSync(gen, "utf8")).toBe(generateStackYaml({ sites: 3, seed: 1, region: "cn-bench" }));
            expect(run(dir).stderr).toMatch(/it is a folder/);
            expect(run("/dev/null/x").status).toBe(2);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
