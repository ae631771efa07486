// The stack-trace setting the program needs is part of the project, not advice: Pulumi.yaml hands it to the
// Node runtime of `pulumi up/preview`, and `npm run synth` / bench:synth run with the same flag.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");

describe("program node args", () => {
    it("Pulumi.yaml sets runtime.options.nodeargs --stack-trace-limit=1; npm run synth uses the same flag", () => {
        const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { runtime: { name: string; options: Record<string, unknown> } };
        expect(project.runtime.name).toBe("nodejs");
        expect(String(project.runtime.options.nodeargs).split(/\s+/)).toContain("--stack-trace-limit=1");
        const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
        expect(pkg.scripts.synth).toMatch(/^tsx --stack-trace-limit=1 scripts\/synth\.ts$/);
    });

    it("tsx hands the flag to V8 (Error.stackTraceLimit is 1 in the child)", () => {
        const r = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["--stack-trace-limit=1", "-e", "console.log(Error.stackTraceLimit)"], { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe("1");
    });
});
