/**
 * The program's own cn-south stack, run in-process under Pulumi mocks (the same runner as `npm run synth`), must pass
 * the pack with zero violations. One program per test file: Pulumi's runtime state is per process.
 */
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { evaluateRecordedResources } from "../../policy-pack/offline";
import { policyConfigOfStack } from "../../policy-pack/policies/config";
import { runProgramUnderMocks } from "../../scripts/synth/run";

describe("Pulumi.cn-south.yaml under the policy pack", () => {
    it("has zero violations, and the pack really looked at the stack's sites", async () => {
        const { config } = loadStackFile("Pulumi.cn-south.yaml");
        // cn-south is air-gapped: the program then reads the Gatekeeper chart from the local artifact cache, which is
        // never committed. Where artifacts come from does not change any workload's resources, so the stack's sites
        // run here in download mode.
        const resources = await runProgramUnderMocks({ ...config, artifacts: { ...config.artifacts, mode: "download" } }, "cn-south", "[secret]");
        // With the stack's own budget, as synth and the PR preview use it.
        const report = evaluateRecordedResources(resources, { config: policyConfigOfStack(config) });
        expect(report.violations).toEqual([]);
        expect(report.passed).toBe(true);
        // Every site's provider carried objects (at least the edge-site-info ConfigMap).
        expect(report.sites).toEqual(config.sites.map((s) => s.id).sort());
    });
});
