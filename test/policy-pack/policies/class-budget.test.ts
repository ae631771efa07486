import { describe, expect, it } from "vitest";
import { classBudgetPolicy } from "../../../policy-pack/policies/class-budget";
import { checkWorkload, container, KINDS, UNKNOWN_STRING, workload } from "../helpers";

const wasm = (limits: Record<string, unknown>, kind: (typeof KINDS)[number] = "Deployment", config = {}) =>
    checkWorkload(classBudgetPolicy, workload(kind, { runtimeClassName: "wasmedge", containers: [container("tracking", { requests: { cpu: "10m", memory: "16Mi" }, limits })] }), config);

// Wasm class default ceiling: 1 CPU, 256Mi (= 268435456 bytes).
const CPU_WITHIN = ["500m", "0.5", "1", 1, "1000m", "999m", "0.999", "10e-1", "1e0", "1000000u", "1000000000n"];
const CPU_OVER = ["1001m", "1.001", "2", 2, "1.5", "1100m", "2e0", "1000001u", "1k"];
const MEM_WITHIN = ["256Mi", "268435456", "0.25Gi", "128974848", "129e6", "256M", "262144Ki", "268435456000m", "128Mi", "100M"];
const MEM_OVER = ["257Mi", "268435457", "1G", "1Gi", "0.3Gi", "269e6", "300M", "262145Ki", "1e9", 268435457];

describe.each(KINDS)("container-limits-within-class-budget on %s (wasm class)", (kind) => {
    it.each(CPU_WITHIN)("passes limits.cpu %s", (cpu) => {
        expect(wasm({ cpu, memory: "128Mi" }, kind)).toEqual([]);
    });
    it.each(CPU_OVER)("blocks limits.cpu %s", (cpu) => {
        const v = wasm({ cpu, memory: "128Mi" }, kind);
        expect(v).toHaveLength(1);
        expect(v[0]).toContain(`container "tracking": limits.cpu ${cpu}`);
        expect(v[0]).toContain("exceeds the wasm class, runtimeClassName wasmedge ceiling 1");
    });
    it.each(MEM_WITHIN)("passes limits.memory %s", (memory) => {
        expect(wasm({ cpu: "200m", memory }, kind)).toEqual([]);
    });
    it.each(MEM_OVER)("blocks limits.memory %s", (memory) => {
        const v = wasm({ cpu: "200m", memory }, kind);
        expect(v).toHaveLength(1);
        expect(v[0]).toMatch(new RegExp(`limits\\.memory ${String(memory)}.* exceeds the wasm class, runtimeClassName wasmedge ceiling 256Mi$`));
    });
});

describe("container-limits-within-class-budget", () => {
    it("uses the default class (1 CPU / 1Gi) for pods without a mapped runtime class", () => {
        const obj = (limits: Record<string, string>, runtimeClassName?: string) =>
            workload("StatefulSet", { ...(runtimeClassName ? { runtimeClassName } : {}), containers: [container("db", { requests: { cpu: "10m", memory: "16Mi" }, limits })] });
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "1Gi" }))).toEqual([]);
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "1Gi" }, "gvisor"))).toEqual([]);
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "1025Mi" }))).toEqual([
            'StatefulSet team/demo-statefulset: container "db": limits.memory 1025Mi exceeds the default class ceiling 1Gi',
        ]);
        // The same 512Mi that fits the default class is too big for wasm.
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "512Mi" }, "wasmedge"))).toHaveLength(1);
    });

    it("checks init containers and judges a container without limits by its requests", () => {
        const v = checkWorkload(
            classBudgetPolicy,
            workload("Job", {
                runtimeClassName: "wasmedge",
                initContainers: [container("warm", { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "3", memory: "16Mi" } })],
                containers: [container("run", { requests: { cpu: "1500m", memory: "16Mi" } })],
            }),
        );
        expect(v).toEqual([
            'Job team/demo-job: init container "warm": limits.cpu 3 exceeds the wasm class, runtimeClassName wasmedge ceiling 1',
            'Job team/demo-job: container "run": requests.cpu 1500m exceeds the wasm class, runtimeClassName wasmedge ceiling 1',
        ]);
    });

    it("takes ceilings and extra classes from policy config, merged over the defaults", () => {
        const cfg = { classes: { wasm: { memory: "128Mi" }, batch: { cpu: "1500m", memory: "2Gi" } }, runtimeClasses: { "runc-batch": "batch" } };
        expect(wasm({ cpu: "1", memory: "129Mi" }, "Pod", cfg)).toEqual([
            'Pod team/demo-pod: container "tracking": limits.memory 129Mi exceeds the wasm class, runtimeClassName wasmedge ceiling 128Mi',
        ]);
        // wasm cpu keeps its default of 1
        expect(wasm({ cpu: "1001m", memory: "64Mi" }, "Pod", cfg)).toHaveLength(1);
        const batch = workload("CronJob", { runtimeClassName: "runc-batch", containers: [container("b", { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1500m", memory: "2Gi" } })] });
        expect(checkWorkload(classBudgetPolicy, batch, cfg)).toEqual([]);
        expect(checkWorkload(classBudgetPolicy, batch)).toHaveLength(2);
    });

    it("rejects broken config with a message naming the key", () => {
        expect(() => wasm({ cpu: "1" , memory: "1Mi"}, "Pod", { classes: { wasm: { cpu: "lots" } } })).toThrow(/classes\.wasm\.cpu: "lots" is not a Kubernetes quantity/);
        expect(() => wasm({ cpu: "1", memory: "1Mi" }, "Pod", { runtimeClasses: { wasmedge: "nope" } })).toThrow(/runtimeClasses\.wasmedge must name a class/);
        expect(() => wasm({ cpu: "1", memory: "1Mi" }, "Pod", { classes: { gpu: { cpu: "1" } } })).toThrow(/classes\.gpu needs both cpu and memory/);
    });

    it("during preview: an unknown runtime class is judged against the largest class ceiling", () => {
        const obj = (limits: Record<string, string>) => workload("Deployment", { runtimeClassName: UNKNOWN_STRING, containers: [container("a", { requests: { cpu: "1m", memory: "1Mi" }, limits })] });
        // 512Mi may be fine (default class) or not (wasm): not knowable, so no violation.
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "512Mi" }))).toEqual([]);
        // 2Gi is above every class: certainly too big.
        expect(checkWorkload(classBudgetPolicy, obj({ cpu: "1", memory: "2Gi" }))).toEqual([
            'Deployment team/demo-deployment: container "a": limits.memory 2Gi exceeds the largest class (runtime class not known yet) ceiling 1Gi',
        ]);
    });
});
