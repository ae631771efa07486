import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { DEFAULT_BUDGET } from "../../../components/config/defaults";
import { classBudgetSchema, DEFAULT_RUNTIME_CLASSES, policyConfigFromBudget, resolveClassBudgetConfig, resolveSiteCapacityConfig, siteCapacitySchema, wasmRuntimeSchema } from "../../../policy-pack/policies/config";
import { policies } from "../../../policy-pack/policies";
import { policySettings, validatePackConfig } from "../../../policy-pack/offline";

const pulumiYamlBudget = () => (yaml.load(fs.readFileSync("Pulumi.yaml", "utf8")) as { config: { budget: { default: typeof DEFAULT_BUDGET } } }).config.budget.default;

describe("policy config defaults", () => {
    it("equal the stack's budget defaults (components/config/defaults.ts and Pulumi.yaml), so the pack and Gatekeeper enforce the same numbers", () => {
        const stack = pulumiYamlBudget();
        expect(stack).toEqual(DEFAULT_BUDGET);
        expect(classBudgetSchema.properties.classes.default).toEqual(stack.classes);
        expect(siteCapacitySchema.properties.host.default).toEqual(stack.host);
        expect(siteCapacitySchema.properties.k3sReserve.default).toEqual(stack.k3sReserve);
        // The wasm class is the seed's "< 1 core, < 256 MB".
        expect(classBudgetSchema.properties.classes.default).toMatchObject({ wasm: { cpu: "1", memory: "256Mi" } });
        expect(classBudgetSchema.properties.runtimeClasses.default).toEqual(DEFAULT_RUNTIME_CLASSES);
    });

    it("are copies: editing a schema default cannot change the stack budget", () => {
        (classBudgetSchema.properties.classes.default as any).wasm.cpu = "9";
        try {
            expect(DEFAULT_BUDGET.classes.wasm.cpu).toBe("1");
        } finally {
            (classBudgetSchema.properties.classes.default as any).wasm.cpu = "1";
        }
    });

    it("resolve to the defaults when no config is given (what getConfig() returns without --policy-pack-config)", () => {
        const classes = resolveClassBudgetConfig({});
        expect(Object.fromEntries(Object.entries(classes.classes).map(([k, b]) => [k, b.raw]))).toEqual(DEFAULT_BUDGET.classes);
        const site = resolveSiteCapacityConfig(undefined);
        expect(site.host.raw).toEqual(DEFAULT_BUDGET.host);
        expect(site.k3sReserve.server.raw).toEqual(DEFAULT_BUDGET.k3sReserve.server);
        expect(site.k3sReserve.agent.raw).toEqual(DEFAULT_BUDGET.k3sReserve.agent);
    });

    it("every schema default is accepted by the policy's own resolver", () => {
        const defaults = (schema: { properties: Record<string, { default?: unknown }> }) =>
            Object.fromEntries(Object.entries(schema.properties).flatMap(([k, v]) => (v.default !== undefined ? [[k, v.default]] : [])));
        expect(() => resolveClassBudgetConfig(defaults(classBudgetSchema))).not.toThrow();
        expect(() => resolveSiteCapacityConfig(defaults(siteCapacitySchema))).not.toThrow();
        expect(defaults(wasmRuntimeSchema)).toEqual({ runtimeClassName: "wasmedge", wasmImages: ["edge-estate.local/logistics-system"], wasmLabel: "edge-estate/runtime=wasm" });
    });

    it("every policy is mandatory by default, with unique names that are not the reserved 'all'", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        expect(names).not.toContain("all");
        for (const p of policies) {
            expect(p.enforcementLevel).toBe("mandatory");
            expect(p.name).toMatch(/^[a-z0-9-]+$/);
        }
    });

    it("no schema uses enforcementLevel as a property (the CLI reserves it)", () => {
        for (const p of policies) expect(Object.keys(p.configSchema?.properties ?? {})).not.toContain("enforcementLevel");
    });

    it("a stack's budget becomes pack config the pack accepts and reads back unchanged", () => {
        const budget = { ...DEFAULT_BUDGET, host: { cpu: "4", memory: "8Gi" }, classes: { wasm: { cpu: "500m", memory: "128Mi" }, default: { cpu: "2", memory: "2Gi" } } };
        const cfg = policyConfigFromBudget(budget);
        expect(() => validatePackConfig(cfg)).not.toThrow();
        const settings = policySettings(policies, cfg);
        const classes = resolveClassBudgetConfig(settings.get("container-limits-within-class-budget")!.config);
        expect(Object.fromEntries(Object.entries(classes.classes).map(([k, b]) => [k, b.raw]))).toEqual(budget.classes);
        const site = resolveSiteCapacityConfig(settings.get("site-capacity")!.config);
        expect(site.host.raw).toEqual(budget.host);
        expect(site.k3sReserve.server.raw).toEqual(budget.k3sReserve.server);
    });
});
