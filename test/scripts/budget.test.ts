// npm run budget: the table for one site of the prod stack, from any working directory; usage and unknown sites.
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const run = (...args: string[]) => spawnSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "scripts", "budget.ts"), ...args], { cwd: os.tmpdir(), encoding: "utf8" });

describe("budget CLI", () => {
    it("prints hz-xihu's table (one server: K3s server reserve, no agent row, no hub rows)", () => {
        const r = run("--stack", "prod", "--site", "hz-xihu");
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("hz-xihu");
        expect(r.stdout).toContain("K3s server + OS (reserve)");
        expect(r.stdout).not.toContain("K3s agent");
        expect(r.stdout).not.toContain("Prometheus hub");
    }, 60_000);

    it("exits 1 for an unknown site and 2 for bad usage", () => {
        const unknown = run("--stack", "prod", "--site", "nowhere");
        expect(unknown.status).toBe(1);
        expect(unknown.stderr).toMatch(/no site "nowhere" .* sites: /);
        const usage = run("--site", "x");
        expect(usage.status).toBe(2);
        expect(usage.stderr).toMatch(/give exactly one of --stack or --config-file\nusage: npm run budget/);
    }, 60_000);
});
