/**
 * The offline evaluator must give the verdicts the policies give when called the way the runtime calls them:
 * it builds the same args and adds no check of its own.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateObjects, evaluateRecordedResources, policySettings } from "../../policy-pack/offline";
import { policies } from "../../policy-pack/policies";
import { classBudgetPolicy } from "../../policy-pack/policies/class-budget";
import { requestsAndLimitsPolicy } from "../../policy-pack/policies/requests-and-limits";
import { siteCapacityPolicy } from "../../policy-pack/policies/site-capacity";
import { wasmRuntimePolicy } from "../../policy-pack/policies/wasm-runtime";
import { container, KINDS, OK_RES, runResourcePolicy, runStackPolicy, TYPE_OF, workload } from "./helpers";

const CORPUS = KINDS.flatMap((kind) => [
    workload(kind, { containers: [container("ok", OK_RES)] }, { name: `${kind.toLowerCase()}-ok`, replicas: 2 }),
    workload(kind, { runtimeClassName: "wasmedge", containers: [container("fat", { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "300Mi" } }, "edge-estate.local/logistics-system:1")] }, { name: `${kind.toLowerCase()}-fat` }),
    workload(kind, { initContainers: [container("bare", undefined, "edge-estate.local/logistics-system:2")] }, { name: `${kind.toLowerCase()}-bare` }),
]);

describe("offline evaluation", () => {
    it("reports exactly what the resource policies report when called directly", () => {
        const report = evaluateObjects(CORPUS.map((object) => ({ object, site: "lab" })));
        for (const policy of [requestsAndLimitsPolicy, classBudgetPolicy, wasmRuntimePolicy]) {
            const direct = CORPUS.flatMap((o) => runResourcePolicy(policy, TYPE_OF[o.kind as keyof typeof TYPE_OF], o) as string[]);
            const offline = report.violations.filter((v) => v.policy === policy.name).map((v) => v.message);
            expect(offline).toEqual(direct);
            expect(direct.length).toBeGreaterThan(0);
        }
        const stack = runStackPolicy(siteCapacityPolicy, CORPUS.map((o) => ({ type: TYPE_OF[o.kind as keyof typeof TYPE_OF], name: String((o.metadata as { name: string }).name), props: o, provider: { name: "lab-k8s" } })));
        expect(report.violations.filter((v) => v.policy === "site-capacity").map((v) => v.message)).toEqual(stack.map((s) => s.message));
        expect(report.violations.filter((v) => v.policy === "site-capacity").every((v) => v.site === "lab")).toBe(true);
        expect(report).toMatchObject({ resources: CORPUS.length, workloads: CORPUS.length, sites: ["lab"], passed: false });
        expect(report.mandatory).toBe(report.violations.length);
    });

    it("keeps sites apart and applies siteHosts to every site", () => {
        const objs = [0, 1].flatMap((i) => [{ object: workload("Deployment", { containers: [container("a", { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } })] }, { replicas: 2 }), site: `s${i}` }]);
        const small = evaluateObjects(objs);
        expect(small.violations.map((v) => v.site)).toEqual(["s0", "s1"]);
        expect(evaluateObjects(objs, { siteHosts: { servers: 1, agents: 1 } }).passed).toBe(true);
    });

    it("resolves enforcement levels like --policy-pack-config: all, per-policy string or object, disabled", () => {
        const s = policySettings(policies, { all: "advisory", "site-capacity": "mandatory", "wasm-images-use-wasmedge-runtime": { enforcementLevel: "disabled" } });
        expect(Object.fromEntries([...s].map(([k, v]) => [k, v.level]))).toEqual({
            "workload-requests-and-limits": "advisory",
            "container-limits-within-class-budget": "advisory",
            "wasm-images-use-wasmedge-runtime": "disabled",
            "site-capacity": "mandatory",
            "unknown-kinds-with-pod-templates": "advisory",
        });
        const report = evaluateObjects(CORPUS.map((object) => ({ object, site: "lab" })), { config: { all: "advisory", "wasm-images-use-wasmedge-runtime": "disabled" } });
        expect(report.passed).toBe(true);
        expect(report.mandatory).toBe(0);
        expect(report.advisory).toBeGreaterThan(0);
        expect(report.violations.some((v) => v.policy === "wasm-images-use-wasmedge-runtime")).toBe(false);
        expect(() => policySettings(policies, { "site-capacity": { hostz: {} } })).toThrow(/site-capacity: unknown config property "hostz" \(known: host, k3sReserve, maxLimitRequestRatio, sites, defaultSite\)/);
        expect(() => policySettings(policies, { "workload-requests-and-limits": { x: 1 } })).toThrow(/this policy takes none/);
        expect(() => policySettings(policies, { all: "strict" })).toThrow(/"all" must be one of advisory, mandatory, remediate, disabled/);
    });

    it("evaluates a mock run's recorded resources with secrets unwrapped and providers resolved by URN", () => {
        const prov = "urn:pulumi:prod::edge-estate::pulumi:providers:kubernetes::hz-xihu-k8s";
        const fat = workload("Deployment", { containers: [container("a", { requests: { cpu: "1", memory: "1Mi" }, limits: { cpu: "1", memory: "1Mi" } })] }, { replicas: 2 });
        const report = evaluateRecordedResources([
            { urn: prov, type: "pulumi:providers:kubernetes", name: "hz-xihu-k8s", inputs: {} },
            { urn: "urn:x::d", type: "kubernetes:apps/v1:Deployment", name: "hz-xihu-deployment-a", provider: prov, inputs: { ...fat, spec: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: fat.spec } } },
        ]);
        expect(report.violations).toEqual([expect.objectContaining({ policy: "site-capacity", site: "hz-xihu", message: expect.stringMatching(/^site hz-xihu \(1 server, from defaultSite\): CPU requests 2 exceed/) })]);
    });

    it("nothing outside the pack imports policy-pack/index.ts (constructing the PolicyPack starts a gRPC server that never exits)", () => {
        const root = path.resolve(__dirname, "../..");
        const offenders: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) {
                    if (e.name !== "node_modules" && !e.name.startsWith(".")) walk(p);
                } else if (/\.(ts|mts|mjs|js)$/.test(e.name) && p !== path.join(root, "policy-pack", "index.ts")) {
                    const text = fs.readFileSync(p, "utf8");
                    for (const m of text.matchAll(/(?:from|import|require)\s*\(?\s*["']([^"']*policy-pack(?:\/index)?)["']/g)) {
                        if (/policy-pack(\/index)?$/.test(m[1])) offenders.push(`${path.relative(root, p)}: ${m[1]}`);
                    }
                }
            }
        };
        for (const dir of ["test", "scripts", "components", "policy-pack"]) walk(path.join(root, dir));
        expect(offenders).toEqual([]);
    });
});
