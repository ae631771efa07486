/**
 * `pulumi preview` hands policies props with unknown values behind the runtime's proxy (a read throws
 * UnknownValueError, which the runtime would turn into an advisory "can't run policy during preview" and skip the
 * whole check). Our policies must neither throw nor lose the violations that are already certain.
 */
import { describe, expect, it } from "vitest";
import { classBudgetPolicy } from "../../policy-pack/policies/class-budget";
import { requestsAndLimitsPolicy } from "../../policy-pack/policies/requests-and-limits";
import { wasmRuntimePolicy } from "../../policy-pack/policies/wasm-runtime";
import { checkWorkload, container, KINDS, UNKNOWN_ARRAY, UNKNOWN_OBJECT, UNKNOWN_STRING, workload } from "./helpers";

const POLICIES = [requestsAndLimitsPolicy, classBudgetPolicy, wasmRuntimePolicy];

function withSpec(obj: Record<string, unknown>, spec: unknown): Record<string, unknown> {
    // Replace the pod spec wherever this kind keeps it.
    const clone = JSON.parse(JSON.stringify(obj));
    const kind = clone.kind as string;
    if (kind === "Pod") clone.spec = spec;
    else if (kind === "CronJob") clone.spec.jobTemplate.spec.template.spec = spec;
    else clone.spec.template.spec = spec;
    return clone;
}

describe.each(KINDS)("preview with unknown values on %s", (kind) => {
    it.each(POLICIES.map((p) => [p.name, p] as const))("%s does not throw when the whole pod spec or container list is unknown", (_n, policy) => {
        expect(checkWorkload(policy, withSpec(workload(kind), UNKNOWN_OBJECT))).toEqual([]);
        expect(checkWorkload(policy, withSpec(workload(kind), { containers: UNKNOWN_ARRAY }))).toEqual([]);
        expect(checkWorkload(policy, withSpec(workload(kind), { runtimeClassName: UNKNOWN_STRING, containers: [{ name: UNKNOWN_STRING, image: UNKNOWN_STRING, resources: UNKNOWN_OBJECT }] }))).toEqual([]);
    });

    it("still reports what is certain next to what is unknown", () => {
        const obj = workload(kind, {
            runtimeClassName: "wasmedge",
            containers: [
                container("pending", UNKNOWN_OBJECT),
                container("half", { requests: { cpu: UNKNOWN_STRING, memory: "64Mi" }, limits: { memory: UNKNOWN_STRING } }),
                container("big", { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: UNKNOWN_STRING, memory: "1Gi" } }),
            ],
        });
        const label = `${kind} team/demo-${kind.toLowerCase()}`;
        expect(checkWorkload(requestsAndLimitsPolicy, obj)).toEqual([`${label}: container "half" sets no limits.cpu`]);
        expect(checkWorkload(classBudgetPolicy, obj)).toEqual([`${label}: container "big": limits.memory 1Gi exceeds the wasm class, runtimeClassName wasmedge ceiling 256Mi`]);
        const wasmImageUnknownClass = workload(kind, { containers: [container("t", { requests: { cpu: "1m", memory: "1Mi" }, limits: { cpu: "1m", memory: "1Mi" } }, UNKNOWN_STRING), container("u", {}, "edge-estate.local/logistics-system:1")] });
        expect(checkWorkload(wasmRuntimePolicy, wasmImageUnknownClass)).toHaveLength(1);
    });
});
