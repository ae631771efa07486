// scripts/fetch-gatekeeper-chart.sh with a local file:// "repository": shellcheck-clean, verifies the sha256
// before anything lands in the cache, is idempotent, repairs a corrupted cache, and carries the same pins as
// components/addons/gatekeeper/chart.ts.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEKEEPER_CHART_SHA256 } from "../../components/pins";

const script = path.join(__dirname, "..", "..", "scripts", "fetch-gatekeeper-chart.sh");
let dir: string;
let repo: string;
let cache: string;
const run = (...args: string[]) => spawnSync("bash", [script, "--repo", `file://${repo}`, "--cache-dir", cache, ...args], { encoding: "utf8" });
const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-chart-"));
    repo = path.join(dir, "repo");
    cache = path.join(dir, "cache");
    fs.mkdirSync(repo);
    // Not the real chart: a stand-in whose digest we know (its bytes are never unpacked).
    fs.writeFileSync(path.join(repo, "gatekeeper-9.9.9.tgz"), "stand-in chart bytes\n");
    fs.writeFileSync(path.join(repo, "gatekeeper-3.15.1.tgz"), "not the real 3.15.1 chart\n");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("fetch-gatekeeper-chart.sh", () => {
    it("is shellcheck-clean", () => {
        const r = spawnSync("shellcheck", [script], { encoding: "utf8" });
        expect(r.stdout).toBe("");
        expect(r.status).toBe(0);
    });

    it("pins the same digests as chart.ts", () => {
        const text = fs.readFileSync(script, "utf8");
        for (const [version, digest] of Object.entries(GATEKEEPER_CHART_SHA256)) expect(text).toContain(`${version}) echo ${digest}`);
    });

    it("refuses a download whose sha256 is not the pin and leaves nothing in the cache", () => {
        const r = run("--version", "3.15.1");
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("does not match the pin b1d6c138256b7df91b89c438bb739c1bdb6f95c41cfa165c282152cd8c5e5047; refusing");
        expect(fs.readdirSync(cache)).toEqual([]);
    });

    it("refuses an unpinned version without --sha256, and a --sha256 that contradicts a pin", () => {
        expect(run("--version", "9.9.9").stderr).toContain("is not pinned here; pass --sha256");
        const r = run("--version", "3.15.1", "--sha256", "0".repeat(64));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("differs from the pin");
    });

    it("caches a verified chart, changes nothing on a second run, and repairs a corrupted cache", () => {
        const want = sha(path.join(repo, "gatekeeper-9.9.9.tgz"));
        const first = run("--version", "9.9.9", "--sha256", want);
        expect(first.status, first.stderr).toBe(0);
        expect(first.stdout).toContain("fetched and verified");
        const cached = path.join(cache, "gatekeeper-9.9.9.tgz");
        expect(sha(cached)).toBe(want);
        const mtime = fs.statSync(cached).mtimeMs;

        const second = run("--version", "9.9.9", "--sha256", want);
        expect(second.stdout).toContain("cached, sha256 verified, unchanged");
        expect(fs.statSync(cached).mtimeMs).toBe(mtime);

        fs.writeFileSync(cached, "tampered");
        const third = run("--version", "9.9.9", "--sha256", want);
        expect(third.status).toBe(0);
        expect(third.stdout).toContain("wrong sha256; fetching it again");
        expect(sha(cached)).toBe(want);
        expect(fs.readdirSync(cache).sort()).toEqual(["gatekeeper-9.9.9.tgz"]);
    });
});
