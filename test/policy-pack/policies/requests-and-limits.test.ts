import { describe, expect, it } from "vitest";
import { requestsAndLimitsPolicy } from "../../../policy-pack/policies/requests-and-limits";
import { checkWorkload, container, KINDS, OK_RES, runResourcePolicy, workload } from "../helpers";

const check = (obj: Record<string, unknown>) => checkWorkload(requestsAndLimitsPolicy, obj);

describe.each(KINDS)("workload-requests-and-limits on %s", (kind) => {
    it("passes when every container and init container sets all four values, requests <= limits", () => {
        const obj = workload(kind, {
            initContainers: [container("init-db", { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "10m", memory: "16Mi" } })],
            containers: [container("app", OK_RES), container("side", { requests: { cpu: 0.1, memory: "1G" }, limits: { cpu: "100m", memory: "1Gi" } })],
        });
        expect(check(obj)).toEqual([]);
    });

    it("blocks a container with no resources at all (four violations naming the container)", () => {
        const v = check(workload(kind, { containers: [container("app", OK_RES), container("bare", undefined)] }));
        expect(v).toHaveLength(4);
        for (const field of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]) {
            expect(v.some((m) => m.includes(`container "bare" sets no ${field}`))).toBe(true);
        }
        expect(v[0]).toMatch(new RegExp(`^${kind} team/demo-${kind.toLowerCase()}: `));
    });

    it("blocks an init container without limits", () => {
        const v = check(workload(kind, { initContainers: [container("migrate", { requests: { cpu: "10m", memory: "16Mi" } })] }));
        expect(v).toEqual([
            `${kind} team/demo-${kind.toLowerCase()}: init container "migrate" sets no limits.cpu`,
            `${kind} team/demo-${kind.toLowerCase()}: init container "migrate" sets no limits.memory`,
        ]);
    });

    it("blocks requests above limits, comparing exactly across formats", () => {
        const v = check(workload(kind, { containers: [container("app", { requests: { cpu: "0.5", memory: "129e6" }, limits: { cpu: "499m", memory: "123Mi" } })] }));
        expect(v).toHaveLength(2);
        expect(v[0]).toContain('container "app": requests.cpu 0.5 (= 500m) exceeds limits.cpu 499m');
        expect(v[1]).toContain("requests.memory 129e6 (= 123.02Mi) exceeds limits.memory 123Mi");
    });
});

describe("workload-requests-and-limits details", () => {
    it("treats equal values written differently as equal (1 = 1000m, 1Gi = 1073741824, 128974848 = 123Mi exactly)", () => {
        const res = { requests: { cpu: "1", memory: "1073741824" }, limits: { cpu: "1000m", memory: "1Gi" } };
        expect(check(workload("Deployment", { containers: [container("a", res)] }))).toEqual([]);
        const res2 = { requests: { cpu: "100m", memory: "128974848" }, limits: { cpu: "0.1", memory: "123Mi" } };
        expect(check(workload("Deployment", { containers: [container("a", res2)] }))).toEqual([]);
        // 129e6 bytes is 25152 bytes more than 123Mi: a byte-exact comparison must catch it.
        const res3 = { requests: { cpu: "100m", memory: "129e6" }, limits: { cpu: "0.1", memory: "128974848" } };
        expect(check(workload("Deployment", { containers: [container("a", res3)] }))).toHaveLength(1);
    });

    it("reports malformed and negative quantities by name", () => {
        const v = check(workload("Deployment", { containers: [container("a", { requests: { cpu: "1.5 cores", memory: "-1Mi" }, limits: { cpu: "2", memory: "1Gi" } })] }));
        expect(v).toEqual([
            'Deployment team/demo-deployment: container "a": requests.cpu "1.5 cores" is not a Kubernetes quantity (expected e.g. 500m, 0.5, 1Gi, 1G, 129e6)',
            'Deployment team/demo-deployment: container "a": requests.memory -1Mi is negative',
        ]);
    });

    it("reports a workload without containers and one without a pod spec", () => {
        expect(check(workload("Deployment", { containers: [] }))).toEqual(["Deployment team/demo-deployment: has no containers"]);
        const noTemplate = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { replicas: 1 } };
        expect(check(noTemplate)).toEqual(["Deployment (default namespace)/x: has no pod spec, so no container resources can be checked"]);
    });

    it("falls back to the Pulumi resource name when metadata.name is auto-generated (unset)", () => {
        const obj = workload("Pod", { containers: [container("a", {})] });
        delete (obj.metadata as Record<string, unknown>).name;
        const v = runResourcePolicy(requestsAndLimitsPolicy, "kubernetes:core/v1:Pod", obj, {}, "site-a-pod-worker");
        expect(v).toContain('Pod team/site-a-pod-worker: container "a" sets no requests.cpu');
    });

    it("is not applicable to non-workload types (Service, ConfigMap, Deployment patches)", () => {
        for (const type of ["kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:DeploymentPatch"]) {
            expect(runResourcePolicy(requestsAndLimitsPolicy, type, { metadata: { name: "x" } })).toBe("not-applicable");
        }
    });

    it("also covers older API versions of the same kinds", () => {
        const obj = workload("CronJob", { containers: [container("a", undefined)] });
        const v = runResourcePolicy(requestsAndLimitsPolicy, "kubernetes:batch/v1beta1:CronJob", { ...obj, apiVersion: "batch/v1beta1" });
        expect(v).toHaveLength(4);
    });
});
