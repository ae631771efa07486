import { describe, expect, it } from "vitest";
import { siteCapacityPolicy } from "../../../policy-pack/policies/site-capacity";
import { container, runStackPolicy, TYPE_OF, UNKNOWN_ARRAY, UNKNOWN_NUMBER, UNKNOWN_OBJECT, UNKNOWN_STRING, workload, type StackResource } from "../helpers";
import type { WorkloadKind } from "../../../policy-pack/workloads";

// Defaults: host 2 CPU / 4Gi; a server keeps 500m / 1600Mi for K3s (allocatable 1500m / 2496Mi), an agent
// 200m / 512Mi (allocatable 1800m / 3584Mi).

const res = (cpu: string, memory = "16Mi") => ({ requests: { cpu, memory }, limits: { cpu: "2", memory: "4Gi" } });

function onSite(site: string, kind: WorkloadKind, name: string, cpu: string, extra: Parameters<typeof workload>[2] = {}, memory = "16Mi"): StackResource {
    return { type: TYPE_OF[kind], name: `${site}-${name}`, props: workload(kind, { containers: [container("c", res(cpu, memory))] }, { name, ...extra }), provider: { name: `${site}-k8s` } };
}

function siteInfo(site: string, hosts: string): StackResource {
    return {
        type: "kubernetes:core/v1:ConfigMap",
        name: `${site}-configmap-edge-system-edge-site-info`,
        props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "edge-site-info", namespace: "edge-system" }, data: { site, hosts } },
        provider: { name: `${site}-k8s` },
    };
}

// Most cases below are about requests; they switch the limit/request floor off (a huge ratio). The floor has
// its own cases at the end, with the default ratio.
const NO_FLOOR = { maxLimitRequestRatio: 1_000_000 };
const run = (resources: StackResource[], config = {}) => runStackPolicy(siteCapacityPolicy, resources, { ...NO_FLOOR, ...config }).map((v) => v.message);
const runDefault = (resources: StackResource[], config = {}) => runStackPolicy(siteCapacityPolicy, resources, config).map((v) => v.message);

