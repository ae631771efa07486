// The on-call runbooks (scripts/oncall-refresh.sh, scripts/oncall-reprovision-host.sh): shellcheck, usage errors,
// and ARGUMENT PLUMBING ONLY. There is no Pulumi CLI here, so a stand-in `pulumi` on PATH records its arguments
// and serves `stack export` from the fixture recorded from real probes; it proves which commands the runbooks
// run with which flags, not what Pulumi then does.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const REFRESH = path.join(root, "scripts", "oncall-refresh.sh");
const REPROVISION = path.join(root, "scripts", "oncall-reprovision-host.sh");
const FIXTURE = path.join(__dirname, "oncall", "fixtures", "stack-export.json");

let bin: string;
let argLog: string;

beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    argLog = path.join(bin, "args.log");
    // Records each invocation as one line; `stack export --file F` copies the fixture; FAKE_REFRESH_RC fails refresh.
    fs.writeFileSync(
        path.join(bin, "pulumi"),
        `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >>"${argLog}"
if [[ $1 == stack && $2 == export ]]; then
    if [[ -n "\${FAKE_EXPORT_FAIL:-}" ]]; then echo "error: no stack named 'prdo' found" >&2; exit 255; fi
    while [[ $# -gt 0 ]]; do
        if [[ $1 == --file ]]; then cp "${FIXTURE}" "$2"; exit 0; fi
        shift
    done
    cat "${FIXTURE}"
    exit 0
fi
if [[ $1 == refresh ]]; then
    echo "warning: edge-estate host probe hz-xihu/srv-a (10.250.0.13:22): unreachable: connect ECONNREFUSED" >&2
    exit "\${FAKE_REFRESH_RC:-0}"
fi
echo "fake pulumi: $1"
`,
        { mode: 0o755 },
    );
});
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

function run(script: string, args: string[], env: Record<string, string> = {}, withPulumi = true) {
    fs.rmSync(argLog, { force: true });
    const r = spawnSync("bash", [script, ...args], {
        cwd: os.tmpdir(),
        encoding: "utf8",
        env: { ...process.env, PATH: withPulumi ? `${bin}:${process.env.PATH}` : "/usr/bin:/bin", ...env },
        timeout: 60_000,
    });
    const calls = fs.existsSync(argLog) ? fs.readFileSync(argLog, "utf8").trim().split("\n") : [];
    return { code: r.status, out: r.stdout, err: r.stderr, calls };
}

