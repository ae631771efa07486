// The rendered NetworkPolicies of a site against the allowed-flows table, with a small evaluator of the
// NetworkPolicy semantics we use (matchLabels selectors, ipBlock with except, numeric ports): a connection is
// allowed when the source's namespace lets it out (egress) and the destination's lets it in (ingress); a pod with
// no policy selecting it is unrestricted in that direction. Every pair of actors on every port is checked, so a
// flow missing from the table or one the policies forgot both fail.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { planEstate } from "../../../components/plan";
import { OWNED_NAMESPACES, siteNetworkPolicies } from "../../../components/site/network-policies";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const plans = planEstate(config).sites;
const hub = plans.find((p) => p.isHub)!;
const edge = plans.find((p) => !p.isHub)!;

interface Actor {
    ns?: string;
    labels?: Record<string, string>;
    ip: string;
}
const pod = (ns: string, name: string, ip: string, extra: Record<string, string> = {}): Actor => ({ ns, labels: { "app.kubernetes.io/name": name, ...extra }, ip });
const ACTORS: Record<string, Actor> = {
    tracking: pod("edge-system", "tracking", "10.42.0.10"),
    broker: pod("edge-system", "mqtt-broker", "10.42.0.11"),
    agent: pod("edge-monitoring", "prometheus-agent", "10.42.0.12"),
    hub: pod("edge-monitoring", "prometheus-hub", "10.42.0.13"),
    grafana: pod("edge-monitoring", "grafana", "10.42.0.14"),
    webhook: pod("gatekeeper-system", "gatekeeper", "10.42.0.15", { "control-plane": "controller-manager" }),
    audit: pod("gatekeeper-system", "gatekeeper", "10.42.0.16", { "control-plane": "audit-controller" }),
    dns: { ns: "kube-system", labels: { "k8s-app": "kube-dns" }, ip: "10.42.0.2" },
    stranger: pod("default", "someone-elses-app", "10.42.0.99"),
    outside: { ip: "192.0.2.50" },
};
const PORTS = [53, 443, 1883, 3000, 6443, 8080, 8443, 8883, 9090, 9100, 10250, 30990];

/** [from, to, ports] the table in components/site/network-policies.ts allows (hub site only: hub, grafana). */
function allowedTable(isHub: boolean): [string, string, number[]][] {
    const ours = ["tracking", "broker", "agent", "hub", "grafana", "webhook", "audit"];
    return [
        ...ours.map((a): [string, string, number[]] => [a, "dns", [53]]),
        ["tracking", "broker", [1883]],
        ["outside", "broker", [8883]],
        ["agent", "tracking", [8080]],
        ["agent", "outside", [443, 6443, 10250, 9100, 30990]],
        ["webhook", "outside", [443, 6443]],
        ["audit", "outside", [443, 6443]],
        ["outside", "webhook", [8443]],
        ...(isHub
            ? ([
                  ["agent", "hub", [9090]],
                  ["grafana", "hub", [9090]],
                  ["outside", "hub", [9090]],
                  ["outside", "grafana", [3000]],
              ] as [string, string, number[]][])
            : []),
        // Traffic between actors we do not own is not ours to restrict.
        ["stranger", "outside", PORTS],
        ["outside", "stranger", PORTS],
        ["stranger", "dns", PORTS],
        ["outside", "dns", PORTS],
        ["dns", "outside", PORTS],
        ["dns", "stranger", PORTS],
        ["stranger", "stranger", PORTS],
        ["outside", "outside", PORTS],
    ];
}

const ipIn = (ip: string, cidr: string) => {
    if (cidr.includes(":")) return ip.includes(":");
    if (ip.includes(":")) return false;
    const [base, bits] = cidr.split("/");
    const n = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
    const mask = Number(bits) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(bits));
    return (n(ip) & mask) >>> 0 === (n(base) & mask) >>> 0;
};
const matches = (sel: any, labels: Record<string, string> = {}) => Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
function peerMatches(peer: any, policyNs: string, other: Actor): boolean {
    if (peer.ipBlock) return !other.ns || !ipIn(other.ip, "10.42.0.0/16") ? ipIn(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((e: string) => ipIn(other.ip, e)) : false;
    if (!other.ns) return false;
    const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": other.ns }) : other.ns === policyNs;
    return nsOk && (peer.podSelector ? matches(peer.podSelector, other.labels) : true);
}
function direction(policies: any[], self: Actor, other: Actor, port: number, dir: "ingress" | "egress"): boolean {
    if (!self.ns) return true;
    const type = dir === "ingress" ? "Ingress" : "Egress";
    const selecting = policies.filter((p) => p.metadata.namespace === self.ns && p.spec.policyTypes.includes(type) && matches(p.spec.podSelector, self.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec[dir] ?? []).some((rule: any) => (rule.ports ?? []).some((pp: any) => pp.port === port) && (rule[dir === "ingress" ? "from" : "to"] ?? []).some((peer: any) => peerMatches(peer, self.ns!, other))));
}
const allowed = (policies: any[], from: Actor, to: Actor, port: number) => direction(policies, from, to, port, "egress") && direction(policies, to, from, port, "ingress");

describe("network policies", () => {
    for (const plan of [hub, edge]) {
        const policies = siteNetworkPolicies(plan) as any[];
        it(`${plan.site.id} (${plan.isHub ? "hub" : "edge"}): every namespace we own has a default-deny policy for both directions`, () => {
            for (const ns of OWNED_NAMESPACES) {
                const deny = policies.find((p) => p.metadata.namespace === ns && p.metadata.name === "default-deny");
                expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            }
        });
        it(`${plan.site.id} (${plan.isHub ? "hub" : "edge"}): exactly the flows of the table are allowed`, () => {
            const table = allowedTable(plan.isHub);
            const wrong: string[] = [];
            for (const [fromName, from] of Object.entries(ACTORS))
                for (const [toName, to] of Object.entries(ACTORS)) {
                    if (fromName === toName && fromName !== "stranger" && fromName !== "outside") continue;
                    for (const port of PORTS) {
                        const want = table.some(([f, t, ports]) => f === fromName && t === toName && ports.includes(port));
                        if (allowed(policies, from, to, port) !== want) wrong.push(`${fromName} -> ${toName}:${port} ${want ? "should be allowed" : "should be denied"}`);
                    }
                }
            expect(wrong).toEqual([]);
        });
    }
});