describe("site-capacity", () => {
    it("passes replicas x requests up to the allocatable of a one-server site and blocks one replica more", () => {
        expect(run([onSite("hz", "Deployment", "api", "500m", { replicas: 3 })])).toEqual([]);
        const v = run([onSite("hz", "Deployment", "api", "500m", { replicas: 4 })]);
        expect(v).toEqual([
            "site hz (1 server, from defaultSite): CPU requests 2 exceed the allocatable 1500m = 1 x (2 - 500m); largest: Deployment team/api 4 x 500m",
        ]);
    });

    it("sums memory exactly across formats (2 x 1248Mi fits 2496Mi, 2 x 1249Mi does not)", () => {
        expect(run([onSite("hz", "StatefulSet", "db", "10m", { replicas: 2 }, "1248Mi")])).toEqual([]);
        expect(run([onSite("hz", "StatefulSet", "db", "10m", { replicas: 2 }, "1308622848")])).toEqual([]); // = 1248Mi in bytes
        const v = run([onSite("hz", "StatefulSet", "db", "10m", { replicas: 2 }, "1249Mi")]);
        expect(v).toHaveLength(1);
        expect(v[0]).toContain("memory requests 2498Mi exceed the allocatable 2496Mi = 1 x (4Gi - 1600Mi)");
    });

    it("counts DaemonSets once per host, with the hosts from the stack's policy config", () => {
        const sz = { sites: { sz: { servers: 1, agents: 2 } } };
        const base = [onSite("sz", "DaemonSet", "agent", "1"), onSite("sz", "Deployment", "api", "700m", { replicas: 3 })];
        // 3 x 1 + 3 x 700m = 5100m = 1500m + 2 x 1800m
        expect(run(base, sz)).toEqual([]);
        const over = run([...base, onSite("sz", "Pod", "probe", "1m")], sz);
        expect(over).toHaveLength(1);
        expect(over[0]).toMatch(/^site sz \(1 server \+ 2 agents, from policy config\): CPU requests 5101m exceed the allocatable 5100m = 1 x \(2 - 500m\) \+ 2 x \(2 - 200m\); largest: DaemonSet team\/agent 3 hosts x 1;/);
        // Without the stack's topology the same DaemonSet counts once (one server by default).
        expect(run([onSite("sz", "DaemonSet", "agent", "1")])).toEqual([]);
    });

    it("a manifest that brings its own edge-site-info ConfigMap cannot inflate the site (topology is stack config only)", () => {
        const api = onSite("sz", "Deployment", "api", "1", { replicas: 3 });
        const v = run([siteInfo("sz", "a:server,b:agent,c:agent,d:agent,e:agent"), api]);
        expect(v).toHaveLength(1);
        expect(v[0]).toMatch(/^site sz \(1 server, from defaultSite\): CPU requests 3 exceed the allocatable 1500m/);
        expect(run([siteInfo("sz", "a:server,b:agent,c:agent,d:agent,e:agent"), api], { sites: { sz: { servers: 1, agents: 1 } } })).toEqual([]);
    });

    it("counts Jobs and CronJobs by min(parallelism, completions), Pods and ReplicaSets by replicas", () => {
        expect(run([onSite("a", "Job", "j", "500m", { parallelism: 3, completions: 2 }), onSite("a", "Pod", "p", "500m")])).toEqual([]); // 2 x 500m + 500m
        expect(run([onSite("a", "Job", "j", "500m", { parallelism: 3 }), onSite("a", "Pod", "p", "500m")])).toHaveLength(1); // 3 x 500m + 500m
        expect(run([onSite("a", "CronJob", "c", "400m", { parallelism: 4 })])).toHaveLength(1); // 1600m
        expect(run([onSite("a", "CronJob", "c", "400m", { parallelism: 4, completions: 3 })])).toEqual([]); // 1200m
        expect(run([onSite("a", "ReplicaSet", "r", "300m", { replicas: 5 })])).toEqual([]);
        expect(run([onSite("a", "ReplicaSet", "r", "300m", { replicas: 6 })])).toHaveLength(1);
        expect(run([onSite("a", "Deployment", "zero", "2", { replicas: 0 })])).toEqual([]);
    });

    it("computes the pod request like Kubernetes: init peak, sidecars, limits standing in for missing requests, overhead", () => {
        const pod = (o: Parameters<typeof workload>[1], replicas: number): StackResource => ({
            type: TYPE_OF.Deployment,
            name: "x",
            props: workload("Deployment", o, { name: "x", replicas }),
            provider: { name: "s-k8s" },
        });
        // init 700m runs alone: pod = max(100m, 700m) = 700m; 2 replicas = 1400m fits, 3 do not.
        const initPeak = { initContainers: [container("init", res("700m"))], containers: [container("app", res("100m"))] };
        expect(run([pod(initPeak, 2)])).toEqual([]);
        expect(run([pod(initPeak, 3)])[0]).toContain("CPU requests 2100m");
        // sidecar 300m keeps running: steady 300m + 300m; the later init step needs 300m + 500m = 800m.
        const sidecar = {
            initContainers: [{ ...container("proxy", res("300m")), restartPolicy: "Always" }, container("migrate", res("500m"))],
            containers: [container("app", res("300m"))],
        };
        expect(run([pod(sidecar, 1)])).toEqual([]);
        expect(run([pod(sidecar, 2)])[0]).toContain("CPU requests 1600m"); // 2 x 800m
        // limits only: the API server defaults requests to limits.
        const limitsOnly = { containers: [container("app", { limits: { cpu: "800m", memory: "64Mi" } })] };
        expect(run([pod(limitsOnly, 2)])[0]).toContain("CPU requests 1600m");
        // RuntimeClass overhead copied into the pod spec counts too.
        expect(run([pod({ containers: [container("app", res("700m"))], overhead: { cpu: "100m", memory: "0" } }, 2)])[0]).toContain("CPU requests 1600m");
    });

    it("blocks a pod that fits no single host even when the site total has room", () => {
        const v = run([onSite("big", "Deployment", "fat", "1600m")], { sites: { big: { servers: 2 } } });
        expect(v).toEqual([
            "site big (2 servers, from policy config): one pod of Deployment team/fat requests CPU 1600m but the largest host has 1500m allocatable; it can never be scheduled",
        ]);
        // An agent has 1800m allocatable.
        expect(run([onSite("big", "Deployment", "fat", "1600m")], { sites: { big: { servers: 1, agents: 1 } } })).toEqual([]);
    });

    it("judges each site (provider) on its own and attributes the violation to that site's provider", () => {
        const resources = [onSite("sh", "Deployment", "api", "1", { replicas: 6 }), onSite("hz", "Deployment", "api", "1", { replicas: 2 })];
        const v = runStackPolicy(siteCapacityPolicy, resources, { ...NO_FLOOR, sites: { sh: { servers: 3, agents: 1 } } });
        expect(v).toHaveLength(1);
        expect(v[0].message).toMatch(/^site hz \(1 server, from defaultSite\): CPU requests 2 exceed/);
        expect(v[0].urn).toBe("urn:pulumi:test::edge-estate::pulumi:providers:kubernetes::hz-k8s");
    });

    it("takes host capacity, reserves and host counts from config", () => {
        const r = [onSite("sh", "Deployment", "api", "1", { replicas: 3 })];
        const sh = { sites: { sh: { servers: 1, agents: 1 } } };
        expect(run(r, sh)).toEqual([]); // 1500m + 1800m
        expect(run(r, { sites: { sh: { servers: 1 } } })[0]).toContain("site sh (1 server, from policy config)");
        expect(run(r, { ...sh, k3sReserve: { agent: { cpu: "1" } } })[0]).toContain("allocatable 2500m = 1 x (2 - 500m) + 1 x (2 - 1)");
        expect(run([onSite("x", "Deployment", "api", "3")], { host: { cpu: "4" } })).toEqual([]);
        expect(run([onSite("x", "Deployment", "api", "1", { replicas: 3 })], { defaultSite: { servers: 2 } })).toEqual([]);
    });

    it("rejects broken config naming the key", () => {
        const r = [onSite("x", "Pod", "p", "1m")];
        expect(() => run(r, { host: { memory: "4 GB" } })).toThrow(/host\.memory: "4 GB" is not a Kubernetes quantity/);
        expect(() => run(r, { k3sReserve: { server: { cpu: "3" } } })).toThrow(/k3sReserve\.server\.cpu \(3\) exceeds the host's cpu \(2\)/);
        expect(() => run(r, { sites: { x: { servers: 0 } } })).toThrow(/sites\.x has no hosts/);
        expect(() => run(r, { defaultSite: { servers: -1 } })).toThrow(/defaultSite\.servers must be a whole number/);
    });

    it("during preview: unknown replicas, resources or container lists never crash; a known excess is still blocked", () => {
        const unknownReplicas = onSite("p", "Deployment", "a", "1", { replicas: UNKNOWN_NUMBER });
        expect(run([unknownReplicas])).toEqual([]);
        const unknownRes: StackResource = { ...onSite("p", "Deployment", "b", "1"), props: workload("Deployment", { containers: [container("c", UNKNOWN_OBJECT)] }, { name: "b" }) };
        const unknownList: StackResource = { ...onSite("p", "Deployment", "c", "1"), props: { ...workload("Deployment", {}, { name: "c" }), spec: { replicas: 2, template: { spec: { containers: UNKNOWN_ARRAY } } } } };
        const unknownName: StackResource = { ...onSite("p", "Pod", "d", "10m"), props: { ...workload("Pod", { containers: [container("c", res("10m"))] }), metadata: { name: UNKNOWN_STRING } } };
        expect(run([unknownReplicas, unknownRes, unknownList, unknownName])).toEqual([]);
        const v = run([unknownReplicas, unknownRes, unknownList, unknownName, onSite("p", "StatefulSet", "big", "800m", { replicas: 2 })]);
        expect(v).toHaveLength(1);
        expect(v[0]).toContain("CPU requests 1610m (at least: some values are not known yet) exceed the allocatable 1500m");
    });

    it("counts what a container can really take: request, but at least limit / maxLimitRequestRatio (default 10)", () => {
        const zeroReq = (name: string, replicas: number, cpu = "0") => ({
            type: TYPE_OF.Deployment,
            name,
            props: workload("Deployment", { containers: [container("c", { requests: { cpu, memory: "0" }, limits: { cpu: "1", memory: "1Gi" } })] }, { name, replicas }),
            provider: { name: "one-k8s" },
        });
        // 40 replicas with requests 0 (or 1m) and 1Gi limits on one host: 40 x 1Gi / 10 = 4Gi > 2496Mi.
        for (const cpu of ["0", "1m"]) {
            const v = runDefault([zeroReq("burst", 40, cpu)]);
            expect(v.join("\n")).toMatch(/site one \(1 server, from defaultSite\): memory requests 4Gi exceed the allocatable 2496Mi/);
            expect(v.join("\n")).toMatch(/site one \(1 server, from defaultSite\): CPU requests 4 exceed the allocatable 1500m/);
        }
        expect(runDefault([zeroReq("burst", 2)])).toEqual([]); // 2 x 100m, 2 x 102.4Mi
        // The ratio is configurable: at 100 the same 40 pods count 40 x 10m / 40 x ~10Mi and fit.
        expect(runDefault([zeroReq("burst", 40)], { maxLimitRequestRatio: 100 })).toEqual([]);
        expect(() => runDefault([zeroReq("burst", 1)], { maxLimitRequestRatio: 0 })).toThrow(/maxLimitRequestRatio must be a whole number >= 1/);
    });

    it("adds the RuntimeClass overhead.podFixed of the pod's class (as the RuntimeClass admission controller does)", () => {
        const rc = (podFixed: Record<string, string>): StackResource => ({
            type: "kubernetes:node.k8s.io/v1:RuntimeClass",
            name: "s-runtimeclass-kata",
            props: { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name: "kata" }, handler: "kata", overhead: { podFixed } },
            provider: { name: "s-k8s" },
        });
        const pods = (n: number): StackResource => ({
            type: TYPE_OF.Deployment,
            name: "vm",
            props: workload("Deployment", { runtimeClassName: "kata", containers: [container("c", res("500m"))] }, { name: "vm", replicas: n }),
            provider: { name: "s-k8s" },
        });
        expect(run([pods(3)])).toEqual([]); // 3 x 500m
        const v = run([pods(3), rc({ cpu: "250m", memory: "120Mi" })]);
        expect(v).toHaveLength(1);
        expect(v[0]).toContain("CPU requests 2250m exceed the allocatable 1500m"); // 3 x (500m + 250m)
        // Listed after the workload: order in the stack does not matter.
        expect(run([rc({ cpu: "250m" }), pods(3)])[0]).toContain("CPU requests 2250m");
    });

    it("counts ReplicationControllers by replicas", () => {
        expect(run([onSite("a", "ReplicationController", "rc", "500m", { replicas: 3 })])).toEqual([]);
        expect(run([onSite("a", "ReplicationController", "rc", "500m", { replicas: 4 })])[0]).toContain("CPU requests 2 exceed");
    });
});