describe("on-call runbooks", () => {
    it("are shellcheck-clean", () => {
        const r = spawnSync("shellcheck", ["-x", REFRESH, REPROVISION, path.join(root, "scripts", "oncall", "lib", "prepare.sh"), path.join(root, "scripts", "oncall", "host-facts.sh"), path.join(root, "test", "integration", "netns-lab.sh")], { encoding: "utf8" });
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it("oncall-refresh.sh: usage errors exit 2, a missing CLI exits 1, both with a message", () => {
        expect(run(REFRESH, [])).toMatchObject({ code: 2, err: expect.stringContaining("usage:") });
        expect(run(REFRESH, ["bad stack;rm"])).toMatchObject({ code: 2, err: expect.stringContaining("'bad stack;rm' is not a stack name") });
        const noCli = run(REFRESH, ["prod"], {}, false);
        expect(noCli.code).toBe(1);
        expect(noCli.err).toContain("the pulumi CLI is not on PATH");
    });

    it("oncall-refresh.sh: refreshes with --yes --skip-preview, passes extra flags, exports, and prints the summary", () => {
        const r = run(REFRESH, ["prod", "--parallel", "16"]);
        expect(r.code).toBe(0);
        expect(r.calls[0]).toBe("refresh --yes --skip-preview -s prod --parallel 16");
        expect(r.calls[1]).toMatch(/^stack export -s prod --file \S+\/stack-export\.json$/);
        expect(r.calls.length).toBe(2);
        expect(r.out).toContain("edge-estate on-call summary for stack prod: 2 sites, 3 hosts probed");
        expect(r.out).toMatch(/DOWN \(state kept.*\n\s+hz-xihu\s+srv-a/);
        expect(r.out).toContain("Probe warnings in the refresh log: 1");
    }, 60_000);

    it("oncall-refresh.sh: a failed refresh still prints the summary, then exits 1 saying so", () => {
        const r = run(REFRESH, ["prod"], { FAKE_REFRESH_RC: "255" });
        expect(r.code).toBe(1);
        expect(r.out).toContain("edge-estate on-call summary for stack prod");
        expect(r.err).toContain("pulumi refresh exited 255");
    }, 60_000);

    it("oncall-refresh.sh: a stack that cannot be exported (missing stack, failed login) exits 1 with a summary line, not 255", () => {
        const r = run(REFRESH, ["prdo"], { FAKE_EXPORT_FAIL: "1" });
        expect(r.code).toBe(1);
        expect(r.err).toContain("error: no stack named 'prdo' found");
        expect(r.err).toContain("oncall-refresh: cannot read stack 'prdo' (pulumi stack export failed: is the stack name right, are you logged in");
        expect(r.out).not.toContain("on-call summary");
    }, 60_000);

    it("oncall-refresh.sh: leaves no temp dir behind; a failed refresh keeps only its log, and says where", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "oncall-tmp-"));
        try {
            // (tsx keeps its compile cache, tsx-<uid>, in TMPDIR: that is not ours.)
            const ours = () => fs.readdirSync(tmp).filter((e) => !/^tsx-\d+$/.test(e));
            expect(run(REFRESH, ["prod"], { TMPDIR: tmp }).code).toBe(0);
            expect(ours()).toEqual([]);
            const failed = run(REFRESH, ["prod"], { TMPDIR: tmp, FAKE_REFRESH_RC: "255" });
            const kept = /Full log: (\S+)/.exec(failed.err)?.[1];
            expect(kept).toBeDefined();
            expect(ours()).toEqual([path.basename(kept!)]);
            expect(fs.readFileSync(kept!, "utf8")).toContain("edge-estate host probe hz-xihu/srv-a");
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    }, 60_000);

    it("oncall-refresh.sh: a clone without npm ci says so before touching anything", () => {
        const clone = fs.mkdtempSync(path.join(os.tmpdir(), "oncall-clone-"));
        try {
            fs.mkdirSync(path.join(clone, "scripts", "oncall", "lib"), { recursive: true });
            fs.copyFileSync(REFRESH, path.join(clone, "scripts", "oncall-refresh.sh"));
            fs.copyFileSync(path.join(root, "scripts", "oncall", "lib", "prepare.sh"), path.join(clone, "scripts", "oncall", "lib", "prepare.sh"));
            const r = run(path.join(clone, "scripts", "oncall-refresh.sh"), ["prod"]);
            expect(r.code).toBe(1);
            expect(r.err).toContain("the project's dependencies are not installed: run 'npm ci' in");
            expect(r.calls).toEqual([]);
        } finally {
            fs.rmSync(clone, { recursive: true, force: true });
        }
    }, 60_000);

    it("oncall-reprovision-host.sh: refreshes the probe, then targets exactly that host's probe and steps", () => {
        const r = run(REPROVISION, ["prod", "sh-pudong", "srv-a"]);
        expect(r.code, r.err).toBe(0);
        expect(r.calls[0]).toMatch(/^stack export -s prod --file /);
        expect(r.calls[1]).toMatch(/^refresh --yes --skip-preview -s prod --target urn:pulumi:prod::edge-estate::\S+HostProbe::sh-pudong\.srv-a\.probe$/);
        const up = r.calls[2];
        expect(up).toMatch(/^up -s prod --target \S+::sh-pudong\.srv-a\.probe /);
        expect(up).toMatch(/ --target-dependents$/);
        const targets = [...up.matchAll(/--target (\S+)/g)].map((m) => m[1]);
        expect(targets.length).toBeGreaterThan(6);
        for (const t of targets) expect(t).toMatch(/::sh-pudong\.srv-a\./);
        expect(up).not.toContain("--replace");
        expect(up).not.toContain("--yes");
        expect(r.out).toContain("re-provisions sh-pudong/srv-a only if it was re-imaged");
    }, 60_000);

    it("oncall-reprovision-host.sh --force --yes: every step is also replaced, and --yes is passed on", () => {
        const r = run(REPROVISION, ["prod", "sh-pudong", "wrk-a", "--force", "--yes"]);
        expect(r.code, r.err).toBe(0);
        const up = r.calls[2];
        const targets = [...up.matchAll(/--target (\S+)/g)].map((m) => m[1]).filter((u) => !u.endsWith(".probe"));
        const replaces = [...up.matchAll(/--replace (\S+)/g)].map((m) => m[1]);
        expect(replaces.sort()).toEqual(targets.sort());
        expect(up).toMatch(/^up -s prod --yes /);
    }, 60_000);

    it("oncall-reprovision-host.sh: an unknown host fails with did-you-mean and the hosts of that site only; bad ids and options exit 2", () => {
        const r = run(REPROVISION, ["prod", "sh-pudong", "srv-z"]);
        expect(r.code).toBe(1);
        expect(r.err).toContain("no host srv-z on site sh-pudong in this stack; did you mean srv-a? (hosts of sh-pudong: srv-a, wrk-a)");
        expect(r.calls.length).toBe(1);
        expect(run(REPROVISION, ["prod", "SH_Pudong", "srv-a"])).toMatchObject({ code: 2, err: expect.stringContaining("'SH_Pudong' is not a site/host id") });
        expect(run(REPROVISION, ["prod", "sh-pudong", "srv-a", "--now"])).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--now'") });
        // Flags before the names are fine; a wrong flag is blamed by name, not a misplaced word.
        const early = run(REPROVISION, ["--force", "prod", "sh-pudong", "wrk-a"]);
        expect(early.code, early.err).toBe(0);
        expect(early.calls[2]).toContain("--replace");
        expect(run(REPROVISION, ["--now", "prod", "sh-pudong", "srv-a"])).toMatchObject({ code: 2, err: expect.stringContaining("unknown option '--now' (options: --force, --yes)") });
        expect(run(REPROVISION, ["prod", "sh-pudong"])).toMatchObject({ code: 2, err: expect.stringContaining("expected <stack> <site> <host>, got 2 name(s): prod sh-pudong") });
        expect(run(REPROVISION, ["prdo", "sh-pudong", "srv-a"], { FAKE_EXPORT_FAIL: "1" })).toMatchObject({ code: 1, err: expect.stringContaining("cannot read stack 'prdo'") });
        expect(run(REPROVISION, ["prod"])).toMatchObject({ code: 2 });
    }, 60_000);
});
