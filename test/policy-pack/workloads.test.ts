import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { format, parse } from "../../policy-pack/amount";
import { extractWorkload, pulumiTypeOf, WORKLOAD_KINDS, workloadKindOfType } from "../../policy-pack/workloads";
import { container, OK_RES, TYPE_OF, workload } from "./helpers";

const typeOf = (cls: unknown) => (cls as { __pulumiType: string }).__pulumiType;

describe("workload types", () => {
    it("offline type tokens are exactly the ones @pulumi/kubernetes registers", () => {
        const cases: [string, string, unknown][] = [
            ["v1", "Pod", k8s.core.v1.Pod],
            ["apps/v1", "Deployment", k8s.apps.v1.Deployment],
            ["apps/v1", "StatefulSet", k8s.apps.v1.StatefulSet],
            ["apps/v1", "DaemonSet", k8s.apps.v1.DaemonSet],
            ["apps/v1", "ReplicaSet", k8s.apps.v1.ReplicaSet],
            ["v1", "ReplicationController", k8s.core.v1.ReplicationController],
            ["batch/v1", "Job", k8s.batch.v1.Job],
            ["batch/v1", "CronJob", k8s.batch.v1.CronJob],
            ["v1", "ConfigMap", k8s.core.v1.ConfigMap],
            ["rbac.authorization.k8s.io/v1", "ClusterRole", k8s.rbac.v1.ClusterRole],
        ];
        for (const [apiVersion, kind, cls] of cases) expect(pulumiTypeOf(apiVersion, kind)).toBe(typeOf(cls));
        for (const kind of WORKLOAD_KINDS) expect(TYPE_OF[kind]).toBe(pulumiTypeOf(kind === "Pod" || kind === "ReplicationController" ? "v1" : kind.endsWith("Job") ? "batch/v1" : "apps/v1", kind));
    });

    it("recognises the 8 workload kinds in any API version, and nothing else", () => {
        for (const kind of WORKLOAD_KINDS) expect(workloadKindOfType(TYPE_OF[kind])).toBe(kind);
        expect(workloadKindOfType(typeOf(k8s.apps.v1.DeploymentPatch))).toBeUndefined();
        expect(workloadKindOfType(typeOf(k8s.core.v1.PodTemplate))).toBeUndefined();
        expect(workloadKindOfType("kubernetes:batch/v1beta1:CronJob")).toBe("CronJob");
        expect(workloadKindOfType("kubernetes:extensions/v1beta1:Deployment")).toBe("Deployment");
        expect(workloadKindOfType("kubernetes:apiextensions.k8s.io:CustomResource")).toBeUndefined();
    });

    it("finds the pod spec where each kind keeps it", () => {
        for (const kind of WORKLOAD_KINDS) {
            const w = extractWorkload(kind, workload(kind, { runtimeClassName: "wasmedge", initContainers: [container("i", OK_RES)], containers: [container("c", OK_RES, "x:1")] }), "fallback");
            expect(w.runtimeClassName).toBe("wasmedge");
            expect(w.containers.map((c) => `${c.init ? "init:" : ""}${c.name}`)).toEqual(["init:i", "c"]);
            expect(w.perNode).toBe(kind === "DaemonSet");
        }
    });
});

describe("amounts", () => {
    it("formats like the API server rounds: CPU up to 1m, memory up to a byte", () => {
        expect(format("cpu", parse("0.0001"))).toBe("1m");
        expect(format("cpu", parse("1500m"))).toBe("1500m");
        expect(format("cpu", parse("2000m"))).toBe("2");
        expect(format("memory", parse("1.5Gi"))).toBe("1536Mi");
        expect(format("memory", parse("256Mi"))).toBe("256Mi");
        expect(format("memory", parse("0.5"))).toBe("1");
    });
});
