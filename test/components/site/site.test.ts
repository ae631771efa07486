// EdgeSite under the one mock harness (scripts/synth/run.ts), on the prod stack file: what a site owns directly,
// how its provider is set up, and what waits for what. Expected names and values are written out from
// Pulumi.prod.yaml (hz-xihu: one server at 10.20.2.11; sh-pudong: srv-a, srv-b, srv-c, wrk-a, the hub).
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, type RegisteredStack, registerStackFile } from "../addons/program-under-mocks";

const site = (id: string) => find("edge-estate:index:Site", id);
const label = (r: Registered) => `${r.type}::${r.name}`;
const unwrap = (v: any) => (v && typeof v === "object" && "value" in v ? v.value : v);

let rs: Registered[];
let byUrn: Map<string, Registered>;
let find: RegisteredStack["find"];
let childrenOf: RegisteredStack["childrenOf"];

beforeAll(async () => {
    ({ rs, byUrn, find, childrenOf } = await registerStackFile("Pulumi.prod.yaml"));
}, 60_000);

describe("EdgeSite", () => {
    it("sits under the estate and registers its API server from the plan", () => {
        const s = site("hz-xihu");
        expect(byUrn.get(s.parent!)!.type).toBe("edge-estate:index:Estate");
        expect(byUrn.get(s.parent!)!.name).toBe("cn-east");
        expect(s.outputs).toEqual({ apiServer: "https://10.20.2.11:6443" });
    });

    it("owns its trust material, hosts, provider, foundation, add-on components and network policies, nothing else", () => {
        const own = childrenOf(site("hz-xihu")).filter((r) => r.type !== "kubernetes:networking.k8s.io/v1:NetworkPolicy").map(label);
        expect(own.sort()).toEqual(
            [
                "tls:index/privateKey:PrivateKey::hz-xihu-k3s-server-ca-key",
                "tls:index/selfSignedCert:SelfSignedCert::hz-xihu-k3s-server-ca",
                "tls:index/privateKey:PrivateKey::hz-xihu-k3s-client-ca-key",
                "tls:index/selfSignedCert:SelfSignedCert::hz-xihu-k3s-client-ca",
                "tls:index/privateKey:PrivateKey::hz-xihu-k3s-request-header-ca-key",
                "tls:index/selfSignedCert:SelfSignedCert::hz-xihu-k3s-request-header-ca",
                "random:index/randomPassword:RandomPassword::hz-xihu-k3s-token",
                "random:index/randomPassword:RandomPassword::hz-xihu-k3s-agent-token",
                "edge-estate:index:Host::hz-xihu.srv-a",
                "pulumi:providers:kubernetes::hz-xihu-k8s",
                "kubernetes:core/v1:Namespace::hz-xihu-namespace-edge-system",
                "kubernetes:core/v1:ConfigMap::hz-xihu-configmap-edge-system-edge-site-info",
                "edge-estate:addons:Gatekeeper::hz-xihu-gatekeeper",
                "edge-estate:addons:Broker::hz-xihu-broker",
                "edge-estate:addons:Tracking::hz-xihu-tracking",
                "edge-estate:addons:Monitoring::hz-xihu-monitoring",
            ].sort(),
        );
        // The hub site has one more add-on; the others do not.
        expect(childrenOf(site("sh-pudong")).filter((r) => r.type === "edge-estate:addons:MonitoringHub").map((r) => r.name)).toEqual(["sh-pudong-monitoring-hub"]);
        expect(childrenOf(site("hz-xihu")).some((r) => r.type === "edge-estate:addons:MonitoringHub")).toBe(false);
        const hosts = childrenOf(site("sh-pudong")).filter((r) => r.type === "edge-estate:index:Host").map((r) => r.name);
        expect(hosts.sort()).toEqual(["sh-pudong.srv-a", "sh-pudong.srv-b", "sh-pudong.srv-c", "sh-pudong.wrk-a"]);
    });

    it("gives the site its own provider: region/site cluster identity, unreachable sites skipped, kubeconfig secret from the first server", () => {
        const p = find("pulumi:providers:kubernetes", "sh-pudong-k8s");
        expect(p.parent).toBe(site("sh-pudong").urn);
        expect(unwrap(p.inputs.clusterIdentifier)).toBe("cn-east/sh-pudong");
        expect(String(p.inputs.skipUpdateUnreachable)).toBe("true");
        expect(String(p.inputs.deleteUnreachable)).toBe("false");
        expect(String(p.inputs.enableServerSideApply)).toBe("true");
        expect(p.inputs.kubeconfig).toHaveProperty("4dabf18193072939515e22adb298388d");
        expect(p.dependencies).toEqual([find("command:remote:Command", "sh-pudong.srv-a.06-kubeconfig").urn]);
        // Every object of the site is applied through it.
        const objects = rs.filter((r) => r.type.startsWith("kubernetes:") && (r.name.startsWith("sh-pudong-")));
        expect(objects.length).toBeGreaterThan(20);
        for (const o of objects) expect(o.provider, o.name).toBe(p.urn);
    });

    it("joins the other hosts after the first server is ready, and applies the foundation after every host", () => {
        const firstReady = find("command:remote:Command", "sh-pudong.srv-a.06-kubeconfig").urn;
        for (const h of ["srv-b", "srv-c", "wrk-a"]) expect(find("command:remote:Command", `sh-pudong.${h}.00-preflight`).dependencies).toContain(firstReady);
        expect(find("command:remote:Command", "sh-pudong.srv-a.00-preflight").dependencies).not.toContain(firstReady);
        const ns = find("kubernetes:core/v1:Namespace", "sh-pudong-namespace-edge-system");
        expect(ns.dependencies.map((u) => byUrn.get(u)!.name).sort()).toEqual([
            "sh-pudong.srv-a.06-kubeconfig",
            "sh-pudong.srv-b.05-verify-wasm",
            "sh-pudong.srv-c.05-verify-wasm",
            "sh-pudong.wrk-a.05-verify-wasm",
        ]);
    });

    it("applies its network policies after the foundation and every add-on (the engine gets the add-ons' children)", () => {
        const policies = childrenOf(site("hz-xihu")).filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies.length).toBeGreaterThan(0);
        for (const p of policies) {
            const deps = p.dependencies.map((u) => label(byUrn.get(u)!));
            for (const d of [
                "kubernetes:core/v1:Namespace::hz-xihu-namespace-edge-system",
                "kubernetes:core/v1:ConfigMap::hz-xihu-configmap-edge-system-edge-site-info",
                "kubernetes:helm.sh/v4:Chart::hz-xihu-gatekeeper",
                "kubernetes:apps/v1:Deployment::hz-xihu-deployment-edge-system-mqtt-broker",
                "kubernetes:apps/v1:Deployment::hz-xihu-deployment-edge-system-tracking",
                "kubernetes:apps/v1:DaemonSet::hz-xihu-daemonset-edge-monitoring-node-exporter",
            ])
                expect(deps, p.name).toContain(d);
        }
    });
});
