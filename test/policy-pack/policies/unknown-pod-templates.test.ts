// Kinds the pack does not know that still run pods are reported, never counted as zero workloads.
import { describe, expect, it } from "vitest";
import { unknownPodTemplatesPolicy } from "../../../policy-pack/policies/unknown-pod-templates";
import { pulumiTypeOf } from "../../../policy-pack/workloads";
import { container, OK_RES, podSpec, runResourcePolicy, TYPE_OF, workload } from "../helpers";

const run = (obj: Record<string, any>) => runResourcePolicy(unknownPodTemplatesPolicy, pulumiTypeOf(obj.apiVersion, obj.kind), obj);
const template = { metadata: { labels: { app: "x" } }, spec: podSpec({ containers: [container("c", OK_RES, "registry.example/app:1")] }) };

describe("unknown kinds with pod templates", () => {
    it("reports an Argo Rollout (spec.template)", () => {
        const v = run({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", metadata: { name: "web", namespace: "shop" }, spec: { replicas: 40, template } });
        expect(v).toEqual([expect.stringMatching(/^Rollout shop\/web \(argoproj\.io\/v1alpha1\) carries a pod template at spec\.template\.spec, but the pack only counts Pod, Deployment, .*ReplicationController/)]);
    });

    it("reports a KEDA ScaledJob (spec.jobTargetRef.template) and finds every template of an object", () => {
        const v = run({ apiVersion: "keda.sh/v1alpha1", kind: "ScaledJob", metadata: { name: "drain" }, spec: { jobTargetRef: { parallelism: 10, template } } });
        expect(v).toEqual([expect.stringContaining("ScaledJob (default namespace)/drain (keda.sh/v1alpha1) carries a pod template at spec.jobTargetRef.template.spec")]);
        const two = run({ apiVersion: "example.com/v1", kind: "Pair", metadata: { name: "p" }, spec: { a: { template }, b: [{ template }] } });
        expect(two[0]).toContain("at spec.a.template.spec, spec.b[0].template.spec");
    });

    it("leaves built-in workloads (their own policies count them), PodTemplates and objects without pods alone", () => {
        expect(runResourcePolicy(unknownPodTemplatesPolicy, TYPE_OF.Deployment, workload("Deployment", { containers: [container("c", OK_RES)] }))).toEqual([]);
        expect(runResourcePolicy(unknownPodTemplatesPolicy, TYPE_OF.ReplicationController, workload("ReplicationController", { containers: [container("c", OK_RES)] }))).toEqual([]);
        expect(run({ apiVersion: "v1", kind: "PodTemplate", metadata: { name: "t" }, template })).toEqual([]);
        expect(run({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { containers: "[]" } })).toEqual([]);
        expect(run({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { containers: [{ name: "no-image" }] } })).toEqual([]);
    });
});
