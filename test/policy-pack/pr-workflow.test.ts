/**
 * .github/workflows/pr.yml, checked with GitHub's own workflow parser (@actions/workflow-parser, the schema the
 * Actions service and its language server use), plus the contract this repo needs from it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { validatePackConfig } from "../../policy-pack/offline";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOW = path.join(ROOT, ".github/workflows/pr.yml");

async function githubErrors(name: string, content: string): Promise<string[]> {
    const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(__dirname, "workflow-errors.mjs"), name], { input: content, encoding: "utf8", cwd: ROOT });
    if (r.status !== 0) throw new Error(`workflow parser failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
}

type Step = { if?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; "working-directory"?: string };
type Job = { needs?: string | string[]; strategy?: { matrix: Record<string, unknown> }; steps: Step[] };
const doc = () => yaml.load(fs.readFileSync(WORKFLOW, "utf8")) as { on: Record<string, unknown>; jobs: Record<string, Job> };

// Inputs of pulumi/actions v6 (its README "Configuration" section); a misspelt input is silently ignored by Actions.
const PULUMI_ACTION_INPUTS = new Set([
    "command", "stack-name", "work-dir", "cloud-url", "comment-on-pr", "comment-on-summary", "github-token", "refresh", "secrets-provider",
    "color", "log-verbosity", "log-flow", "debug", "config-map", "diff", "comment-on-pr-number", "edit-pr-comment", "expect-no-changes",
    "message", "parallel", "policyPacks", "policyPackConfigs", "pulumi-version", "pulumi-version-file", "remove", "replace", "target",
    "target-dependents", "upsert", "exclude-protected", "suppress-outputs", "suppress-progress", "omit-stdout", "plan",
    "always-include-summary", "continue-on-error",
]);

describe(".github/workflows/pr.yml", () => {
    it("is a valid workflow for GitHub's parser", async () => {
        expect(await githubErrors("pr.yml", fs.readFileSync(WORKFLOW, "utf8"))).toEqual([]);
    });

    it("the parser does reject broken workflows (so the check above can fail)", async () => {
        const text = fs.readFileSync(WORKFLOW, "utf8");
        expect(await githubErrors("bad.yml", text.replace("runs-on: ubuntu-24.04", "runs-onn: ubuntu-24.04"))).toEqual(
            expect.arrayContaining([expect.stringContaining("Unexpected value 'runs-onn'")]),
        );
        expect((await githubErrors("bad.yml", text.replace("cancel-in-progress: true", "cancel-in-progress: sometimes"))).length).toBeGreaterThan(0);
    });

    it("runs on pull requests: install, the Debian packages of .ci/run, npm ci, npm test", () => {
        const wf = doc();
        expect(Object.keys(wf.on)).toEqual(["pull_request"]);
        const steps = wf.jobs.test.steps;
        const setupNode = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
        expect(setupNode?.with?.["node-version"]).toBe(20);
        const apt = steps.find((s) => s.run?.includes("apt-get install"))!.run!;
        const ciRun = fs.readFileSync(path.join(ROOT, ".ci/run"), "utf8");
        const block = /DEBIAN_PACKAGES=\(([\s\S]*?)\n\)/.exec(ciRun)![1];
        const packages = block.split("\n").map((l) => l.replace(/#.*/, "").trim()).join(" ").split(/\s+/).filter(Boolean);
        expect(packages.length).toBeGreaterThan(3);
        for (const p of packages) expect(apt.split(/[\s()"]+/)).toContain(p);
        const runs = steps.map((s) => s.run ?? s.uses ?? "");
        const i = (re: RegExp) => runs.findIndex((r) => re.test(r));
        expect(i(/^actions\/checkout@/)).toBe(0);
        expect(i(/^npm ci\b/)).toBeGreaterThan(i(/apt-get install/));
        expect(i(/^npm test$/)).toBeGreaterThan(i(/^npm ci\b/));
    });

    it("previews every region stack with the policy pack through pulumi/actions, secrets from the repository", () => {
        const wf = doc();
        const job = wf.jobs.preview;
        expect(job.needs).toBe("test");
        const stacks = fs.readdirSync(ROOT).flatMap((f) => (/^Pulumi\.(.+)\.yaml$/.exec(f) ? [/^Pulumi\.(.+)\.yaml$/.exec(f)![1]] : [])).sort();
        expect(stacks).toEqual(expect.arrayContaining(["cn-south", "prod"]));
        const include = job.strategy!.matrix.include as { stack: string; airgap: boolean }[];
        expect(include.map((m) => m.stack).sort()).toEqual(stacks);
        // The airgap flag is the stack's artifacts.mode: those stacks need the artifact cache filled first.
        for (const m of include) expect(m.airgap).toBe(loadStackFile(path.join(ROOT, `Pulumi.${m.stack}.yaml`)).config.artifacts.mode === "airgap");
        const fill = job.steps.findIndex((s) => s.if === "${{ matrix.airgap }}");
        expect(job.steps[fill].run).toContain('scripts/fetch-artifacts.sh --stack "${{ matrix.stack }}"');
        expect(job.steps[fill].run).toContain("scripts/fetch-gatekeeper-chart.sh");
        const build = job.steps.findIndex((s) => s.run === "npm run build:wasm");
        expect(build).toBeGreaterThan(0);
        expect(fs.existsSync(path.join(ROOT, "scripts/fetch-artifacts.sh")) && fs.existsSync(path.join(ROOT, "scripts/fetch-gatekeeper-chart.sh"))).toBe(true);
        const packInstall = job.steps.findIndex((s) => s.run?.startsWith("npm ci") && s["working-directory"] === "policy-pack");
        const pulumi = job.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@v"));
        expect(packInstall).toBeGreaterThan(0);
        expect(pulumi).toBeGreaterThan(packInstall);
        expect(pulumi).toBeGreaterThan(job.steps.findIndex((s) => s.if === "${{ matrix.airgap }}"));
        expect(pulumi).toBeGreaterThan(job.steps.findIndex((s) => s.run === "npm run build:wasm"));
        const step = job.steps[pulumi];
        expect(step.with).toMatchObject({
            command: "preview",
            "stack-name": "${{ matrix.stack }}",
            "cloud-url": "${{ secrets.PULUMI_BACKEND_URL }}",
            policyPacks: "policy-pack",
        });
        for (const key of Object.keys(step.with!)) expect(PULUMI_ACTION_INPUTS.has(key), `unknown pulumi/actions input ${key}`).toBe(true);
        expect(step.env).toEqual({ PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" });
        // The policy config comes from the stack's budget, written by an earlier step.
        expect(step.with!.policyPackConfigs).toBe("${{ runner.temp }}/policy-pack-config.json");
        const configStep = job.steps.findIndex((s) => s.run?.includes("--print-pack-config"));
        expect(configStep).toBeGreaterThan(0);
        expect(configStep).toBeLessThan(pulumi);
        // The pack it previews with is the directory this repo ships, installable with npm ci.
        for (const f of ["PulumiPolicy.yaml", "package.json", "package-lock.json", "index.ts"]) expect(fs.existsSync(path.join(ROOT, "policy-pack", f))).toBe(true);
    });

    it("the policy-config step's command works for every matrix stack and yields config the pack accepts", () => {
        const job = doc().jobs.preview;
        const run = job.steps.find((s) => s.run?.includes("--print-pack-config"))!.run!;
        const m = /^npm run -s policy:check -- (.*) > "\$RUNNER_TEMP\/policy-pack-config\.json"$/.exec(run.trim());
        expect(m).not.toBeNull();
        for (const { stack } of job.strategy!.matrix.include as { stack: string }[]) {
            const args = m![1].replace("${{ matrix.stack }}", stack).split(" ").map((a) => a.replace(/^"|"$/g, ""));
            const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), "scripts/policy-check.ts", ...args], { cwd: ROOT, encoding: "utf8" });
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
            const cfg = JSON.parse(r.stdout);
            validatePackConfig(cfg);
            expect(Object.keys(cfg).sort()).toEqual(["container-limits-within-class-budget", "site-capacity"]);
        }
    });

    it("every run: step passes shellcheck (GitHub runs them with bash -e)", () => {
        const wf = doc();
        const runs = Object.values(wf.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));
        expect(runs.length).toBeGreaterThan(5);
        // Expressions are substituted by Actions before bash sees the text; a placeholder stands in for them.
        const script = runs.map((r) => r.replace(/\$\{\{[^}]*\}\}/g, "placeholder")).join("\n");
        const r = spawnSync("shellcheck", ["-s", "bash", "-"], { input: `set -e\n${script}\n`, encoding: "utf8" });
        expect(r.error, "shellcheck must be installed (Debian package shellcheck)").toBeUndefined();
        expect(r.stdout + r.stderr).toBe("");
        expect(r.status).toBe(0);
    });

    it("names no secret value and no registry host", () => {
        const text = fs.readFileSync(WORKFLOW, "utf8");
        const secrets = [...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]);
        expect([...new Set(secrets)].sort()).toEqual(["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]);
        expect(text).not.toMatch(/registry\.npmjs|deb\.debian|passphrase:\s*\S+[^}]$/im);
    });
});
