// Every shell script we ship (scripts/**/*.sh) and every host script synth renders passes the real shellcheck.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");

function shellFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : shellFiles(p);
        return e.name.endsWith(".sh") ? [p] : [];
    });
}

describe("shellcheck", () => {
    it("is the real tool", () => {
        expect(execFileSync("shellcheck", ["--version"]).toString()).toMatch(/version: \d+\.\d+/);
        // and it can fail: an unquoted expansion is flagged
        const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sc-")), "bad.sh");
        fs.writeFileSync(bad, '#!/usr/bin/env bash\nrm -rf $1/*\n');
        expect(spawnSync("shellcheck", [bad]).status).toBe(1);
    });

    it("passes on every script under scripts/", () => {
        const files = shellFiles(path.join(root, "scripts"));
        expect(files.length).toBeGreaterThanOrEqual(8);
        const r = spawnSync("shellcheck", ["-x", "-f", "gcc", ...files], { cwd: path.join(root, "scripts", "remote"), encoding: "utf8" });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it("every step script sets -euo pipefail", () => {
        for (const f of shellFiles(path.join(root, "scripts"))) {
            if (f.includes(`${path.sep}lib${path.sep}`)) continue;
            expect(fs.readFileSync(f, "utf8"), f).toMatch(/^set -euo pipefail$/m);
        }
    });
});
