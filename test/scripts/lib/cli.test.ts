// scripts/lib/cli.ts: one way to read the tools' arguments; --stack is found from any working directory.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, PROJECT_ROOT, stackSource, UsageError } from "../../../scripts/lib/cli";

const spec = { values: ["--stack", "--config-file", "--out"] };

describe("tool arguments", () => {
    it("--stack names Pulumi.<stack>.yaml in the project root; --config-file is relative to the working directory", () => {
        expect(PROJECT_ROOT).toBe(path.resolve(__dirname, "..", "..", ".."));
        const prod = stackSource(parseArgs(["--stack", "prod"], spec));
        expect(path.resolve(prod.file)).toBe(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"));
        expect(prod.stack).toBe("prod");
        expect(stackSource(parseArgs(["--config-file", "x/Pulumi.lab.yaml"], spec))).toEqual({ file: "x/Pulumi.lab.yaml", stack: "lab" });
        expect(parseArgs(["--stack", "prod", "--out", "/tmp/o"], spec).values.get("--out")).toBe("/tmp/o");
    });

    it("refuses what it cannot read, saying why", () => {
        const bad: [string[], RegExp][] = [
            [["--stack"], /--stack needs a value/],
            [["--stack", "--out"], /--stack needs a value/],
            [["--bogus", "1"], /unknown argument --bogus/],
            [["stray"], /unexpected argument stray/],
        ];
        for (const [argv, message] of bad) expect(() => parseArgs(argv, spec), argv.join(" ")).toThrow(message);
        expect(() => stackSource(parseArgs([], spec))).toThrow(/exactly one of --stack or --config-file/);
        expect(() => stackSource(parseArgs(["--stack", "a", "--config-file", "b"], spec))).toThrow(UsageError);
        expect(() => stackSource(parseArgs(["--stack", "../etc/x"], spec))).toThrow(/invalid stack name/);
    });
});
