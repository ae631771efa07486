/**
 * .github/workflows/rollout.yml, checked with GitHub's own workflow parser (as pr.yml is), plus what the release
 * process needs from it: started by hand with the versions, one job per region stack, canary regions before the
 * others, one concurrency group per stack that never cancels a running rollout, an environment per region, the
 * backend, passphrase and hub password from secrets, and exactly the stacks that have a Pulumi.<stack>.yaml.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOW = path.join(ROOT, ".github/workflows/rollout.yml");
const text = () => fs.readFileSync(WORKFLOW, "utf8");

function githubErrors(name: string, content: string): string[] {
    const r = spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(__dirname, "workflow-errors.mjs"), name], { input: content, encoding: "utf8", cwd: ROOT });
    if (r.status !== 0) throw new Error(`workflow parser failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
}

type Step = { name?: string; if?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
    needs?: string | string[];
    environment?: string;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    strategy?: { matrix: { include?: { stack: string; airgap: boolean }[]; stack?: string[] } };
    steps: Step[];
};
const doc = () => yaml.load(text()) as { on: Record<string, any>; permissions: Record<string, string>; jobs: Record<string, Job> };

const stackFiles = () => fs.readdirSync(ROOT).flatMap((f) => (/^Pulumi\.(.+)\.yaml$/.exec(f) ? [/^Pulumi\.(.+)\.yaml$/.exec(f)![1]] : [])).sort();
const airgapOf = (stack: string) => (yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as any).config["edge-estate:artifacts"]?.mode === "airgap";

describe(".github/workflows/rollout.yml", () => {
    it("is a valid workflow for GitHub's parser, which does see into the shared steps", () => {
        expect(githubErrors("rollout.yml", text())).toEqual([]);
        // The steps are shared through a YAML anchor; a typo inside them is reported for both jobs using them.
        const broken = githubErrors("bad.yml", text().replace("working-directory: policy-pack", "working-directoryy: policy-pack"));
        expect(broken.filter((e) => e.includes("Unexpected value 'working-directoryy'"))).toHaveLength(2);
    });

    it("is started by hand with the versions to roll (empty = resume)", () => {
        const wf = doc();
        expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
        expect(wf.on.workflow_dispatch.inputs.versions).toMatchObject({ type: "string", required: false, default: "" });
        // Versions reach the shell through env, never interpolated into the script (no injection from the input).
        for (const job of Object.values(wf.jobs)) for (const s of job.steps) expect(s.run ?? "").not.toContain("inputs.versions");
    });

    it("has one rollout job per region stack, canary regions first, and exactly the stacks with a stack file", () => {
        const wf = doc();
        const canary = wf.jobs.canary.strategy!.matrix.include!;
        const regions = wf.jobs.regions.strategy!.matrix.include!;
        expect(wf.jobs.regions.needs).toBe("canary");
        expect(canary.length).toBeGreaterThan(0);
        const all = [...canary, ...regions].map((m) => m.stack);
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual(stackFiles());
        expect([...wf.jobs.plan.strategy!.matrix.stack!].sort()).toEqual(stackFiles());
        for (const m of [...canary, ...regions]) expect(m.airgap, m.stack).toBe(airgapOf(m.stack));
    });

    it("gives each stack its own environment and a concurrency group that never cancels a running rollout", () => {
        const wf = doc();
        for (const name of ["canary", "regions"]) {
            const job = wf.jobs[name];
            expect(job.environment).toBe("${{ matrix.stack }}");
            expect(job.concurrency).toEqual({ group: "rollout-${{ matrix.stack }}", "cancel-in-progress": false });
        }
    });

    it("runs the driver with the backend, passphrase and hub password from secrets and records progress", () => {
        const wf = doc();
        for (const name of ["canary", "regions"]) {
            const steps = wf.jobs[name].steps;
            const run = steps.find((s) => s.run?.includes("npm run -s rollout"))!;
            expect(run.run).toContain('--stack "${{ matrix.stack }}"');
            expect(run.run).toContain("--after-wave scripts/rollout/record-progress.sh");
            expect(run.env).toMatchObject({
                PULUMI_BACKEND_URL: "${{ secrets.PULUMI_BACKEND_URL }}",
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
                EDGE_PROMETHEUS_PASSWORD: "${{ secrets.EDGE_PROMETHEUS_PASSWORD }}",
                ROLLOUT_VERSIONS: "${{ inputs.versions }}",
            });
            const i = (pred: (s: Step) => boolean) => steps.findIndex(pred);
            expect(i((s) => s.uses === "pulumi/actions@v6")).toBeLessThan(i((s) => s === run));
            expect(i((s) => s.run === "npm run build:wasm")).toBeLessThan(i((s) => s === run));
            // The health gate talks TLS to the hub: it trusts the region CA from the stack output, written before the run.
            const ca = steps.find((s) => s.run?.includes("pulumi stack output regionTlsCaCert"))!;
            expect(ca.run).toContain('> "$RUNNER_TEMP/region-tls-ca.crt"');
            expect(i((s) => s === ca)).toBeLessThan(i((s) => s === run));
            expect(run.env?.NODE_EXTRA_CA_CERTS).toBe("${{ runner.temp }}/region-tls-ca.crt");
            const record = steps.find((s) => s.run === "scripts/rollout/record-progress.sh")!;
            expect(record.if).toBe("${{ always() }}");
            expect(fs.existsSync(path.join(ROOT, "scripts/rollout/record-progress.sh"))).toBe(true);
        }
        expect(doc().permissions).toEqual({ contents: "write" });
    });
});
