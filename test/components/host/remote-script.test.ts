// The bash text a host runs, checked with the real bash: quoting survives hostile strings byte for byte, the
// command line runs the script (and only through sudo for other users), and rendering inlines the shared lib.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { remoteCommandLine, REMOTE_SCRIPTS_DIR, renderRemoteScript, scriptFromCommandLine, shellQuote } from "../../../components/host/remote-script";

const bash = (script: string) => spawnSync("bash", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH } });
const HOSTILE = ["plain", "", "it's", "a'b'c", "$(touch /tmp/pwned)", "`id`", "a\nb", '"quoted"', "back\\slash", "上海浦东", "--option"];

describe("shellQuote", () => {
    it("bash reads every quoted value back exactly, with nothing expanded or run", () => {
        for (const v of HOSTILE) {
            const r = bash(`printf %s ${shellQuote(v)}`);
            expect(r.status, v).toBe(0);
            expect(r.stdout, v).toBe(v);
        }
    });
});

describe("remoteCommandLine", () => {
    it("runs the script with bash -c for root and through sudo -n for other users; synth reads the script back", () => {
        const script = "echo \"it's $((1 + 2))\"";
        const line = remoteCommandLine(script, "root");
        expect(line.startsWith("bash -c ")).toBe(true);
        expect(bash(line).stdout).toBe("it's 3\n");
        expect(remoteCommandLine(script, "edgeops").startsWith("sudo -n bash -c ")).toBe(true);
        expect(scriptFromCommandLine(line)).toBe(script);
        expect(scriptFromCommandLine(remoteCommandLine(script, "edgeops"))).toBe(script);
        expect(scriptFromCommandLine("sh -c 'x'")).toBeUndefined();
    });
});

describe("renderRemoteScript", () => {
    it("shebang, header comments, quoted exports, the shared lib inlined in place of its source line", () => {
        const text = renderRemoteScript({ file: "preflight.sh", env: { EDGE_SITE: "sh-pudong", EDGE_CITY: "it's $(x)" }, header: ["what: preflight"] });
        const lines = text.split("\n");
        expect(lines.slice(0, 4)).toEqual(["#!/usr/bin/env bash", "# what: preflight", "export EDGE_SITE='sh-pudong'", "export EDGE_CITY='it'\\''s $(x)'"]);
        expect(text).not.toContain('source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"');
        expect(text).toContain("# --- scripts/remote/lib/common.sh ---");
        const lib = fs.readFileSync(path.join(REMOTE_SCRIPTS_DIR, "lib", "common.sh"), "utf8").replace(/^#!.*\n/, "").trim();
        expect(text).toContain(lib);
        expect(spawnSync("bash", ["-n"], { input: text }).status).toBe(0);
    });

    it("refuses an environment name that is not a plain shell variable", () => {
        expect(() => renderRemoteScript({ file: "preflight.sh", env: { "BAD;rm": "x" }, header: [] })).toThrow("invalid environment variable name BAD;rm");
        expect(() => renderRemoteScript({ file: "preflight.sh", env: { lower: "x" }, header: [] })).toThrow("invalid environment variable name lower");
    });
});
