// The V8 settings the program needs are part of the project, not advice: Pulumi.yaml hands them to the Node
// runtime of `pulumi up/preview`, and `npm run synth` / bench:synth run with the same flags.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");

describe("program node args", () => {
    it("Pulumi.yaml sets runtime.options.nodeargs (one-frame stack traces, 64 MiB young generation); npm run synth uses the same flags", () => {
        const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { runtime: { name: string; options: Record<string, unknown> } };
        expect(project.runtime.name).toBe("nodejs");
        expect(String(project.runtime.options.nodeargs).split(/\s+/)).toEqual(["--stack-trace-limit=1", "--max-semi-space-size=64"]);
        const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
        expect(pkg.scripts.synth).toBe("tsx --stack-trace-limit=1 --max-semi-space-size=64 scripts/synth.ts");
    });

    it("tsx hands the flags to node (Error.stackTraceLimit is 1 in the child, the young-generation flag is on its command line)", () => {
        const script = "console.log(Error.stackTraceLimit, process.execArgv.filter((a) => a.startsWith('--max-semi')).join(','))";
        const r = spawnSync(path.join(root, "node_modules", ".bin", "tsx"), ["--stack-trace-limit=1", "--max-semi-space-size=64", "-e", script], { encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe("1 --max-semi-space-size=64");
    });
});
