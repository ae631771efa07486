// Sites and hosts are keyed by id: reordering them in a stack file changes nothing that synth writes (resources,
// inputs, host scripts, manifests, policy report). Each stack file is rewritten with its sites reversed and every
// site's hosts reversed (so the first-listed server is no longer first), then rotated, and synthesised again.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "synth-reorder-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const synth = (file: string, out: string) =>
    spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/synth.ts", "--config-file", file, "--out", out], { cwd: root, encoding: "utf8", timeout: 120_000 });

const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));

type Site = { id: string; hosts: { id: string; role: string }[] };

function reorder(text: string, how: "reverse" | "rotate"): string {
    const doc = yaml.load(text) as { config: Record<string, unknown> };
    const sites = doc.config["edge-estate:sites"] as Site[];
    const move = <T>(list: T[]): T[] => (how === "reverse" ? [...list].reverse() : [...list.slice(1), list[0]]);
    doc.config["edge-estate:sites"] = move(sites).map((s) => ({ ...s, hosts: move(s.hosts) }));
    return yaml.dump(doc, { lineWidth: -1 });
}

describe.each(["Pulumi.prod.yaml", "Pulumi.cn-south.yaml"])("reordering sites and hosts of %s", (stackFile) => {
    it("changes nothing in synth's output", () => {
        const original = fs.readFileSync(path.join(root, stackFile), "utf8");
        const sites = (yaml.load(original) as { config: Record<string, Site[]> }).config["edge-estate:sites"];
        // The fixture must be able to show the hazard: an HA site whose first-listed server moves.
        const ha = sites.find((s) => s.hosts.filter((h) => h.role === "server").length >= 3);
        expect(ha, `${stackFile} has an HA site`).toBeDefined();
        expect(sites.length).toBeGreaterThan(2);

        const base = path.join(tmp, `${stackFile}-base`);
        const r0 = synth(stackFile, base);
        expect(r0.status, r0.stderr).toBe(0);
        const files = walk(base).map((f) => path.relative(base, f)).sort();
        expect(files.length).toBeGreaterThan(50);

        for (const how of ["reverse", "rotate"] as const) {
            // Same file name, so the stack name (and every URN) is the same.
            fs.mkdirSync(path.join(tmp, how), { recursive: true });
            const moved = path.join(tmp, how, stackFile);
            fs.writeFileSync(moved, reorder(original, how));
            const out = path.join(tmp, `${stackFile}-${how}`);
            const r = synth(moved, out);
            expect(r.status, r.stderr).toBe(0);
            expect(walk(out).map((f) => path.relative(out, f)).sort()).toEqual(files);
            for (const f of files) expect(fs.readFileSync(path.join(out, f), "utf8"), `${how}: ${f}`).toBe(fs.readFileSync(path.join(base, f), "utf8"));
        }
        // And the bootstrap server of the HA site is the lowest server id, whatever the order.
        const k3sConfig = fs.readFileSync(path.join(base, "sites", ha!.id, "hosts", "srv-a", "03-k3s-config.sh"), "utf8");
        expect(k3sConfig).toMatch(/cluster-init: true/);
        const joiner = fs.readFileSync(path.join(base, "sites", ha!.id, "hosts", "srv-c", "03-k3s-config.sh"), "utf8");
        expect(joiner).toMatch(/server: https:\/\/10\.\d+\.\d+\.11:6443/);
    }, 240_000);
});
