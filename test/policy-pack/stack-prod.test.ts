/**
 * The program's own prod stack, run in-process under Pulumi mocks (the same runner as `npm run synth`), must pass
 * the pack with zero violations. One program per test file: Pulumi's runtime state is per process.
 */
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { evaluateRecordedResources } from "../../policy-pack/offline";
import { policyConfigOfStack } from "../../policy-pack/policies/config";
import { runProgramUnderMocks } from "../../scripts/synth/run";

describe("Pulumi.prod.yaml under the policy pack", () => {
    it("has zero violations, and the pack really looked at the stack's sites", async () => {
        const { config } = loadStackFile("Pulumi.prod.yaml");
        const resources = await runProgramUnderMocks(config, "prod", "[secret]");
        // With the stack's own budget, as synth and the PR preview use it.
        const report = evaluateRecordedResources(resources, { config: policyConfigOfStack(config) });
        expect(report.violations).toEqual([]);
        expect(report.passed).toBe(true);
        // Every site's provider carried objects (at least the edge-site-info ConfigMap).
        expect(report.sites).toEqual(config.sites.map((s) => s.id).sort());

        // Not a vacuous pass: the same stack with its tracking Deployments broken is blocked, site by site.
        const tracking = resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment" && JSON.stringify(r.inputs).includes("logistics-system"));
        expect(tracking.map((r) => r.name.split("-deployment-")[0]).sort()).toEqual(config.sites.map((s) => s.id).sort());
        const broken = resources.map((r) => {
            if (!tracking.includes(r)) return r;
            const obj = JSON.parse(JSON.stringify(r.inputs));
            delete obj.spec.template.spec.runtimeClassName;
            obj.spec.replicas = 200; // 200 x 50m = 10 CPU: more than any prod site (the largest has 6300m)
            return { ...r, inputs: obj };
        });
        const blocked = evaluateRecordedResources(broken, { config: policyConfigOfStack(config) });
        const byPolicy = (name: string) => blocked.violations.filter((v) => v.policy === name);
        expect(byPolicy("wasm-images-use-wasmedge-runtime")).toHaveLength(tracking.length);
        expect(new Set(byPolicy("site-capacity").map((v) => v.site))).toEqual(new Set(config.sites.map((s) => s.id)));
    });
});
